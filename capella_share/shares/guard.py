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
"""

from __future__ import annotations

import inspect
import typing as t

from tornado import web

from .. import policy
from ..identity import current_principal
from .paths import CHANGE, CREATE, READ, check_path, path_checked_files_handler

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


class ReadOnlyShareGuardMixin:
    """Refuses writes under read-only shares with 403; marks models not writable."""

    #: Set by the server extension once its share provider exists.
    share_provider: ShareProvider | None = None

    # -- the checks ------------------------------------------------------------------------
    @staticmethod
    def _refuse_write(path: str | None, what: str) -> None:
        path = (path or "").strip("/")
        if not policy.allows(policy.OWNER, policy.WRITE, "contents", path):
            raise web.HTTPError(
                403,
                f"Cannot {what} {path!r}: it lies in a read-only project share. "
                "Ask the share's owner to make it read-write, or save a copy elsewhere.",
            )

    def _refuse_removal(self, path: str | None, what: str) -> None:
        """Removing or moving ``path`` also takes every share below it along."""
        self._refuse_write(path, what)
        provider = self.share_provider
        if provider is None:
            return
        for share in provider.read_only_shares_under((path or "").strip("/")):
            if not policy.allows(policy.OWNER, policy.WRITE, "contents", share.path):
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
        """``writable: false`` for what the requesting principal may not write."""
        if not isinstance(model, dict) or not model.get("writable"):
            return model
        if not policy.allows(current_principal.get(), policy.WRITE, "contents", model["path"]):
            model["writable"] = False
            if model.get("type") == "directory" and isinstance(model.get("content"), list):
                for child in model["content"]:
                    if isinstance(child, dict):
                        child["writable"] = False
        return model

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

    @staticmethod
    def _move_target(new_path: t.Any) -> str:
        target = check_path(new_path, CREATE)
        if not target:
            raise web.HTTPError(400, "Name the path to move to: it cannot be the root folder.")
        return target

    # -- reading ---------------------------------------------------------------------------
    def get(self, path: str, *args: t.Any, **kwargs: t.Any) -> t.Any:
        check_path(path, READ)
        return _after(super().get(path, *args, **kwargs), self._mark)  # type:ignore[misc]

    def file_exists(self, path: str = "") -> t.Any:
        check_path(path, READ)
        return super().file_exists(path)  # type:ignore[misc]

    def dir_exists(self, path: str) -> t.Any:
        check_path(path, READ)
        return super().dir_exists(path)  # type:ignore[misc]

    def exists(self, path: str) -> t.Any:
        check_path(path, READ)
        return super().exists(path)  # type:ignore[misc]

    def is_hidden(self, path: str) -> t.Any:
        check_path(path, READ)
        return super().is_hidden(path)  # type:ignore[misc]

    def list_checkpoints(self, path: str) -> t.Any:
        check_path(path, READ)
        listing = super().list_checkpoints  # type:ignore[misc]
        return self._on_file(path, lambda: listing(path))

    def trust_notebook(self, path: str) -> t.Any:
        check_path(path, READ)
        return super().trust_notebook(path)  # type:ignore[misc]

    def get_extra_handlers(self) -> list[tuple]:
        """``files/<path>`` with its path checked like every other."""
        return [
            (pattern, path_checked_files_handler(handler), *rest)
            for pattern, handler, *rest in super().get_extra_handlers()  # type:ignore[misc]
        ]

    # -- every write -----------------------------------------------------------------------
    def save(self, model: dict, path: str = "") -> t.Any:
        check_path(path, CREATE)
        self._refuse_write(path, "save")
        save = super().save  # type:ignore[misc]
        return _after(
            self._check_target(model, path),
            lambda _: _after(save(model, path), self._written(path)),
        )

    def new_untitled(self, path: str = "", *args: t.Any, **kwargs: t.Any) -> t.Any:
        check_path(path, CHANGE)
        self._refuse_write(path, "create a file in")
        return super().new_untitled(path, *args, **kwargs)  # type:ignore[misc]

    def new(self, model: dict | None = None, path: str = "") -> t.Any:
        check_path(path, CREATE)
        self._refuse_write(path, "create")
        return super().new(model, path)  # type:ignore[misc]

    def copy(self, from_path: str, to_path: str | None = None) -> t.Any:
        check_path(from_path, CHANGE)
        if to_path is not None:
            check_path(to_path, CREATE)
        target = to_path if to_path is not None else from_path.strip("/").rpartition("/")[0]
        self._refuse_write(target, "copy into")
        return super().copy(from_path, to_path)  # type:ignore[misc]

    def delete(self, path: str) -> t.Any:
        check_path(path, CHANGE)
        self._refuse_removal(path, "delete")
        return _after(super().delete(path), self._written(path))  # type:ignore[misc]

    def delete_file(self, path: str) -> t.Any:
        check_path(path, CHANGE)
        self._refuse_removal(path, "delete")
        return super().delete_file(path)  # type:ignore[misc]

    def rename(self, old_path: str, new_path: str) -> t.Any:
        check_path(old_path, CHANGE)
        self._move_target(new_path)
        self._refuse_removal(old_path, "move")
        self._refuse_write(new_path, "move a file to")
        result = super().rename(old_path, new_path)  # type:ignore[misc]
        return _after(result, self._written(old_path, new_path))

    def rename_file(self, old_path: str, new_path: str) -> t.Any:
        check_path(old_path, CHANGE)
        self._move_target(new_path)
        self._refuse_removal(old_path, "move")
        self._refuse_write(new_path, "move a file to")
        return super().rename_file(old_path, new_path)  # type:ignore[misc]

    def update(self, model: dict, path: str) -> t.Any:
        path = check_path(path, CHANGE)
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
        return super().update(model, path)  # type:ignore[misc]

    def create_checkpoint(self, path: str) -> t.Any:
        check_path(path, CHANGE)
        self._refuse_write(path, "checkpoint")
        create = super().create_checkpoint  # type:ignore[misc]
        return self._on_file(path, lambda: create(path))

    def restore_checkpoint(self, checkpoint_id: str, path: str) -> t.Any:
        check_path(path, CHANGE)
        self._refuse_write(path, "restore a checkpoint of")
        restore = super().restore_checkpoint  # type:ignore[misc]
        listing = super().list_checkpoints  # type:ignore[misc]

        def known(checkpoints: list[dict]) -> t.Any:
            if checkpoint_id not in {checkpoint.get("id") for checkpoint in checkpoints}:
                raise web.HTTPError(404, f"{path!r} has no checkpoint {checkpoint_id!r}.")
            return _after(restore(checkpoint_id, path), self._written(path))

        return self._on_file(path, lambda: _after(listing(path), known))

    def delete_checkpoint(self, checkpoint_id: str, path: str) -> t.Any:
        check_path(path, CHANGE)
        self._refuse_write(path, "delete a checkpoint of")
        delete = super().delete_checkpoint  # type:ignore[misc]
        return self._on_file(path, lambda: delete(checkpoint_id, path))

    def _on_file(self, path: str, then: t.Callable[[], t.Any]) -> t.Any:
        """``then()`` once ``path`` is known to be a file: for a file that is not there,
        jupyter_server makes a checkpoint folder, or answers with a 500."""

        def checked(exists: bool) -> t.Any:
            if not exists:
                raise web.HTTPError(404, f"There is no file {path!r}.")
            return then()

        return _after(self.file_exists(path), checked)


__all__ = ["ReadOnlyShareGuardMixin"]
