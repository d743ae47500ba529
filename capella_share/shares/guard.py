"""Read-only project shares, enforced in the contents manager.

:class:`ReadOnlyShareGuardMixin` is put in front of whatever contents manager
class the server is configured with (async or not). Every write the Contents API
can make goes through one of the methods below; each asks the policy whether the
path may be written, whoever asks: a read-only share is read-only for everyone,
and a request's own rights (a view guest's) are the Authorizer's business.
The principal of the request is used for one thing only: the ``writable`` flag of
the models returned, so JupyterLab opens what the user may not change read-only.

Every path is first checked for its form (:mod:`.paths`), so that a malformed
path is a 400 with a reason, never a 500 or a write somewhere else.

The file system may refuse a write the policy allows: a read-only mount that is
no share, a folder without write permission. jupyter_server answers most of those
with a 500; here they are a 403 that says why. A folder that is or holds a mount
point is not deleted or moved: removing it would empty the mounted volume first
and then fail.
"""

from __future__ import annotations

import contextvars
import errno
import inspect
import os
import typing as t

from tornado import web

from .. import policy, scope
from ..contextcall import call_with
from ..principal import current_principal
from .mounts import mount_points_within
from .paths import CHANGE, CREATE, READ, check_path, path_checked_files_handler
from .provider import is_within

if t.TYPE_CHECKING:
    from .provider import ShareProvider


def _after(result: t.Any, then: t.Callable[[t.Any], t.Any]) -> t.Any:
    """``then(result)``, once ``result`` is there (either may be awaitable)."""
    if inspect.isawaitable(result):

        async def finish() -> t.Any:
            value = then(await result)
            return await value if inspect.isawaitable(value) else value

        return finish()
    return then(result)


#: The folder whose listing the running request is making: the models of its
#: entries are marked together with it, once it is made.
_LISTED: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "capella_share_listed", default=None
)


def _in_listing(path: t.Any) -> bool:
    """Whether ``path`` names an entry of the folder being listed: jupyter_server
    joins the folder's checked path and a name it read from the disk, which no
    check of ours would refuse."""
    folder = _LISTED.get()
    if folder is None or not isinstance(path, str):
        return False
    parent, _, name = path.strip("/").rpartition("/")
    return parent == folder and name not in ("", ".", "..")


def _listing(folder: str, call: t.Callable[[], t.Any], then: t.Callable[[t.Any], t.Any]) -> t.Any:
    """``then(call())``, with ``folder`` named as the one being listed while the
    manager makes the model (in the task that awaits it, when it is awaitable)."""
    return call_with(_LISTED, folder, call, then)


#: What the file system says when it will not let anything be written there.
REFUSING_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def _os_refusal(error: BaseException) -> OSError | None:
    """The file system's refusal behind ``error`` (jupyter_server wraps it in a
    500, or in its own 403), if that is what it was."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in REFUSING_ERRNOS:
            return current
        if current.__cause__ is not None or current.__suppress_context__:
            current = current.__cause__
        else:
            current = current.__context__
    return None


def _on_read_only_file_system(os_path: str | None) -> bool:
    """Whether ``os_path`` (or the nearest folder above it that exists) is on a
    read-only mount: jupyter_server's own check says EACCES for that."""
    while os_path:
        try:
            return bool(os.statvfs(os_path).f_flag & os.ST_RDONLY)
        except FileNotFoundError:
            parent = os.path.dirname(os_path)
            os_path = parent if parent != os_path else None
        except OSError:
            return False
    return False


def _refusal_message(code: int, what: str, path: str | None) -> str:
    path = (path or "").strip("/")
    if code == errno.EROFS:
        return (
            f"Cannot {what} {path!r}: it is on a read-only file system (a volume mounted "
            "read-only), so nothing there can be changed. Save a copy in a writable folder."
        )
    return (
        f"Cannot {what} {path!r}: the file system does not allow it ({os.strerror(code)}). "
        "Save a copy in a folder you may write to, or ask whoever manages these files "
        "for write access."
    )


def _refused_by_os(
    what: str, path: str | None, call: t.Callable[[], t.Any], os_path: str | None = None
) -> t.Any:
    """``call()`` (a write at ``path``, ``os_path`` on disk; its result may be
    awaitable), with a refusal of the file system answered as a 403 saying so."""

    def translate(error: Exception) -> None:
        refusal = _os_refusal(error)
        # jupyter_server's own 403 ("Permission denied": it asks access() first)
        denied = isinstance(error, web.HTTPError) and error.status_code == 403
        if refusal is None and not denied:
            return
        where = (refusal.filename if refusal is not None else None) or os_path
        read_only = refusal is not None and refusal.errno == errno.EROFS
        if read_only or _on_read_only_file_system(where):
            code = errno.EROFS
        elif refusal is not None:
            code = refusal.errno or errno.EACCES
        else:
            return  # that 403 says why already
        raise web.HTTPError(403, _refusal_message(code, what, path)) from error

    try:
        result = call()
    except Exception as error:
        translate(error)
        raise
    if not inspect.isawaitable(result):
        return result

    async def finish() -> t.Any:
        try:
            return await result
        except Exception as error:
            translate(error)
            raise

    return finish()


class ReadOnlyShareGuardMixin:
    """Refuses writes under read-only shares with 403; marks models not writable."""

    #: Set by the server extension once its share provider exists.
    share_provider: ShareProvider | None = None

    def _read_only(self, path: str) -> bool:
        """Whether ``path`` lies in a read-only share (the policy's path check)."""
        provider = self.share_provider
        return provider is not None and provider.is_read_only(path)

    # -- the checks ------------------------------------------------------------------------
    def _checked(self, path: t.Any, use: str) -> str:
        """``path`` checked for its form and against the requesting guest's scope."""
        action = policy.READ if use == READ else policy.WRITE
        return scope.checked(check_path(path, use), action, getattr(self, "root_dir", None))

    def _refuse_scope_removal(self, path: str, what: str) -> None:
        """A scoped guest may not move or delete the very folder or file its link
        shares (as nobody may move the server's root)."""
        principal = current_principal()
        if principal.scope and path.strip("/") == principal.scope:
            raise web.HTTPError(
                403,
                f"Cannot {what} {principal.scope!r}: it is what this link shares; only the "
                "session's owner may move or delete it.",
            )

    def _way_down(self, model: t.Any) -> t.Any:
        """A folder above a scoped guest's scope, listed with only the entry that
        leads down to the scope."""
        principal = current_principal()
        if (
            isinstance(model, dict)
            and isinstance(model.get("content"), list)
            and policy.leads_to_scope(principal, model.get("path", ""))
        ):
            name = policy.way_down(principal, model["path"])
            model["content"] = [
                entry
                for entry in model["content"]
                if isinstance(entry, dict) and entry.get("name") == name
            ]
        return model

    def _refuse_write(self, path: str | None, what: str) -> None:
        path = (path or "").strip("/")
        if not policy.allows(policy.OWNER, policy.WRITE, "contents", path, self._read_only):
            raise web.HTTPError(
                403,
                f"Cannot {what} {path!r}: it lies in a read-only project share. "
                f"{self._share_named(path)}Ask the share's owner to make it read-write, "
                "or save a copy elsewhere.",
            )

    def _share_named(self, path: str) -> str:
        """A sentence naming the read-only share ``path`` lies in ("" if none is found)."""
        provider = self.share_provider
        if provider is None:
            return ""
        real = os.path.realpath(os.path.join(provider.root_dir, path))
        for share in provider.list_shares():
            if share.read_only and is_within(real, os.path.realpath(provider.os_path(share))):
                return f"That share is {share.path!r} ({share.key}), read-only in this session. "
        return ""

    def _refuse_mount_removal(self, path: str | None, what: str) -> None:
        """A 409 when ``path`` is or holds a mount point: deleting would empty the
        mounted volume and then fail, moving fails (or copies it all)."""
        root = getattr(self, "root_dir", None)
        if not root:
            return
        path = (path or "").strip("/")
        real = os.path.realpath(os.path.join(root, path))
        points = mount_points_within(real)
        if points:
            shown = os.path.relpath(points[0], os.path.realpath(root)).replace(os.sep, "/")
            raise web.HTTPError(
                409,
                f"Cannot {what} {path!r}: {shown!r} is a mounted volume, and its mount point "
                "cannot be removed or moved here (the files inside it can). Ask whoever "
                "mounted it to unmount it.",
            )

    def _refuse_removal(self, path: str | None, what: str) -> None:
        """Removing or moving ``path`` also takes every share below it along."""
        self._refuse_scope_removal(path or "", what)
        self._refuse_write(path, what)
        provider = self.share_provider
        if provider is None:
            return
        for share in provider.read_only_shares_under((path or "").strip("/")):
            if not policy.allows(
                policy.OWNER, policy.WRITE, "contents", share.path, self._read_only
            ):
                raise web.HTTPError(
                    403,
                    f"Cannot {what} {path!r}: it holds the read-only project share {share.path!r}.",
                )

    def _written(self, *paths: str | None) -> t.Callable[[t.Any], t.Any]:
        def note(result: t.Any) -> t.Any:
            provider = self.share_provider
            if provider is not None:
                for path in paths:
                    provider.touched((path or "").strip("/"))
            return result

        return note

    def _mark(self, model: t.Any) -> t.Any:
        """``writable: false`` for what the requesting principal may not write; the
        entries of a folder's listing are judged with it (:meth:`_mark_entries`)."""
        if not isinstance(model, dict):
            return model
        principal = current_principal()
        path = model["path"]
        writable = policy.allows(principal, policy.WRITE, "contents", path, self._read_only)
        if not writable:
            model["writable"] = False
        if model.get("type") == "directory" and isinstance(model.get("content"), list):
            self._mark_entries(principal, path, writable, model["content"])
        return model

    def _mark_entries(
        self, principal: policy.Principal, folder: str, writable: bool, entries: list[t.Any]
    ) -> None:
        """Mark the entries of ``folder`` at once rather than resolving each one's
        real path. Nothing in a folder the principal may not write is writable. In
        one it may, an entry that is no symbolic link lies where its name says, so
        it is in a read-only share only if it is one's root: only those entries and
        symbolic links (which may point into one) are judged on their own."""
        models = [entry for entry in entries if isinstance(entry, dict) and entry.get("writable")]
        if not writable:
            for entry in models:
                entry["writable"] = False
            return
        provider, root = self.share_provider, getattr(self, "root_dir", None)
        if provider is None or not models:
            return  # no share, nothing read-only: the folder's answer is its entries'
        own = self._entries_on_their_own(provider, root, folder)
        for entry in models:
            name = entry.get("name")
            alone = own is None or name not in own[1] or name in own[0]
            read_only = self._read_only if alone else policy.nothing_read_only
            if not policy.allows(principal, policy.WRITE, "contents", entry["path"], read_only):
                entry["writable"] = False

    @staticmethod
    def _entries_on_their_own(
        provider: ShareProvider, root: str | None, folder: str
    ) -> tuple[set[str], set[str]] | None:
        """(names of ``folder``'s entries judged on their own: symbolic links and
        read-only share roots or the folders above one, names of its other entries);
        None when the folder cannot be read: then every entry is judged alone."""
        if not root:
            return None
        os_folder = os.path.join(root, folder)
        try:
            with os.scandir(os_folder) as found:
                kinds = {entry.name: entry.is_symlink() for entry in found}
        except OSError:
            return None
        real = os.path.realpath(os_folder)
        alone = {name for name, link in kinds.items() if link}
        for share in provider.read_only_shares_under(folder):
            below = os.path.relpath(os.path.realpath(provider.os_path(share)), real)
            if below != ".":
                alone.add(below.split(os.sep, 1)[0])
        return alone, set(kinds) - alone

    def _check_target(self, model: t.Any, path: str) -> t.Any:
        """A 404 when the folder to save in is missing, a 409 when a file would take
        a folder's place: jupyter_server answers both with a 500."""
        path = path.strip("/")
        parent = path.rpartition("/")[0]

        def parent_checked(exists: bool) -> t.Any:
            if not exists:
                raise web.HTTPError(
                    404, f"There is no folder {parent!r} to save {path!r} in; create it first."
                )
            if isinstance(model, dict) and model.get("type") in ("file", "notebook"):
                return _after(self.dir_exists(path), folder_checked)
            return None

        def folder_checked(is_folder: bool) -> None:
            if is_folder:
                raise web.HTTPError(
                    409, f"{path!r} is a folder: a file cannot be saved in its place."
                )

        return _after(self.dir_exists(parent), parent_checked)

    def _refuse_unwritable_folder(self, path: str, what: str) -> None:
        """A 403 when the folder ``path`` lies in cannot be written: moving out of
        it onto another file system would copy everything, then fail to remove it."""
        root = getattr(self, "root_dir", None)
        if not root:
            return
        folder = os.path.dirname(os.path.join(root, path.strip("/")))
        try:
            read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except OSError:
            return  # whatever is wrong, the move itself will say
        if read_only or not os.access(folder, os.W_OK):
            code = errno.EROFS if read_only else errno.EACCES
            raise web.HTTPError(403, _refusal_message(code, what, path))

    def _os_refusals(self, what: str, path: str | None, call: t.Callable[[], t.Any]) -> t.Any:
        root = getattr(self, "root_dir", None)
        os_path = os.path.join(root, (path or "").strip("/")) if root else None
        return _refused_by_os(what, path, call, os_path)

    def _move_target(self, new_path: t.Any) -> str:
        target = self._checked(new_path, CREATE)
        if not target:
            raise web.HTTPError(400, "Name the path to move to: it cannot be the root folder.")
        return target

    # -- reading ---------------------------------------------------------------------------
    def get(self, path: str, *args: t.Any, **kwargs: t.Any) -> t.Any:
        got = super().get  # type:ignore[misc]
        content = args[0] if args else kwargs.get("content", True)
        if not content and _in_listing(path):
            return got(path, *args, **kwargs)  # marked with the listing it is part of
        checked = self._checked(path, READ)
        if content:
            return _listing(
                checked,
                lambda: got(path, *args, **kwargs),
                lambda model: self._way_down(self._mark(model)),
            )
        return _after(got(path, *args, **kwargs), self._mark)

    def file_exists(self, path: str = "") -> t.Any:
        self._checked(path, READ)
        return super().file_exists(path)  # type:ignore[misc]

    def dir_exists(self, path: str) -> t.Any:
        self._checked(path, READ)
        return super().dir_exists(path)  # type:ignore[misc]

    def exists(self, path: str) -> t.Any:
        if not _in_listing(path):
            self._checked(path, READ)
        return super().exists(path)  # type:ignore[misc]

    def is_hidden(self, path: str) -> t.Any:
        self._checked(path, READ)
        return super().is_hidden(path)  # type:ignore[misc]

    def list_checkpoints(self, path: str) -> t.Any:
        self._checked(path, READ)
        listing = super().list_checkpoints  # type:ignore[misc]
        return self._on_file(path, lambda: listing(path))

    def trust_notebook(self, path: str) -> t.Any:
        self._checked(path, READ)
        return super().trust_notebook(path)  # type:ignore[misc]

    def get_extra_handlers(self) -> list[tuple[str, t.Any, dict[str, t.Any]]]:
        """``files/<path>`` with its path checked like every other."""
        return [
            (pattern, path_checked_files_handler(handler), *rest)
            for pattern, handler, *rest in super().get_extra_handlers()  # type:ignore[misc]
        ]

    # -- every write -----------------------------------------------------------------------
    def save(self, model: dict[str, t.Any], path: str = "") -> t.Any:
        self._checked(path, CREATE)
        self._refuse_write(path, "save")
        save = super().save  # type:ignore[misc]
        return _after(
            self._check_target(model, path),
            lambda _: _after(
                self._os_refusals("save", path, lambda: save(model, path)), self._written(path)
            ),
        )

    def new_untitled(self, path: str = "", *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._checked(path, CHANGE)
        self._refuse_write(path, "create a file in")
        new_untitled = super().new_untitled  # type:ignore[misc]
        return self._os_refusals(
            "create a file in", path, lambda: new_untitled(path, *args, **kwargs)
        )

    def new(self, model: dict[str, t.Any] | None = None, path: str = "") -> t.Any:
        self._checked(path, CREATE)
        self._refuse_write(path, "create")
        new = super().new  # type:ignore[misc]
        return self._os_refusals("create", path, lambda: new(model, path))

    def copy(self, from_path: str, to_path: str | None = None) -> t.Any:
        self._checked(from_path, CHANGE)
        if to_path is not None:
            self._checked(to_path, CREATE)
        target = to_path if to_path is not None else from_path.strip("/").rpartition("/")[0]
        self._checked(target, CREATE)
        self._refuse_write(target, "copy into")
        copy = super().copy  # type:ignore[misc]
        return self._os_refusals("copy into", target, lambda: copy(from_path, to_path))

    def delete(self, path: str) -> t.Any:
        self._checked(path, CHANGE)
        self._refuse_removal(path, "delete")
        delete = super().delete  # type:ignore[misc]
        return _after(self._os_refusals("delete", path, lambda: delete(path)), self._written(path))

    def delete_file(self, path: str) -> t.Any:
        self._checked(path, CHANGE)
        self._refuse_removal(path, "delete")
        self._refuse_mount_removal(path, "delete")
        delete_file = super().delete_file  # type:ignore[misc]
        return self._os_refusals("delete", path, lambda: delete_file(path))

    def rename(self, old_path: str, new_path: str) -> t.Any:
        self._checked(old_path, CHANGE)
        self._move_target(new_path)
        self._refuse_removal(old_path, "move")
        self._refuse_write(new_path, "move a file to")
        rename = super().rename  # type:ignore[misc]
        result = self._os_refusals("move", old_path, lambda: rename(old_path, new_path))
        return _after(result, self._written(old_path, new_path))

    def rename_file(self, old_path: str, new_path: str) -> t.Any:
        self._checked(old_path, CHANGE)
        self._move_target(new_path)
        self._refuse_removal(old_path, "move")
        self._refuse_write(new_path, "move a file to")
        self._refuse_mount_removal(old_path, "move")
        self._refuse_unwritable_folder(old_path, "move")
        rename_file = super().rename_file  # type:ignore[misc]
        return self._os_refusals("move", old_path, lambda: rename_file(old_path, new_path))

    def update(self, model: dict[str, t.Any], path: str) -> t.Any:
        path = self._checked(path, CHANGE)
        if not isinstance(model, dict):
            raise web.HTTPError(
                400, 'The request body must be a JSON object such as {"path": ...}.'
            )
        if "path" in model:
            new_path = model["path"]
            if not isinstance(new_path, str) or new_path.strip("/") != path:
                self._move_target(new_path)
                self._refuse_removal(path, "move")
                self._refuse_write(new_path, "move a file to")
        update = super().update  # type:ignore[misc]
        return self._os_refusals("change", path, lambda: update(model, path))

    def create_checkpoint(self, path: str) -> t.Any:
        self._checked(path, CHANGE)
        self._refuse_write(path, "checkpoint")
        create = super().create_checkpoint  # type:ignore[misc]
        return self._on_file(
            path, lambda: self._os_refusals("checkpoint", path, lambda: create(path))
        )

    def restore_checkpoint(self, checkpoint_id: str, path: str) -> t.Any:
        self._checked(path, CHANGE)
        self._refuse_write(path, "restore a checkpoint of")
        restore = super().restore_checkpoint  # type:ignore[misc]
        listing = super().list_checkpoints  # type:ignore[misc]

        def known(checkpoints: list[dict[str, t.Any]]) -> t.Any:
            if checkpoint_id not in {checkpoint.get("id") for checkpoint in checkpoints}:
                raise web.HTTPError(404, f"{path!r} has no checkpoint {checkpoint_id!r}.")
            restored = self._os_refusals(
                "restore a checkpoint of", path, lambda: restore(checkpoint_id, path)
            )
            return _after(restored, self._written(path))

        return self._on_file(path, lambda: _after(listing(path), known))

    def delete_checkpoint(self, checkpoint_id: str, path: str) -> t.Any:
        self._checked(path, CHANGE)
        self._refuse_write(path, "delete a checkpoint of")
        delete = super().delete_checkpoint  # type:ignore[misc]
        return self._on_file(
            path,
            lambda: self._os_refusals(
                "delete a checkpoint of", path, lambda: delete(checkpoint_id, path)
            ),
        )

    def _on_file(self, path: str, then: t.Callable[[], t.Any]) -> t.Any:
        """``then()`` once ``path`` is known to be a file: for a file that is not there,
        jupyter_server makes a checkpoint folder, or answers with a 500."""

        def checked(exists: bool) -> t.Any:
            if not exists:
                raise web.HTTPError(404, f"There is no file {path!r}.")
            return then()

        return _after(self.file_exists(path), checked)


__all__ = ["ReadOnlyShareGuardMixin"]
