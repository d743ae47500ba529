"""The route guard's side of the trail: every guest's request passes it, so this
is where a refusal (403) is recorded, whichever part of the server refused
(the route guard itself, the authorizer, the contents or trust guard, a kernel
or terminal guard), and where requests that act through no manager of ours are
recorded by their route: a file downloaded, a kernel interrupted, restarted or
shut down, a terminal closed, a share's archive taken.
"""

from __future__ import annotations

import typing as t
import urllib.parse

from tornado import web
from tornado.websocket import WebSocketHandler

from ..request_marks import request_principal, request_user
from ..settings import ACTIVITY_SETTING
from .request import GuestRequest, guest_request

#: Handler attribute: why the request was refused (its 403's message).
_REFUSAL = "capella_share_refusal_reason"

Fields = dict[str, t.Any]
Maker = t.Callable[[web.RequestHandler], "tuple[str, Fields] | None"]


def _arg(handler: web.RequestHandler, name: str, index: int) -> str:
    """A part of the request's path: by its group's name, or its place."""
    if name in handler.path_kwargs:
        return str(handler.path_kwargs[name] or "")
    args = handler.path_args
    return str(args[index] or "") if len(args) > index else ""


def _file(action: str, **extra: t.Any) -> Maker:
    def make(handler: web.RequestHandler) -> tuple[str, Fields]:
        return action, {"path": _arg(handler, "path", 0).strip("/"), **extra}

    return make


def _export(handler: web.RequestHandler) -> tuple[str, Fields]:
    path = _arg(handler, "path", 1).strip("/")
    return "file.download", {"path": path, "format": _arg(handler, "format", 0)}


def _archive(handler: web.RequestHandler) -> tuple[str, Fields]:
    return "file.archive", {"share": f"{_arg(handler, 'project', 0)}/{_arg(handler, 'model', 1)}"}


def _kernel_action(handler: web.RequestHandler) -> tuple[str, Fields] | None:
    action = _arg(handler, "action", 1)
    if action not in ("interrupt", "restart"):
        return None
    return f"kernel.{action}", {"kernel": _arg(handler, "kernel_id", 0)}


def _kernel_shutdown(handler: web.RequestHandler) -> tuple[str, Fields]:
    return "kernel.shutdown", {"kernel": _arg(handler, "kernel_id", 0)}


def _terminal_closed(handler: web.RequestHandler) -> tuple[str, Fields]:
    return "terminal.close", {"terminal": _arg(handler, "name", 0)}


#: Guests' requests that succeeded, recorded by (route, verb): the routes that
#: act through none of the managers that record for themselves.
ROUTE_RECORDS: dict[tuple[str, str], Maker] = {
    ("jupyter_server.files.handlers.FilesHandler", "GET"): _file("file.download"),
    ("jupyter_server.base.handlers.AuthenticatedFileHandler", "GET"): _file("file.download"),
    ("jupyter_server.view.handlers.ViewHandler", "GET"): _file("file.open", via="view"),
    ("jupyter_server.nbconvert.handlers.NbconvertFileHandler", "GET"): _export,
    ("capella_share.shares.handlers.ShareArchiveHandler", "GET"): _archive,
    ("jupyter_server.services.kernels.handlers.KernelActionHandler", "POST"): _kernel_action,
    ("jupyter_server.services.kernels.handlers.KernelHandler", "DELETE"): _kernel_shutdown,
    ("jupyter_server_terminals.api_handlers.TerminalHandler", "DELETE"): _terminal_closed,
}


def begin(handler: web.RequestHandler, route: str) -> None:
    """A guest's request was let through to its handler: what the server does
    for it from here is that guest's (see :mod:`.request`)."""
    if isinstance(handler, WebSocketHandler) or handler.settings.get(ACTIVITY_SETTING) is None:
        return
    principal = request_principal(handler.request)
    if principal is None or principal.is_owner:
        return
    name = getattr(request_user(handler.request), "display_name", "") or principal.username
    guest_request.set(GuestRequest(principal, name, route, handler.request.method or ""))


def note_refusal(handler: web.RequestHandler, reason: str) -> None:
    """Why the request is being refused, for :func:`finished` to record."""
    setattr(handler, _REFUSAL, reason)


def refusal_of(error: BaseException | None) -> str:
    """The message of an HTTP error, as its answer says it."""
    if isinstance(error, web.HTTPError) and error.log_message:
        try:
            return error.log_message % error.args if error.args else error.log_message
        except (TypeError, ValueError):
            return error.log_message
    return ""


def finished(handler: web.RequestHandler, route: str) -> None:
    """A request has been answered: a guest's refusal, or what its route did."""
    trail = handler.settings.get(ACTIVITY_SETTING)
    principal = request_principal(handler.request)
    if trail is None or principal is None or principal.is_owner:
        return
    status = handler.get_status()
    method = handler.request.method or ""
    name = getattr(request_user(handler.request), "display_name", None)
    if status == 403:
        reason = getattr(handler, _REFUSAL, "") or "Forbidden"
        path = urllib.parse.unquote(handler.request.path)
        trail.refused(principal, f"{method} {path}", reason, name)
    elif 200 <= status < 300:
        make = ROUTE_RECORDS.get((route, method))
        made = make(handler) if make is not None else None
        if made is not None:
            trail.guest(principal, made[0], name, **made[1])
