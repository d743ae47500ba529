"""Shares kept by the hub's share registry service, followed while the session runs.

The spawner hook (:mod:`capella_share.hubside.spawner`) mounts or links the shares the
user had when the server started and names the registry in
``CAPELLA_SHARE_REGISTRY_URL``. Here the registry is asked again every
``poll_interval`` seconds (:class:`~capella_share.poller.Poller`, on the server's
IOLoop), with the server's own token:

- a role change applies at the next reading, as far as the mount allows: a
  read-only mount stays read-only whatever the role (the share says a restart is
  needed), a role lowered to read-only is enforced at once;
- a share that is not mounted yet (made after the server started) is listed with
  ``restart_needed``;
- a share deleted in the registry, or no longer the user's, disappears from the
  list; its folder, while still there (a mount lasts as long as the pod), stays
  read-only, and the link the hook made for it is removed;
- creating and deleting a share from the session's REST API are the registry's,
  asked as the server's owner: only project managers (and hub admins) may.

When the registry cannot be reached the session fails closed: the last list it
gave stays (at start, the hook's manifest, or whatever is under the mount root),
every share read-only, and ``GET shares`` says why. A lowered role or a removed
member must not keep write access because the registry is down, and a share
that simply vanished from the list would no longer be guarded at all. While it
cannot be reached it is asked less and less often, at most every eight intervals.

The requests themselves are synchronous (urllib): the provider is asked from
synchronous code (the contents manager's checks; creating and deleting, which the
handlers run in a worker thread, wait for the registry's answer; the first list is
read before the server serves), so each periodic reading runs in a worker thread
too, started by the poller.
"""

from __future__ import annotations

import asyncio
import json
import os
import typing as t
import urllib.error
import urllib.parse
import urllib.request

from traitlets import Float, Unicode, default

from ..poller import Poller
from .manifest import MANIFEST_ENV, ManifestShareProvider
from .provider import (
    READ_ONLY,
    READ_WRITE,
    SLUG_RE,
    Share,
    ShareError,
    ShareProvider,
    check_permission,
    filesystem_read_only,
    is_within,
    slug_of,
)
from .rules import MANAGER, MOUNT_ROOT_ENV, REGISTRY_URL_ENV, error_message
from .stats import FolderStats


class RegistryShareProvider(ShareProvider):
    """The user's shares as the registry lists them, enforced as the mounts allow."""

    managed = False  # managers create and delete here; the registry decides who may
    kind = "registry"
    #: create and delete wait for the registry: handlers may run them in a worker thread
    blocking_changes = True

    registry_url = Unicode(
        config=True,
        help=f"""The registry's API base (…/services/capella-share-registry/api/).
        Default: the {REGISTRY_URL_ENV} environment variable the spawner hook sets.""",
    )
    api_token = Unicode(
        config=True,
        help="""The token the registry is asked with. Default: the server's own
        (JUPYTERHUB_API_TOKEN), which acts as its owner.""",
    )
    user = Unicode(
        config=True, help="Whose shares are listed. Default: the server's owner (JUPYTERHUB_USER)."
    )
    poll_interval = Float(
        3.0,
        config=True,
        help="""Seconds between two readings of the registry: a role change or a
        deleted share reaches this session within about this time (while the
        registry cannot be reached, every share is read-only and it is asked up to
        eight times less often).""",
    )
    page_url = Unicode(
        "",
        config=True,
        help="""The registry's page for managers, as users' browsers reach it (the
        Project shares panel links to it). Default: the path of the registry's URL,
        which the hub's proxy serves on the Lab's own host.""",
    )
    request_timeout = Float(
        5.0, config=True, help="Seconds a request to the registry may take before it has failed."
    )
    mount_root = Unicode(
        config=True,
        help=f"""The folder shares are mounted or linked in, as <mount_root>/<project>/<model>
        (absolute, inside the server's root directory). Default: the {MOUNT_ROOT_ENV}
        environment variable the spawner hook sets, else shares_root.""",
    )
    manifest_path = Unicode(
        config=True,
        help=f"""The spawner hook's manifest (default: {MANIFEST_ENV}): the shares listed,
        read-only, when the registry cannot be reached as the server starts.""",
    )

    @default("registry_url")
    def _registry_url_default(self) -> str:
        return os.environ.get(REGISTRY_URL_ENV, "")

    @default("api_token")
    def _api_token_default(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    @default("user")
    def _user_default(self) -> str:
        return os.environ.get("JUPYTERHUB_USER", "")

    @default("mount_root")
    def _mount_root_default(self) -> str:
        return os.environ.get(MOUNT_ROOT_ENV, "") or self.shares_root

    @default("manifest_path")
    def _manifest_path_default(self) -> str:
        return os.environ.get(MANIFEST_ENV, "")

    def __init__(self, **kwargs: t.Any):
        super().__init__(**kwargs)
        if not self.registry_url.startswith(("http://", "https://")) or not self.user:
            raise ValueError(
                f"the registry provider needs the registry's http(s) URL ({REGISTRY_URL_ENV}) "
                "and the server's owner (JUPYTERHUB_USER)"
            )
        self.mount_root = os.path.realpath(self.mount_root)
        if not is_within(self.mount_root, self.root_dir):
            raise ValueError(
                f"the shares' folder {self.mount_root} lies outside the server's root directory"
            )
        self.error: str | None = None
        self._listed: list[dict[str, t.Any]] | None = None  # the registry's last answer
        self._reachable = False
        self._version = 0  # counts changes of what the registry says
        self._loaded = -1
        self._extra: dict[str, dict[str, t.Any]] = {}
        self._gone_real: set[str] = set()
        self.read_registry()
        self._poller = Poller(
            self._follow, self.poll_interval, name="reading the share registry", log=self.log
        )
        self._poller.start(now=False)

    async def measured(self, shares: list[Share]) -> dict[str, FolderStats | None]:
        """A share the local spawner hook linked is measured at the folder the link
        leads to (measuring never follows links itself)."""
        paths = await asyncio.to_thread(self._targets, shares)
        found = await self.stats.gather(list(paths.values()), self.stats_budget)
        return {key: found.get(path) for key, path in paths.items()}

    def _targets(self, shares: list[Share]) -> dict[str, str]:
        return {share.key: os.path.realpath(self.os_path(share)) for share in shares}

    def source_model(self) -> dict[str, t.Any]:
        """The registry, its managers' page, and whether this user manages any of
        the projects listed (and so may create and delete shares here)."""
        # the path alone: the browser reaches it through the hub's proxy, on the
        # Lab's own host, not at the address this server asks it at
        page = self.page_url or urllib.parse.urlsplit(self.registry_url).path.rstrip("/")
        page = page[: -len("/api")] + "/" if page.endswith("/api") else page.rstrip("/") + "/"
        manages = any(extra.get("role") == MANAGER for extra in self._extra.values())
        return {"kind": self.kind, "manager": manages, "url": page}

    def describe(self) -> str:
        return f"the share registry {self.registry_url} (every {self.poll_interval:g} s)"

    def refusal(self) -> str:
        return (
            "Permissions of project shares follow the members' roles in the share "
            "registry; a project manager changes them on the registry's page."
        )

    def close(self) -> None:
        self._poller.stop()
        super().close()

    # -- asking the registry ---------------------------------------------------------------
    def call(self, method: str, path: str, body: t.Any = None) -> tuple[int, t.Any]:
        """(status, JSON body) of a request to the registry as the server's owner;
        a ShareError 502 when it cannot be reached or answers nonsense."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (http or https: checked at start)
            self.registry_url.rstrip("/") + "/" + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"token {self.api_token}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.request_timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except (OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            raise ShareError(
                502, f"The share registry cannot be reached ({reason}); try again later."
            ) from None
        try:
            return status, (json.loads(raw) if raw else {})
        except ValueError:
            raise ShareError(502, f"The share registry answered {status} without JSON.") from None

    def read_registry(self) -> None:
        """Ask for the user's shares once; remember the answer or why there is none."""
        path = f"users/{urllib.parse.quote(self.user, safe='')}/shares"
        try:
            status, body = self.call("GET", path)
            if status != 200:
                raise ShareError(status, error_message(body, f"it answered {status}"))
            listed = [_entry(item) for item in body["shares"]]
        except (ShareError, KeyError, TypeError, ValueError) as error:
            reason = error.message if isinstance(error, ShareError) else f"bad answer: {error}"
            self._unreachable(f"The share registry could not list your shares: {reason}")
            return
        with self._lock:
            if listed != self._listed or not self._reachable:
                self._listed, self._reachable, self.error = listed, True, None
                self._version += 1

    def _unreachable(self, reason: str) -> None:
        message = f"{reason}. Every share is read-only until it answers again."
        with self._lock:
            if self._reachable or self.error != message:
                if self._reachable or self.error is None:
                    self.log.error("capella-share: %s", message)
                self._reachable, self.error = False, message
                self._version += 1

    async def _follow(self) -> bool:
        """One periodic reading; whether the registry answered."""
        await asyncio.to_thread(self.read_registry)
        return self._reachable

    # -- the list --------------------------------------------------------------------------
    def source_changed(self) -> bool:
        return self._version != self._loaded

    def refresh(self, force: bool = False) -> None:
        # a new answer of the registry applies at once, not after the usual second
        super().refresh(force or self._version != self._loaded)

    def load(self) -> list[Share]:
        with self._lock:
            version, listed, reachable = self._version, self._listed, self._reachable
        if listed is None:
            shares = self._fallback()
        else:
            shares = [self._share(entry, reachable) for entry in listed]
        self._forget_gone(shares)
        self._loaded = version
        return shares

    def _share(self, entry: dict[str, t.Any], reachable: bool) -> Share:
        project, model = entry["project"], entry["model"]
        path = self.path_in_session(project, model)
        os_path = os.path.join(self.root_dir, *path.split("/"))
        present = os.path.isdir(os_path)
        mount_read_only = present and filesystem_read_only(os_path)
        role_permission = entry["permission"]
        read_only = role_permission == READ_ONLY or mount_read_only or not reachable
        note = None
        if not present:
            note = "Not mounted in this server yet: restart your server to get it."
        elif mount_read_only and role_permission == READ_WRITE:
            note = (
                "Your role lets you write, but this server mounted the share read-only: "
                "restart your server to write to it."
            )
        self._extra[f"{project}/{model}"] = {
            "role": entry.get("role"),
            "restart_needed": note is not None,
            "note": note if reachable else self.error,
        }
        return Share(
            project=project,
            model=model,
            path=path,
            permission=READ_ONLY if read_only else READ_WRITE,
            project_name=entry.get("project_name") or project,
            model_name=entry.get("model_name") or model,
        )

    def _fallback(self) -> list[Share]:
        """What the session had when the registry never answered: the hook's
        manifest, else the folders under the mount root; read-only."""
        shares: list[Share] = []
        if self.manifest_path:
            reader = ManifestShareProvider(
                root_dir=self.root_dir,
                shares_root=self.mount_root,
                manifest_path=self.manifest_path,
            )
            try:
                shares = reader.load()  # [] (and the reason logged) if it is unusable
            finally:
                reader.close()
        elif os.path.isdir(self.mount_root):
            for project in sorted(os.listdir(self.mount_root)):
                folder = os.path.join(self.mount_root, project)
                if SLUG_RE.match(project) and os.path.isdir(folder):
                    shares += [
                        Share(project, model, self.path_in_session(project, model), READ_ONLY)
                        for model in sorted(os.listdir(folder))
                        if SLUG_RE.match(model) and os.path.isdir(os.path.join(folder, model))
                    ]
        note = self.error
        for share in shares:
            self._extra[share.key] = {"role": None, "restart_needed": False, "note": note}
        return [
            Share(s.project, s.model, s.path, READ_ONLY, s.project_name, s.model_name)
            for s in shares
        ]

    def _forget_gone(self, shares: list[Share]) -> None:
        """Shares that left the list: their folders stay read-only while they are
        there, and a link made by the spawner hook is removed."""
        keys = {share.key for share in shares}
        with self._lock:
            known = dict(self._shares)
        for key, share in known.items():
            if key in keys:
                continue
            os_path = self.os_path(share)
            if os.path.lexists(os_path):
                self._gone_real.add(os.path.realpath(os_path))
            if os.path.islink(os_path):
                try:
                    os.unlink(os_path)
                except OSError as error:
                    self.log.error("capella-share: cannot remove %s: %s", os_path, error)
            self._extra.pop(key, None)
            self.log.info("capella-share: share %s is no longer listed for you", key)
        self._gone_real -= {os.path.realpath(self.os_path(share)) for share in shares}

    def path_in_session(self, project: str, model: str) -> str:
        base = os.path.relpath(self.mount_root, self.root_dir)
        parts = [] if base == "." else base.split(os.sep)
        return "/".join([*parts, project, model])

    def is_read_only(self, api_path: str) -> bool:
        if super().is_read_only(api_path):
            return True
        gone = self._gone_real
        return bool(gone) and any(is_within(self._real(api_path), root) for root in gone)

    def read_only_shares_under(self, api_path: str) -> list[Share]:
        """Also the read-only shares whose link or mount point lies under ``api_path``:
        moving the folder that holds a link away would take the share along."""
        found = super().read_only_shares_under(api_path)
        real = self._real(api_path)
        with self._lock:
            shares = list(self._shares.values())
        found += [
            share
            for share in shares
            if share.read_only
            and share not in found
            and is_within(
                os.path.join(
                    os.path.realpath(os.path.dirname(self.os_path(share))),
                    os.path.basename(self.os_path(share)),
                ),
                real,
            )
        ]
        return found

    def model(self, share: Share, stats: FolderStats | None) -> dict[str, t.Any]:
        extra = self._extra.get(share.key, {})
        return {
            **super().model(share, stats),
            "role": extra.get("role"),
            "restart_needed": bool(extra.get("restart_needed")),
            "note": extra.get("note"),
        }

    # -- changes: the registry's ------------------------------------------------------------
    def create(
        self, project_name: t.Any, model_name: t.Any, permission: t.Any = READ_WRITE
    ) -> Share:
        project = slug_of(project_name, "project")
        model = slug_of(model_name, "model")
        if check_permission(permission) != READ_WRITE:
            raise ShareError(
                400,
                "A share's permission follows each member's role in the share registry; "
                "create it read-write and give read-only members the read-only role.",
            )
        self._ensure_project(project, project_name.strip())
        status, body = self.call(
            "POST", f"projects/{project}/shares", {"model": model_name.strip()}
        )
        if status in (403, 404):
            raise ShareError(403, _not_manager(project, "create shares in it"))
        if status != 201:
            raise ShareError(
                _status(status), error_message(body, f"the registry answered {status}")
            )
        self.log.info("capella-share: created share %s/%s in the registry", project, model)
        self.read_registry()
        self.refresh(force=True)
        share = self._shares.get(f"{project}/{model}")
        if share is None:  # a hub admin who is no member: listed nowhere for them
            share = Share(
                project,
                model,
                self.path_in_session(project, model),
                READ_WRITE,
                project_name.strip(),
                model_name.strip(),
            )
            self._extra[share.key] = {
                "role": None,
                "restart_needed": False,
                "note": "Made in the registry; you are not a member of its project.",
            }
        return share

    def _ensure_project(self, project: str, name: str) -> None:
        status, body = self.call("GET", f"projects/{project}")
        if status == 200:
            if body.get("role") != MANAGER and not self._is_admin():
                raise ShareError(403, _not_manager(project, "create shares in it"))
            return
        if status != 404:
            raise ShareError(
                _status(status), error_message(body, f"the registry answered {status}")
            )
        status, body = self.call("POST", "projects", {"name": name})
        if status == 409:
            raise ShareError(403, _not_manager(project, "create shares in it"))
        if status != 201:
            message = error_message(body, f"the registry answered {status}")
            raise ShareError(
                _status(status),
                f"The project {name!r} cannot be made in the share registry: {message}",
            )

    def _is_admin(self) -> bool:
        status, body = self.call("GET", "me")
        return status == 200 and bool(body.get("admin"))

    def set_permission(self, project: str, model: str, permission: t.Any) -> Share:
        self.get_share(project, model)
        raise ShareError(403, self.refusal())

    def move_out_of_sight(self, project: str, model: str, confirm: t.Any) -> str | None:
        """Deletes the share in the registry (which removes its files, once);
        nothing is left here to remove."""
        self.delete_share(project, model, confirm)
        return None

    def delete_share(self, project: str, model: str, confirm: t.Any) -> tuple[int, int]:
        """Delete in the registry: (files, bytes) it removed."""
        share = self.get_share(project, model)
        if confirm != share.key:
            raise ShareError(
                400,
                f"Deleting a share removes all its files for good, for every member. To confirm, "
                f'send {{"confirm": "{share.key}"}}.',
            )
        status, body = self.call(
            "DELETE", f"projects/{project}/shares/{model}", {"confirm": share.key}
        )
        if status == 403:
            raise ShareError(403, _not_manager(project, "delete its shares"))
        if status == 404:
            self.read_registry()
            raise ShareError(
                404, f"The share registry has no share {share.key} (deleted meanwhile?)."
            )
        if status != 200:
            raise ShareError(
                _status(status), error_message(body, f"the registry answered {status}")
            )
        self.log.info("capella-share: deleted share %s in the registry", share.key)
        self.read_registry()
        self.refresh(force=True)
        return int(body.get("deleted_files") or 0), int(body.get("deleted_bytes") or 0)

    def clean_trash(self) -> tuple[int, int]:
        return (0, 0)  # deleting is the registry's: nothing of it is left here


def _entry(item: t.Any) -> dict[str, t.Any]:
    """One share of the registry's list, with names that are folder names."""
    if not isinstance(item, dict):
        raise TypeError("a share is not an object")
    for field in ("project", "model"):
        if not isinstance(item.get(field), str) or not SLUG_RE.match(item[field]):
            raise ValueError(f"{field} {item.get(field)!r} is not a folder name")
    if item.get("permission") not in (READ_WRITE, READ_ONLY):
        raise ValueError(f"permission {item.get('permission')!r}")
    keep = ("project", "model", "project_name", "model_name", "role", "permission", "id")
    return {key: item.get(key) for key in keep}


def _status(status: int) -> int:
    """The registry's client errors are passed on; anything else is a bad gateway."""
    return status if 400 <= status < 500 else 502


def _not_manager(project: str, what: str) -> str:
    return (
        f"Only managers of the project {project!r} (and hub admins) may {what}; "
        "ask one of them, or a hub admin, in the share registry."
    )


__all__ = ["MOUNT_ROOT_ENV", "REGISTRY_URL_ENV", "RegistryShareProvider"]
