"""Project shares in the session: what a share is and the provider interface.

How names become folders, and the permissions, are the rules the hub side follows
too (:mod:`.rules`); they are imported from there.

A provider says which shares exist and with which permission. The local list
(:mod:`.local`) lets the owner manage them; the manifest provider (:mod:`.manifest`)
reads what the platform that started the session decided. Everything else (paths,
the read-only check, deletion, statistics) is common and lives here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
import time
import typing as t
from dataclasses import dataclass

from traitlets import Float, Unicode
from traitlets.config import LoggingConfigurable

from . import deletion
from .rules import (
    PERMISSIONS,
    READ_ONLY,
    READ_WRITE,
    SLUG_RE,
    ShareError,
    check_permission,
    check_slug,
    is_within,
    slug_of,
)
from .stats import FolderStats, ShareStats

#: How often, at most, a provider looks whether its source changed.
REFRESH_INTERVAL = 1.0


@dataclass(frozen=True)
class Share:
    """One (project, model) folder and its permission in this session."""

    project: str
    model: str
    path: str  # contents API path, relative to the server's root directory
    permission: str
    project_name: str = ""
    model_name: str = ""
    created: str | None = None

    @property
    def key(self) -> str:
        return f"{self.project}/{self.model}"

    @property
    def read_only(self) -> bool:
        return self.permission == READ_ONLY


def check_relative_path(value: t.Any, what: str) -> str:
    """A contents API path: relative, ``/``-separated, without ``.`` or ``..`` parts."""
    if not isinstance(value, str):
        raise ShareError(400, f"{what} must be a string.")
    path = value.strip("/")
    parts = path.split("/")
    if (
        not path
        or value.startswith("/")
        or "\\" in path
        or "\x00" in path
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ShareError(400, f"{what} {value!r} is not a relative path inside the server's root.")
    return path


_O_PATH = getattr(os, "O_PATH", 0)


def real_path(path: str) -> str:
    """``os.path.realpath(path)``, asked of the kernel when the path exists: an
    ``O_PATH`` descriptor's name in /proc is its resolved path (one call, where
    realpath stats every component; the read-only check runs on every write and
    every RTC message). Anything unusual falls back to realpath."""
    if _O_PATH:
        try:
            fd = os.open(path, _O_PATH | os.O_CLOEXEC)
        except (OSError, ValueError):
            return os.path.realpath(path)
        try:
            resolved = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            resolved = ""
        finally:
            os.close(fd)
        if resolved.startswith("/") and not resolved.endswith(" (deleted)"):
            return resolved
    return os.path.realpath(path)


def filesystem_read_only(os_path: str) -> bool:
    """Whether this process cannot write to the folder (read-only mount or permissions)."""
    try:
        if os.statvfs(os_path).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(os_path, os.W_OK)


class ShareProvider(LoggingConfigurable):
    """Where shares come from. Subclasses store them; this class does the rest."""

    #: True when the shares are the platform's: no creation, change or deletion here.
    managed = False
    #: How this provider is named in ``GET shares``.
    kind = "provider"

    root_dir = Unicode(help="The server's root directory (absolute, real).")
    shares_root = Unicode(help="The directory shares are made in (absolute, real).")

    stats_ttl = Float(
        10.0,
        config=True,
        help="""Seconds a share's file count, size and modification time are reused
        before they are measured again (in the background). Writes through the
        Contents API refresh them at once.""",
    )

    stats_budget = Float(
        0.5,
        config=True,
        help="""Seconds a listing waits for statistics not measured yet; shares still
        being measured are listed with null counts.""",
    )

    def __init__(self, **kwargs: t.Any):
        super().__init__(**kwargs)
        self._lock = threading.RLock()
        self._shares: dict[str, Share] = {}
        self._read_only_real: tuple[str, ...] = ()
        self._checked = 0.0
        self.stats = ShareStats(self.stats_ttl)

    # -- what subclasses provide ----------------------------------------------------------
    def load(self) -> list[Share]:
        """Read every share from the source."""
        raise NotImplementedError

    def source_changed(self) -> bool:
        """Cheaply: whether the source may have changed since the last :meth:`load`."""
        raise NotImplementedError

    def store_new(self, share: Share) -> None:
        raise ShareError(403, self.refusal())

    def store_permission(self, share: Share, permission: str) -> None:
        raise ShareError(403, self.refusal())

    def store_removal(self, share: Share) -> None:
        raise ShareError(403, self.refusal())

    def refusal(self) -> str:
        return "Project shares here are managed by the platform that started this session."

    def source_model(self) -> t.Any:
        """Where the shares come from, as ``GET shares`` says it (``source``)."""
        return self.kind

    def describe(self) -> str:
        """Where the shares come from, for people."""
        return self.kind

    def close(self) -> None:
        self.stats.close()

    # -- reading --------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Reload when the source changed; looks at most once a second unless forced."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._checked < REFRESH_INTERVAL:
                return
            self._checked = now
            if not force and not self.source_changed():
                return
            shares = self.load()
            self._shares = {share.key: share for share in shares}
            self._read_only_real = tuple(
                os.path.realpath(self.os_path(share)) for share in shares if share.read_only
            )

    def list_shares(self) -> list[Share]:
        self.refresh()
        with self._lock:
            return sorted(self._shares.values(), key=lambda share: share.key)

    def get_share(self, project: str, model: str) -> Share:
        check_slug(project, "project")
        check_slug(model, "model")
        self.refresh()
        share = self._shares.get(f"{project}/{model}")
        if share is None:
            raise ShareError(404, f"There is no share {project}/{model}.")
        return share

    def os_path(self, share: Share) -> str:
        return os.path.join(self.root_dir, *share.path.split("/"))

    def path_for(self, project: str, model: str) -> str:
        """The contents API path of the share folder of (project, model)."""
        base = os.path.relpath(self.shares_root, self.root_dir)
        parts = [] if base == "." else base.split(os.sep)
        return "/".join([*parts, project, model])

    @property
    def shares_root_path(self) -> str:
        """``shares_root`` as a contents API path ("" for the server's root)."""
        base = os.path.relpath(self.shares_root, self.root_dir)
        return "" if base == "." else base.replace(os.sep, "/")

    # -- the read-only check (installed into the policy) -----------------------------------
    def _real(self, api_path: str) -> str:
        return real_path(os.path.join(self.root_dir, api_path.strip("/")))

    def is_read_only(self, api_path: str) -> bool:
        """Whether ``api_path`` (symbolic links resolved) lies in a read-only share."""
        self.refresh()
        read_only = self._read_only_real
        if not read_only:
            return False
        real = self._real(api_path)
        return any(is_within(real, root) for root in read_only)

    def read_only_shares_under(self, api_path: str) -> list[Share]:
        """The read-only shares that removing or moving ``api_path`` would take along."""
        self.refresh()
        if not self._read_only_real:
            return []
        real = self._real(api_path)
        with self._lock:
            shares = list(self._shares.values())
        return [
            share
            for share in shares
            if share.read_only and is_within(os.path.realpath(self.os_path(share)), real)
        ]

    def touched(self, api_path: str) -> None:
        """Something was written at ``api_path``: forget the statistics it changes."""
        if not self.stats.cached_paths():
            return
        real = self._real(api_path)
        for cached in self.stats.cached_paths():
            if is_within(real, os.path.realpath(cached)) or is_within(cached, real):
                self.stats.forget(cached)

    # -- statistics ------------------------------------------------------------------------
    async def measured(self, shares: list[Share]) -> dict[str, FolderStats | None]:
        paths = {share.key: self.os_path(share) for share in shares}
        found = await self.stats.gather(list(paths.values()), self.stats_budget)
        return {key: found.get(path) for key, path in paths.items()}

    def model(self, share: Share, stats: FolderStats | None) -> dict[str, t.Any]:
        os_path = self.os_path(share)
        exists = os.path.isdir(os_path)
        return {
            "project": share.project,
            "model": share.model,
            "project_name": share.project_name or share.project,
            "model_name": share.model_name or share.model,
            "path": share.path,
            "permission": share.permission,
            "files": stats.files if stats else None,
            "bytes": stats.bytes if stats else None,
            "modified": stats.modified_iso if stats else None,
            "exists": exists,
            "filesystem_read_only": exists and filesystem_read_only(os_path),
            "created": share.created,
        }

    # -- changes ---------------------------------------------------------------------------
    def create(
        self, project_name: t.Any, model_name: t.Any, permission: t.Any = READ_WRITE
    ) -> Share:
        if self.managed:
            raise ShareError(403, self.refusal())
        project = slug_of(project_name, "project")
        model = slug_of(model_name, "model")
        permission = check_permission(permission)
        self.refresh(force=True)
        if f"{project}/{model}" in self._shares:
            raise ShareError(409, f"The share {project}/{model} exists already.")
        share = Share(
            project=project,
            model=model,
            path=self.path_for(project, model),
            permission=permission,
            project_name=project_name.strip(),
            model_name=model_name.strip(),
            created=_utc_iso(),
        )
        self._make_folder(project, model)
        self.store_new(share)
        self.refresh(force=True)
        self.log.info("capella-share: created the %s share %s", permission, share.key)
        return self._shares[share.key]

    def set_permission(self, project: str, model: str, permission: t.Any) -> Share:
        if self.managed:
            raise ShareError(403, self.refusal())
        share = self.get_share(project, model)
        permission = check_permission(permission)
        if permission != share.permission:
            self.store_permission(share, permission)
            self.refresh(force=True)
            self.log.info("capella-share: share %s is now %s", share.key, permission)
        return self._shares[share.key]

    def move_out_of_sight(self, project: str, model: str, confirm: t.Any) -> str | None:
        """First step of a delete: forget the share and rename its folder into the
        hidden trash, atomically. Returns where it went (None: it had no folder)."""
        if self.managed:
            raise ShareError(403, self.refusal())
        share = self.get_share(project, model)
        if confirm != share.key:
            raise ShareError(
                400,
                f'Deleting a share removes all its files for good. To confirm, send {{"confirm": '
                f'"{share.key}"}}.',
            )
        os_path = self.os_path(share)
        with self._lock:
            try:
                trashed = deletion.move_to_trash(
                    os_path, self.shares_root, (share.project, share.model)
                )
            except OSError as error:
                raise ShareError(
                    409,
                    f"Cannot delete {share.key}: {error.strerror or error}. Nothing was deleted.",
                ) from None
            try:
                self.store_removal(share)
            except Exception:
                if trashed is not None:
                    os.rename(trashed, os_path)
                raise
            self.refresh(force=True)
            self._remove_empty_project_folder(os.path.dirname(os_path))
        self.stats.forget(os_path)
        self.log.info("capella-share: deleting share %s", share.key)
        return trashed

    def _remove_empty_project_folder(self, folder: str) -> None:
        """A project's folder, made with its first share, goes with its last one
        (when nothing else was put in it): left empty, everyone would still see it."""
        if folder != self.shares_root and is_within(folder, self.shares_root):
            with contextlib.suppress(OSError):  # not empty, or gone: it stays
                os.rmdir(folder)

    def clean_trash(self) -> tuple[int, int]:
        """Finish what interrupted deletes left behind: a share whose folder went
        into the trash is forgotten (if the delete stopped before that), then the
        trash is emptied."""
        if not self.managed:
            for project, model in deletion.trashed_keys(self.shares_root):
                try:
                    share = self.get_share(project, model)
                except ShareError:
                    continue  # forgotten already
                if not os.path.lexists(self.os_path(share)):
                    with self._lock:
                        self.store_removal(share)
                        self.refresh(force=True)
                    self.log.info("capella-share: finished deleting share %s", share.key)
        return deletion.empty_trash(self.shares_root)

    def _make_folder(self, project: str, model: str) -> None:
        """Make ``<shares_root>/<project>/<model>``, refusing anything that is not a
        plain folder on the way (a symbolic link could lead out of the root)."""
        path = self.shares_root
        for part in (project, model):
            path = os.path.join(path, part)
            try:
                os.mkdir(path)
            except FileExistsError:
                mode = os.lstat(path).st_mode
                if not stat.S_ISDIR(mode):
                    raise ShareError(
                        409,
                        f"{os.path.relpath(path, self.root_dir)!r} exists and is not a folder "
                        "(a file or a symbolic link); move it away or choose another name.",
                    ) from None
            except OSError as error:
                if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise ShareError(
                        409, f"Cannot make the share folder: {error.strerror}."
                    ) from None
                raise
        if not is_within(os.path.realpath(path), self.shares_root):
            raise ShareError(409, "The share folder would lie outside the shares root.")


def _utc_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


__all__ = [
    "PERMISSIONS",
    "READ_ONLY",
    "READ_WRITE",
    "SLUG_RE",
    "Share",
    "ShareError",
    "ShareProvider",
    "check_permission",
    "check_slug",
    "is_within",
    "slug_of",
]
