"""Policy checks for handlers that jupyter_server's Authorizer never sees (in full).

JupyterLab's workspaces, settings, extension-manager, plugin-manager and build
handlers are only ``@web.authenticated``: any logged-in visitor may write to
them. jupyter-collaboration's document websocket checks ``read`` once, then relays
every edit. We put the policy in front of each such route by replacing its handler
class with a guarded subclass made by the route's guard factory.
"""

from __future__ import annotations

import json
import re
import typing as t
from collections.abc import Callable
from pathlib import Path

from jupyter_core.utils import ensure_async
from tornado import web
from tornado.routing import Router
from tornado.websocket import WebSocketHandler

from . import events, policy, processes, rtc, upstream
from .activity import routes as activity
from .connections import CLOSE_ON_OPEN
from .credentials import bears_link_credentials
from .identity import Guest
from .pages import access_ended_page
from .request_marks import (
    ROUTE_NAME,
    ROUTE_RESOURCE,
    link_ended,
    request_principal,
    request_refusal,
)
from .settings import configured

GuardFactory = Callable[[type[web.RequestHandler]], type[web.RequestHandler]]

#: Where each guest's own Lab workspaces live, inside the workspaces directory.
GUEST_WORKSPACES = "capella-share-guests"
#: settings key: link id -> the workspace folders its guests used.
GUEST_WORKSPACE_DIRS = "capella_share_guest_workspaces"
#: settings key: link id -> the Lab settings folders its guests used.
GUEST_SETTINGS_DIRS = "capella_share_guest_settings"

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _confined(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``WorkspacesHandler`` that gives each guest a workspaces folder of its own.
    Whether the guest may use workspaces at all is the route layer's question
    (``_classified``), asked like every other route's."""

    async def prepare(self: web.RequestHandler, *args: t.Any, **kwargs: t.Any) -> None:
        result = cls.prepare(self, *args, **kwargs)
        if result is not None:
            await result
        user = self.current_user
        if not upstream.is_finished(self) and isinstance(user, Guest):
            _confine_to_own_workspaces(self, user)

    return type(cls.__name__, (cls,), {"prepare": prepare, "__module__": __name__})


def _confine_to_own_workspaces(handler: web.RequestHandler, guest: Guest) -> None:
    """Give a guest a workspaces directory of its own, so it never sees or
    overwrites the owner's layout and its Lab still saves its own; and keep what
    it stores there small, as it is the owner's disk."""
    owner_dir = Path(upstream.workspaces_of(handler))
    own = owner_dir / GUEST_WORKSPACES / _UNSAFE.sub("-", guest.username)
    upstream.workspaces_of(handler, str(own))
    handler.settings.setdefault(GUEST_WORKSPACE_DIRS, {}).setdefault(guest.link_id, set()).add(own)
    if handler.request.method != "PUT":
        return
    # the body is already read: refusing it here keeps it off the disk
    max_bytes = configured(handler.settings, "guest_workspace_max_bytes")
    size = len(handler.request.body)
    if size > max_bytes:
        raise web.HTTPError(
            413,
            f"This Lab workspace is {size} bytes; a guest's may be at most {max_bytes} "
            "(CapellaShareApp.guest_workspace_max_bytes). Close some tabs and try again.",
        )
    max_count = configured(handler.settings, "guest_workspace_max_count")
    space_name = handler.path_kwargs.get("space_name") or ""
    if not space_name or (own / upstream.workspace_file_name(space_name)).exists():
        return  # no name (refused by the handler) or saved before: no new file
    # counted over every guest of the link: opening the link again makes a new
    # guest, not more room
    folders = handler.settings[GUEST_WORKSPACE_DIRS][guest.link_id]
    count = sum(
        1 for folder in folders if folder.is_dir() for _ in upstream.workspace_files(folder)
    )
    if count >= max_count:
        raise web.HTTPError(
            413,
            f"The guests of a link may keep at most {max_count} Lab workspaces "
            "(CapellaShareApp.guest_workspace_max_count); delete one of yours "
            "(DELETE lab/api/workspaces/<id>) or save to one you have.",
        )


def _own_settings(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``SettingsHandler`` that gives each guest Lab settings of its own: its
    theme, its editor's font size... are kept and used, and never change the
    owner's (a guest starts from the defaults and the server's overrides)."""

    async def prepare(self: web.RequestHandler, *args: t.Any, **kwargs: t.Any) -> None:
        result = cls.prepare(self, *args, **kwargs)
        if result is not None:
            await result
        user = self.current_user
        if not upstream.is_finished(self) and isinstance(user, Guest):
            _confine_to_own_settings(self, user)

    return type(cls.__name__, (cls,), {"prepare": prepare, "__module__": __name__})


def _confine_to_own_settings(handler: web.RequestHandler, guest: Guest) -> None:
    owner_dir = Path(upstream.settings_dir_of(handler))
    own = owner_dir / GUEST_WORKSPACES / _UNSAFE.sub("-", guest.username)
    upstream.settings_dir_of(handler, str(own))
    handler.settings.setdefault(GUEST_SETTINGS_DIRS, {}).setdefault(guest.link_id, set()).add(own)
    if handler.request.method != "PUT":
        return
    # one file per plugin the Lab knows (the handler refuses any other), each
    # kept as small as a guest's workspace
    max_bytes = configured(handler.settings, "guest_workspace_max_bytes")
    size = len(handler.request.body)
    if size > max_bytes:
        raise web.HTTPError(
            413,
            f"These settings are {size} bytes; a guest's may be at most {max_bytes} "
            "(CapellaShareApp.guest_workspace_max_bytes).",
        )


def forget_guest_folders(settings: dict[str, t.Any], link_id: str) -> list[Path]:
    """The workspace and settings folders of a link's guests, no longer tracked;
    the caller removes them once the link has ended."""
    folders = settings.get(GUEST_WORKSPACE_DIRS, {}).pop(link_id, set())
    folders |= settings.get(GUEST_SETTINGS_DIRS, {}).pop(link_id, set())
    return sorted(folders)


#: Handler classes (module.qualname) -> the factory of their guarded subclass.
GUARDS: dict[str, GuardFactory] = {
    "jupyterlab_server.workspaces_handler.WorkspacesHandler": _confined,
    "jupyterlab_server.settings_handler.SettingsHandler": _own_settings,
    "jupyter_server_ydoc.handlers.YDocWebSocketHandler": rtc.guard_document_socket,
    "jupyter_server_ydoc.handlers.DocForkHandler": rtc.guard_fork_merge,
    "jupyter_server_ydoc.handlers.DocSessionHandler": rtc.guard_document_session,
    "jupyter_server.services.kernels.websocket.KernelWebsocketHandler": (
        processes.guard_kernel_socket
    ),
    "jupyter_server.services.kernels.handlers.KernelHandler": processes.guard_kernel,
    "jupyter_server.services.kernels.handlers.KernelActionHandler": processes.guard_kernel,
    "jupyter_server_terminals.handlers.TermSocket": processes.guard_terminal,
    "jupyter_server.services.events.handlers.SubscribeWebsocket": events.guard_event_stream,
    "jupyter_server.services.events.handlers.EventHandler": events.guard_event_post,
    "jupyter_server_terminals.api_handlers.TerminalHandler": processes.guard_terminal,
}


def guard_problems(router: Router) -> list[str]:
    """The special guards that found no route to guard: their handler class was
    renamed or moved upstream while the rest of its package is routed."""
    routed = {getattr(cls, ROUTE_NAME, "") for _, cls in upstream.routed_handlers(router)}
    packages = {name.partition(".")[0] for name in routed}
    return [
        f"{name} guards no route, yet {name.partition('.')[0]} serves others"
        for name in GUARDS
        if name not in routed and name.partition(".")[0] in packages
    ]


@upstream.touchpoint("routes")
def _check_routes(serverapp: t.Any) -> str | None:
    """Every route went through :func:`guard_routes`, tornado serves the handler
    it put there, and every special guard found its route."""
    router = serverapp.web_app.default_router
    for rule, cls in upstream.routed_handlers(router):
        if ROUTE_RESOURCE not in vars(cls):
            return (
                f"the route {upstream.route_pattern(rule)} ({cls.__qualname__}) escaped the policy"
            )
    served = upstream.serving_class(serverapp, "api/capella-share/info")
    if served is None or ROUTE_RESOURCE not in vars(served):
        return "tornado does not serve a route with the handler the policy put there"
    return "; ".join(guard_problems(router)) or None


class Unclassified(t.NamedTuple):
    """A route no guest may reach, because the policy does not name its handler."""

    pattern: str
    handler: str


def _classified(
    cls: type[web.RequestHandler], name: str, resource: str | None
) -> type[web.RequestHandler]:
    """``cls`` with the policy in front of every verb for guests.

    A route of no known resource refuses anything bearing a link's credentials
    before its handler runs at all; a known one lets the handler authenticate, then
    asks the policy for the verb's action on the resource. The handler's own
    Authorizer checks (finer actions, paths) still apply after.
    """

    def check_xsrf_cookie(self: web.RequestHandler) -> None:
        try:
            return cls.check_xsrf_cookie(self)
        except web.HTTPError as error:
            principal = request_principal(self.request)
            if principal is not None and principal.is_owner:
                raise
            _refuse(self, error.status_code, error.log_message or "XSRF check failed.")
            raise web.Finish() from None

    async def prepare(self: web.RequestHandler, *args: t.Any, **kwargs: t.Any) -> None:
        if bears_link_credentials(self):
            # before the handler runs anything of its own
            if resource is None:
                return _refuse(self, 403, policy.unclassified_refusal())
            if not _implements(cls, self.request.method):
                return _refuse(self, 405, f"{self.request.method} is not supported here.")
            if _opens_a_page(self, resource) and await _tell_access_ended(self):
                return None
        result = cls.prepare(self, *args, **kwargs)
        if result is not None:
            await result
        if upstream.is_finished(self):
            return None
        principal = request_principal(self.request)
        if principal is None and request_refusal(self.request):
            return _refuse(self, 403, request_refusal(self.request))
        if principal is None or principal.is_owner:
            return None  # anonymous (its handler refuses it) or the owner
        action = policy.method_action(self.request.method, name)
        if resource is None:
            return _refuse(self, 403, policy.unclassified_refusal())
        if not policy.allows(principal, action, resource):
            return _refuse(self, 403, policy.refusal(principal, action, resource))
        if principal.scope and not policy.honours_scope(name):
            return _refuse(self, 403, policy.scope_refusal(principal))
        if not _implements(cls, self.request.method):
            return _refuse(self, 405, f"{self.request.method} is not supported here.")
        activity.begin(self, name)
        return None

    def write_error(self: web.RequestHandler, status_code: int, **kwargs: t.Any) -> None:
        if status_code == 403:  # why, for the trail
            activity.note_refusal(self, activity.refusal_of(kwargs.get("exc_info", (None,) * 3)[1]))
        return cls.write_error(self, status_code, **kwargs)

    def on_finish(self: web.RequestHandler) -> None:
        cls.on_finish(self)
        activity.finished(self, name)

    members: dict[str, t.Any] = {
        "prepare": prepare,
        "check_xsrf_cookie": check_xsrf_cookie,
        "write_error": write_error,
        "on_finish": on_finish,
        ROUTE_RESOURCE: resource,
        ROUTE_NAME: name,
        "__module__": cls.__module__,
    }
    if issubclass(cls, WebSocketHandler):
        members["open"] = _closing_if_ended(cls)
    return type(cls.__name__, (cls,), members)


def _closing_if_ended(cls: type[WebSocketHandler]) -> t.Callable[..., t.Any]:
    """``cls.open`` that closes the socket at once if its link ended while it was
    opening (``connections.CLOSE_ON_OPEN``)."""

    async def open(self: WebSocketHandler, *args: t.Any, **kwargs: t.Any) -> None:
        result = cls.open(self, *args, **kwargs)
        if result is not None:
            await result
        ending = getattr(self, CLOSE_ON_OPEN, None)
        if ending is not None:
            self.close(*ending)

    return open


def _opens_a_page(handler: web.RequestHandler, resource: str) -> bool:
    """Whether ``handler`` serves a page a browser navigates to (the Lab's, Notebook
    7's), rather than what a page loads."""
    return (
        resource == "lab"
        and handler.request.method in ("GET", "HEAD")
        and not isinstance(handler, WebSocketHandler)
        and "text/html" in handler.request.headers.get("Accept", "")
    )


async def _tell_access_ended(handler: web.RequestHandler) -> bool:
    """Answer a page asked for with a dead link's token or cookie (or while guests
    are off) with a page saying so, where Jupyter would ask for its login; True
    if it did. Who the visitor is gets decided here, as the handler would."""
    if not handler.check_host():  # type:ignore[attr-defined]
        return False  # the handler refuses it
    identity = handler.identity_provider  # type:ignore[attr-defined]
    if await ensure_async(identity.get_user(handler)) is not None:
        return False
    cause, refusal = link_ended(handler.request), request_refusal(handler.request)
    if not cause and not refusal:
        return False
    handler.clear()
    handler.set_status(403)
    handler.set_header("Content-Type", "text/html; charset=UTF-8")
    handler.set_header("Cache-Control", "no-store")
    web.RequestHandler.finish(handler, access_ended_page(cause, refusal))
    return True


def _implements(cls: type[web.RequestHandler], method: str) -> bool:
    verb = method.lower()
    return getattr(cls, verb, None) is not getattr(web.RequestHandler, verb, None)


def _refuse(handler: web.RequestHandler, status: int, message: str) -> None:
    """Answer a guest's refused request here and now, as ``{"message": ...}``.

    Written with tornado's own ``finish``: some handlers override theirs in ways
    that break on error pages (a HEAD to JupyterLab 4.6's licenses route never
    answers), and a refusal must always arrive.
    """
    handler.clear()
    handler.set_status(status)
    activity.note_refusal(handler, message)
    handler.set_header("Content-Type", "application/json")
    web.RequestHandler.finish(handler, json.dumps({"message": message}))


def guard_routes(router: Router) -> list[Unclassified]:
    """Put the policy in front of every route of ``router`` (recursively), plus the
    special guards of GUARDS. Idempotent; returns the routes found unclassified
    this time (refused to guests)."""
    unclassified: list[Unclassified] = []
    for rule, target in upstream.routed_handlers(router):
        if ROUTE_RESOURCE in vars(target):
            continue
        name = _qualified(target)
        resource = policy.route_resource(name)
        guard = GUARDS.get(name)
        if guard is not None:
            target = guard(target)
        upstream.set_route_target(rule, _classified(target, name, resource))
        if resource is None:
            unclassified.append(Unclassified(upstream.route_pattern(rule), name))
    return unclassified
