"""The contents manager's side of the trail: what a guest's request read and wrote,
and which guests' live edits a document's room saved.

:class:`ActivityContentsMixin` goes in front of the server's contents manager.
Only the outermost call of a request is recorded (saving a new file calls
``new``, then ``save``; copying calls ``get`` and ``save``), once it has
succeeded. A call made by a document's room (jupyter-collaboration saving what
was edited live) serves no request: it is recorded as a save by each guest whose
changes it holds (:meth:`ActivityTrail.live_saved`).

The trail's own folder, and the server's other private folders (runtime, data,
config), are never a guest's to read or write, even where they lie inside the
root and hidden files are shown.
"""

from __future__ import annotations

import contextvars
import os
import typing as t

from tornado import web

from .. import upstream
from ..contextcall import call_with
from ..identity import principal_of
from ..policy import Principal
from ..principal import current_principal
from ..shares.rules import is_within
from .request import GuestRequest, guest_request

if t.TYPE_CHECKING:
    from .manager import ActivityTrail

#: The route whose reads are a guest opening a file (others read to list, copy, check).
CONTENTS_ROUTE = "jupyter_server.services.contents.handlers.ContentsHandler"

#: Set while one of our methods runs: the calls it makes are not recorded again.
_WITHIN: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "capella_share_activity_within", default=False
)

Then = t.Callable[[t.Any], None]


def _outermost(call: t.Callable[[], t.Any], then: Then) -> t.Any:
    """``call()``; once it has succeeded, ``then(result)`` if no call of ours was
    running around it (awaitable results are awaited first)."""
    if _WITHIN.get():
        return call()

    def recorded(result: t.Any) -> t.Any:
        then(result)
        return result

    return call_with(_WITHIN, True, call, recorded)


class ActivityContentsMixin:
    """Records the reads and writes of guests' requests; keeps guests out of the
    server's private folders."""

    #: Set by the server extension (None: nothing is recorded).
    activity: ActivityTrail | None = None
    #: Real paths of folders no guest may reach through the contents API.
    private_folders: tuple[str, ...] = ()

    # -- who is asking ------------------------------------------------------------------
    def _guest_request(self) -> GuestRequest | None:
        return guest_request.get() if self.activity is not None else None

    def _refuse_private(self, *paths: str | None) -> None:
        """A 404 for a guest naming a path in a private folder, as for a path
        that is not there."""
        principal = current_principal()
        if not self.private_folders or principal.is_owner:
            return
        root = os.path.realpath(getattr(self, "root_dir", "") or ".")
        for path in paths:
            if not isinstance(path, str):
                continue  # refused for its form, below
            if kept_out(principal, os.path.join(root, path.strip("/")), self.private_folders):
                raise web.HTTPError(404, f"There is no file or folder {path.strip('/')!r}.")

    def get_extra_handlers(self) -> list[tuple[str, t.Any, dict[str, t.Any]]]:
        """``files/<path>`` keeping guests out of the private folders too."""
        return [
            (pattern, private_checked_files_handler(handler), *rest)
            for pattern, handler, *rest in super().get_extra_handlers()  # type:ignore[misc]
        ]

    def _record(self, action: str, **fields: t.Any) -> Then:
        """What to do with a call's result: record ``action`` for the guest whose
        request made it (fields that are callables are given the result)."""

        def then(result: t.Any) -> None:
            request = self._guest_request()
            if request is None or self.activity is None:
                return
            values = {
                key: value(result) if callable(value) else value for key, value in fields.items()
            }
            self.activity.guest(request.principal, action, request.name, **values)

        return then

    # -- reading ---------------------------------------------------------------------------
    def get(self, path: str, content: bool = True, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._refuse_private(path)
        get = super().get  # type:ignore[misc]

        def opened(model: t.Any) -> None:
            request = self._guest_request()
            if (
                request is None
                or not content
                or request.route != CONTENTS_ROUTE
                or not isinstance(model, dict)
                or model.get("type") == "directory"
            ):
                return
            self._record("file.open", path=model.get("path", path))(model)

        return _outermost(lambda: get(path, content, *args, **kwargs), opened)

    # -- writing ---------------------------------------------------------------------------
    def save(self, model: dict[str, t.Any], path: str = "") -> t.Any:
        self._refuse_private(path)
        save = super().save  # type:ignore[misc]
        chunk = model.get("chunk") if isinstance(model, dict) else None
        base64 = isinstance(model, dict) and model.get("format") == "base64"

        def saved(result: t.Any) -> None:
            if self._guest_request() is None:
                if self.activity is not None:
                    self.activity.live_saved(_stripped(path))  # a document's room saving
                return
            if chunk in (None, 1):
                action = "file.upload" if base64 or chunk == 1 else "file.save"
                self._record(action, path=_stripped(path))(result)

        return _outermost(lambda: save(model, path), saved)

    def new(self, model: dict[str, t.Any] | None = None, path: str = "") -> t.Any:
        self._refuse_private(path)
        new = super().new  # type:ignore[misc]
        given = model if isinstance(model, dict) else {}
        chunk = given.get("chunk")
        upload = given.get("content") is not None and (
            given.get("format") == "base64" or chunk is not None
        )
        if chunk not in (None, 1):
            return new(model, path)
        action = "file.upload" if upload else "file.create"
        return _outermost(
            lambda: new(model, path), self._record(action, path=_stripped(path), type=_type)
        )

    def new_untitled(self, path: str = "", *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._refuse_private(path)
        new_untitled = super().new_untitled  # type:ignore[misc]
        return _outermost(
            lambda: new_untitled(path, *args, **kwargs),
            self._record("file.create", path=_path, type=_type),
        )

    def copy(self, from_path: str, to_path: str | None = None) -> t.Any:
        self._refuse_private(from_path, to_path)
        copy = super().copy  # type:ignore[misc]
        return _outermost(
            lambda: copy(from_path, to_path),
            self._record("file.copy", path=_stripped(from_path), to=_path),
        )

    def rename(self, old_path: str, new_path: str) -> t.Any:
        self._refuse_private(old_path, new_path)
        rename = super().rename  # type:ignore[misc]
        return _outermost(
            lambda: rename(old_path, new_path),
            self._record("file.rename", path=_stripped(old_path), to=_stripped(new_path)),
        )

    def update(self, model: dict[str, t.Any], path: str) -> t.Any:
        target = model.get("path") if isinstance(model, dict) else None
        self._refuse_private(path, target if isinstance(target, str) else None)
        update = super().update  # type:ignore[misc]
        moved = isinstance(target, str) and target.strip("/") != _stripped(path)
        if not moved:
            return update(model, path)
        return _outermost(
            lambda: update(model, path),
            self._record("file.rename", path=_stripped(path), to=_path),
        )

    def delete(self, path: str) -> t.Any:
        self._refuse_private(path)
        delete = super().delete  # type:ignore[misc]
        return _outermost(lambda: delete(path), self._record("file.delete", path=_stripped(path)))

    def restore_checkpoint(self, checkpoint_id: str, path: str) -> t.Any:
        self._refuse_private(path)
        restore = super().restore_checkpoint  # type:ignore[misc]
        return _outermost(
            lambda: restore(checkpoint_id, path),
            self._record("file.restore", path=_stripped(path), checkpoint=checkpoint_id),
        )

    def trust_notebook(self, path: str) -> t.Any:
        self._refuse_private(path)
        return super().trust_notebook(path)  # type:ignore[misc]


def kept_out(principal: Principal, os_path: str, folders: t.Iterable[str]) -> bool:
    """Whether ``principal`` is kept out of ``os_path`` (resolved): a guest in one of
    the server's private ``folders`` (real paths), which only the owner reaches."""
    if principal.is_owner:
        return False
    real = os.path.realpath(os_path)
    return any(is_within(real, folder) for folder in folders)


def private_checked_files_handler(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``cls`` (a handler of ``files/<path>`` serving from disk, past the contents
    manager) answering a guest 404 in the server's private folders."""
    if not issubclass(cls, web.StaticFileHandler):
        return cls  # it reads through the contents manager, which says no

    class PrivateCheckedFileHandler(cls):  # type:ignore[valid-type,misc]
        def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
            manager = self.settings.get("contents_manager")
            folders = getattr(manager, "private_folders", ())
            if kept_out(principal_of(self.current_user), absolute_path, folders):
                raise web.HTTPError(404)
            return t.cast("str | None", super().validate_absolute_path(root, absolute_path))

    # the route guard knows handlers by module and name: this is still that handler
    return upstream.named_as(PrivateCheckedFileHandler, cls)


def _stripped(path: t.Any) -> t.Any:
    return path.strip("/") if isinstance(path, str) else path


def _path(model: t.Any) -> str | None:
    """The path of the file a call made or moved to."""
    return model.get("path") if isinstance(model, dict) else None


def _type(model: t.Any) -> str | None:
    return model.get("type") if isinstance(model, dict) else None


__all__ = ["ActivityContentsMixin"]
