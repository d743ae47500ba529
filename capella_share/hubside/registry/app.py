"""``capella-share-registry``: the registry as a JupyterHub-managed service.

JupyterHub starts it with the service's environment (``JUPYTERHUB_SERVICE_URL``,
``JUPYTERHUB_SERVICE_PREFIX``, its API token and OAuth client); everything else is
configured here, in ``capella_share_registry_config.py`` (``--config``) or on the
command line (``--RegistryApp.db_url=...``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import typing as t
import urllib.parse
from pathlib import Path

from jupyterhub.services.auth import HubOAuth
from tornado import httpserver, ioloop, web
from traitlets import Dict, Float, List, Unicode, default
from traitlets.config import Application

from .handlers import registry_handlers
from .storage import BACKENDS, LocalStorage, ShareStorage
from .store import RegistryStore, make_engine

HERE = Path(__file__).parent


class RegistryApp(Application):
    """Projects, their members and shares, for a JupyterHub."""

    name = "capella-share-registry"
    description = __doc__
    classes = [HubOAuth, *BACKENDS.values()]

    aliases = {
        "config": "RegistryApp.config_file",
        "f": "RegistryApp.config_file",
        "db-url": "RegistryApp.db_url",
        "storage": "RegistryApp.storage",
        "storage-root": "RegistryApp.storage_root",
        "log-level": "Application.log_level",
    }

    config_file = Unicode(
        "capella_share_registry_config.py",
        help="The configuration file to load (Python, `c.RegistryApp...`); "
        "a missing default file is not an error.",
    ).tag(config=True)

    db_url = Unicode(
        "sqlite:///capella-share-registry.sqlite",
        help="The registry's own database (never the hub's): a SQLAlchemy URL, SQLite by "
        "default (in the working folder), or PostgreSQL "
        "('postgresql+psycopg://user:password@host/db'; 'postgresql://' means the same).",
    ).tag(config=True)

    db_kwargs = Dict(
        help="Extra keyword arguments for sqlalchemy.create_engine (pool size, ...)."
    ).tag(config=True)

    storage = Unicode(
        "local",
        help="Where shares live: 'local' (folders under storage_root) or 'kubernetes' "
        "(one PersistentVolumeClaim per share; see KubernetesStorage).",
    ).tag(config=True)

    storage_root = Unicode(
        help="For the local storage: the folder holding <project>/<model> share folders "
        "(default: 'shares' in the working folder)."
    ).tag(config=True)

    @default("storage_root")
    def _default_storage_root(self) -> str:
        return os.path.abspath("shares")

    project_creators = List(
        Unicode(),
        help="Hub users who may create projects (besides hub admins).",
    ).tag(config=True)

    project_creator_groups = List(
        Unicode(),
        help="Hub groups whose members may create projects (besides hub admins).",
    ).tag(config=True)

    service_url = Unicode(
        help="Where to listen (default: $JUPYTERHUB_SERVICE_URL, as JupyterHub passes it)."
    ).tag(config=True)

    @default("service_url")
    def _default_service_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")

    service_prefix = Unicode(
        help="The URL prefix of the service (default: $JUPYTERHUB_SERVICE_PREFIX)."
    ).tag(config=True)

    @default("service_prefix")
    def _default_service_prefix(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/capella-share-registry/")

    cookie_secret_file = Unicode(
        "",
        help="A file holding the secret that signs login cookies (made if missing); "
        "empty: a new secret at each start, which logs managers out at a restart.",
    ).tag(config=True)

    purge_retry_interval = Float(
        60.0,
        help="Seconds between retries of data removals that failed (a volume the "
        "cluster did not delete); 0 retries only at start.",
    ).tag(config=True)

    store: RegistryStore
    storage_backend: ShareStorage
    hub_auth: HubOAuth

    def initialize(self, argv: t.Any = None) -> None:
        super().initialize(argv)
        if self.config_file:
            path = Path(self.config_file)
            if path.exists() or "config_file" in self.config.get("RegistryApp", {}):
                self.load_config_file(str(path))
                self.update_config(self.cli_config)  # the command line wins
        self.storage_backend = self.make_storage()
        self.store = RegistryStore(
            make_engine(self.db_url, **self.db_kwargs),
            self.storage_backend,
            project_creators=self.project_creators,
            project_creator_groups=self.project_creator_groups,
        )
        self.hub_auth = HubOAuth(parent=self, base_url=self.service_prefix)

    def make_storage(self) -> ShareStorage:
        if self.storage not in BACKENDS:
            self.log.critical("RegistryApp.storage must be one of %s", ", ".join(BACKENDS))
            self.exit(1)
        backend = BACKENDS[self.storage](parent=self)
        if isinstance(backend, LocalStorage) and not backend.root:
            backend.root = self.storage_root
        return backend

    def cookie_secret(self) -> bytes:
        if not self.cookie_secret_file:
            return secrets.token_bytes(32)
        path = Path(self.cookie_secret_file)
        if not path.exists():
            path.touch(0o600)
            path.write_text(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())

    def make_web_app(self) -> web.Application:
        handlers = registry_handlers(
            self.service_prefix, self.store, self.hub_auth, str(HERE / "static")
        )
        return web.Application(
            handlers,
            cookie_secret=self.cookie_secret(),
            template_path=str(HERE / "templates"),
            log_function=self.log_request,
        )

    def log_request(self, handler: web.RequestHandler) -> None:
        status = handler.get_status()
        level = self.log.info if status < 400 else self.log.warning
        if status >= 500:
            level = self.log.error
        # the path only: a query could carry a token
        level("%d %s %s", status, handler.request.method, handler.request.path)

    async def serve(self) -> None:
        await self.store.recover()
        url = urllib.parse.urlsplit(self.service_url)
        server = httpserver.HTTPServer(self.make_web_app(), xheaders=True)
        server.listen(url.port or 80, url.hostname or "127.0.0.1")
        self.log.info(
            "capella-share-registry on %s%s (%s storage, %s database)",
            self.service_url.rstrip("/"),
            self.service_prefix,
            self.storage_backend.kind,
            self.store.engine.dialect.name,
        )
        retry = None
        if self.purge_retry_interval > 0:
            retry = ioloop.PeriodicCallback(
                self.store.retry_purges, self.purge_retry_interval * 1000
            )
            retry.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        if retry is not None:
            retry.stop()
        server.stop()
        close = getattr(self.storage_backend, "close", None)
        if close is not None:
            await close()
        self.store.close()
        self.log.info("capella-share-registry stopped")

    def start(self) -> None:
        asyncio.run(self.serve())


def main(argv: t.Sequence[str] | None = None) -> None:
    RegistryApp.launch_instance(None if argv is None else list(argv))


__all__ = ["RegistryApp", "main"]
