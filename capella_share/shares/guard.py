"""Read-only project shares, enforced in the contents manager.

:class:`ReadOnlyShareGuardMixin` is put in front of whatever contents manager
class the server is configured with (async or not). Every write the Contents API
can make goes through one of the methods below; each asks the policy whether the
path may be written, whoever asks: a read-only share is read-only for everyone,
and a request's own rights (a view guest's) are the Authorizer's business.
The principal of the request is used for one thing only: the ``writable`` flag of
the models returned, so JupyterLab opens what the user may not change read-only.
"""

from __future__ import annotations

import inspect
import typing as t

from tornado import web

from .. import policy
from ..identity import current_principal

if t.TYPE_CHECKING:
    from .provider import ShareProvider


def _after(result: t.Any, then: t.Callable[[t.Any], t.Any]) -> t.Any:
    """``then(result)``, once ``result`` is there (it may be awaitable)."""
    if inspect.isawaitable(result):

        async def finish() -> t.Any:
            return then(await result)

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

    # -- reading ---------------------------------------------------------------------------
    def get(self, path: str, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return _after(super().get(path, *args, **kwargs), self._mark)  # type:ignore[misc]

    # -- every write -----------------------------------------------------------------------
    def save(self, model: dict, path: str = "") -> t.Any:
        self._refuse_write(path, "save")
        return _after(super().save(model, path), self._written(path))  # type:ignore[misc]

    def new_untitled(self, path: str = "", *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._refuse_write(path, "create a file in")
        return super().new_untitled(path, *args, **kwargs)  # type:ignore[misc]

    def new(self, model: dict | None = None, path: str = "") -> t.Any:
        self._refuse_write(path, "create")
        return super().new(model, path)  # type:ignore[misc]

    def copy(self, from_path: str, to_path: str | None = None) -> t.Any:
        target = to_path if to_path is not None else from_path.strip("/").rpartition("/")[0]
        self._refuse_write(target, "copy into")
        return super().copy(from_path, to_path)  # type:ignore[misc]

    def delete(self, path: str) -> t.Any:
        self._refuse_removal(path, "delete")
        return _after(super().delete(path), self._written(path))  # type:ignore[misc]

    def delete_file(self, path: str) -> t.Any:
        self._refuse_removal(path, "delete")
        return super().delete_file(path)  # type:ignore[misc]

    def rename(self, old_path: str, new_path: str) -> t.Any:
        self._refuse_removal(old_path, "move")
        self._refuse_write(new_path, "move a file to")
        result = super().rename(old_path, new_path)  # type:ignore[misc]
        return _after(result, self._written(old_path, new_path))

    def rename_file(self, old_path: str, new_path: str) -> t.Any:
        self._refuse_removal(old_path, "move")
        self._refuse_write(new_path, "move a file to")
        return super().rename_file(old_path, new_path)  # type:ignore[misc]

    def update(self, model: dict, path: str) -> t.Any:
        new_path = model.get("path", path) if isinstance(model, dict) else path
        if (new_path or "").strip("/") != (path or "").strip("/"):
            self._refuse_removal(path, "move")
            self._refuse_write(new_path, "move a file to")
        return super().update(model, path)  # type:ignore[misc]

    def create_checkpoint(self, path: str) -> t.Any:
        self._refuse_write(path, "checkpoint")
        return super().create_checkpoint(path)  # type:ignore[misc]

    def restore_checkpoint(self, checkpoint_id: str, path: str) -> t.Any:
        self._refuse_write(path, "restore a checkpoint of")
        return _after(
            super().restore_checkpoint(checkpoint_id, path),  # type:ignore[misc]
            self._written(path),
        )

    def delete_checkpoint(self, checkpoint_id: str, path: str) -> t.Any:
        self._refuse_write(path, "delete a checkpoint of")
        return super().delete_checkpoint(checkpoint_id, path)  # type:ignore[misc]


__all__ = ["ReadOnlyShareGuardMixin"]
