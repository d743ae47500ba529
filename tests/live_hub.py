"""A real JupyterHub on 127.0.0.1 for the hub-mode tests: configurable-http-proxy
from npm, DummyAuthenticator users, SimpleLocalProcessSpawner single-user servers
(``jupyterhub-singleuser`` with capella-share), everything under one work folder.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import typing as t
import urllib.parse
from pathlib import Path

import log_scan
import requests
from helpers import until_blocking
from live_server import free_port, isolated_env, stop_process

REPO = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "capella-hub-test-admin-token"
log_scan.KNOWN.add(ADMIN_TOKEN)
PASSWORD = "capella-test-password"


def proxy_command() -> str | None:
    """configurable-http-proxy as ``scripts/setup`` installs it (or on the PATH)."""
    local = Path(sys.prefix) / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


HUB_CONFIG = """
import sys
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {workdir!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {workdir!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {workdir!r} + "/jupyterhub_cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {{"alice", "bob", "carol"}}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {workdir!r} + "/home/{{username}}"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root", "--ServerApp.jpserver_extensions=jupyter_lsp=False"]
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 60
c.Spawner.environment = {environment!r}
c.JupyterHub.load_groups = {{"reviewers": {{"users": ["carol"]}}}}
c.JupyterHub.allow_named_servers = True
c.JupyterHub.services = [{{"name": "test-admin", "api_token": {admin_token!r}}}]
{capella_config}
c.JupyterHub.load_roles.append(
    {{
        "name": "test-admin",
        "scopes": ["admin:users", "admin:servers", "tokens", "shares", "read:shares", "list:users",
                   "read:users", "read:groups", "admin-ui", "custom:capella-share:view",
                   "custom:capella-share:edit", "custom:capella-share:full"],
        "services": ["test-admin"],
    }}
)
"""


class LiveHub:
    """JupyterHub with its proxy, in a subprocess; ``workdir`` holds everything."""

    def __init__(self, workdir: Path, capella_config: str, env: dict[str, str] | None = None):
        self.workdir = workdir
        self.capella_config = capella_config
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.log_path = workdir / "hub.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> None:
        proxy = proxy_command()
        if proxy is None:
            raise RuntimeError("configurable-http-proxy is missing: run scripts/setup")
        self.port = free_port()
        env = {**isolated_env(self.workdir), **self.extra_env}
        # the single-user servers get the same isolated Jupyter folders, each its own
        server_env = {k: v for k, v in env.items() if k.startswith(("JUPYTER", "PYTHON"))}
        config = HUB_CONFIG.format(
            port=self.port,
            hub_port=free_port(),
            proxy_api_port=free_port(),
            proxy=proxy,
            workdir=str(self.workdir),
            password=PASSWORD,
            admin_token=ADMIN_TOKEN,
            environment=server_env,
            capella_config=self.capella_config,
        )
        (self.workdir / "jupyterhub_config.py").write_text(config)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyterhub",
                    "-f",
                    str(self.workdir / "jupyterhub_config.py"),
                ],
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = self.process

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the hub exited ({process.returncode}):\n{self.log()}")
            try:
                return requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        try:
            until_blocking(
                answers,
                timeout,
                lambda: f"the hub did not answer within {timeout} s:\n{self.log()}",
            )
        except AssertionError:
            self.stop()
            raise

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except FileNotFoundError:
            return ""

    def api(self, method: str, path: str, **kwargs: t.Any) -> requests.Response:
        """The hub's REST API as the test's admin service."""
        headers = {"Authorization": f"token {ADMIN_TOKEN}"}
        return requests.request(
            method, f"{self.url}/hub/api/{path}", headers=headers, timeout=60, **kwargs
        )

    def start_server(self, user: str, name: str = "", timeout: float = 90) -> None:
        """Start ``user``'s default server, or its server ``name``, and wait for it."""
        path = f"users/{user}/servers/{name}" if name else f"users/{user}/server"
        response = self.api("POST", path)
        assert response.status_code in (201, 202, 400), response.text  # 400: already running

        def ready() -> bool:
            model = self.api("GET", f"users/{user}").json()
            server = (model.get("servers") or {}).get(name)
            return bool(server and server.get("ready"))

        until_blocking(
            ready, timeout, lambda: f"{user}'s server did not start:\n{self.log()}", interval=0.3
        )

    def login(self, user: str) -> requests.Session:
        """A browser-like session logged in to the hub as ``user``."""
        session = requests.Session()
        page = session.get(f"{self.url}/hub/login", timeout=30)
        xsrf = session.cookies.get("_xsrf", "")
        response = session.post(
            f"{self.url}/hub/login",
            data={"username": user, "password": PASSWORD, "_xsrf": xsrf},
            timeout=60,
        )
        assert response.status_code == 200, (page.status_code, response.status_code)
        return session

    def authorize(
        self, session: requests.Session, owner: str, server: str = ""
    ) -> requests.Response:
        """Open ``owner``'s Lab page, going through the hub's OAuth as a browser
        does (API routes answer 403 instead of redirecting to a login), and accept
        the hub's confirmation page shown the first time one opens another's server."""
        prefix = f"{self.url}/user/{owner}/" + (f"{server}/" if server else "")
        response = session.get(f"{prefix}lab", timeout=60)
        if "/hub/api/oauth2/authorize" in response.url and 'name="scopes"' in response.text:
            fields = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', response.text)
            data = [(name, html.unescape(value)) for name, value in fields]
            response = session.post(response.url, data=data, timeout=60)
        return response

    def open_server(self, session: requests.Session, owner: str, path: str = "api/status"):
        return session.get(f"{self.url}/user/{owner}/{path}", timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # the spawned single-user servers are the hub's children: stop them first
            try:
                for user in ("alice", "bob", "carol"):
                    for name in self.api("GET", f"users/{user}").json().get("servers", {}):
                        self.api(
                            "DELETE",
                            f"users/{user}/servers/{name}" if name else f"users/{user}/server",
                        )
            except requests.RequestException:
                pass
        stop_process(self.process)
        log_scan.check_file(self.log_path, "a hub and its servers")
        pid_file = self.workdir / "proxy.pid"
        if pid_file.exists():
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(pid_file.read_text().strip()), 15)


def xsrf_headers(session: requests.Session, url: str) -> dict[str, str]:
    """Headers for a cookie-authenticated write to a single-user server."""
    parsed = urllib.parse.urlsplit(url)
    return {
        "X-XSRFToken": session.cookies.get("_xsrf", path=parsed.path.split("/api")[0] + "/")
        or session.cookies.get("_xsrf", ""),
        "Referer": url,
    }


def as_json(response: requests.Response) -> t.Any:
    try:
        return response.json()
    except json.JSONDecodeError:
        return response.text
