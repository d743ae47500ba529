"""Policy checks for handlers that jupyter_server's Authorizer never sees (in full).

JupyterLab's workspaces, settings, extension-manager, plugin-manager and build
handlers are only ``@web.authenticated``: any logged-in visitor may write to
them. jupyter-collaboration's document websocket checks ``read`` once, then relays
every edit. We put the policy in front of each such route by replacing its handler
class with a guarded subclass made by the route's guard factory.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

from tornado import web
from tornado.routing import Router

from . import policy, rtc
from .identity import Guest, principal_of

GuardFactory = Callable[[type[web.RequestHandler]], type[web.RequestHandler]]

#: Where each guest's own Lab workspaces live, inside the workspaces directory.
GUEST_WORKSPACES = "capella-share-guests"
#: settings key: link id -> the workspace folders its guests used.
GUEST_WORKSPACE_DIRS = "capella_share_guest_workspaces"

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _guarded(cls: type[web.RequestHandler], resource: str) -> type[web.RequestHandler]:
    async def prepare(self, *args, **kwargs):
        result = cls.prepare(self, *args, **kwargs)
        if result is not None:
            await result
        user = self.current_user
        if self._finished or not isinstance(user, Guest):
            return  # not logged in (refused later) or the owner (their Authorizer rules)
        action = policy.READ if self.request.method in _READ_METHODS else policy.WRITE
        principal = principal_of(user)
        if not policy.allows(principal, action, resource):
            raise web.HTTPError(
                403, f"A {principal.level.value} guest may not {action} {resource}."
            )
        if resource == "workspaces":
            _confine_to_own_workspaces(self, user)

    return type(cls.__name__, (cls,), {"prepare": prepare, "__module__": __name__})


def _confine_to_own_workspaces(handler: web.RequestHandler, guest: Guest) -> None:
    """Give a guest a workspaces directory of its own, so it never sees or
    overwrites the owner's layout and its Lab still saves its own."""
    from jupyterlab_server.workspaces_handler import WorkspacesManager

    owner_dir = Path(handler.manager.workspaces_dir)  # type:ignore[attr-defined]
    own = owner_dir / GUEST_WORKSPACES / _UNSAFE.sub("-", guest.username)
    handler.manager = WorkspacesManager(str(own))  # type:ignore[attr-defined]
    handler.settings.setdefault(GUEST_WORKSPACE_DIRS, {}).setdefault(guest.link_id, set()).add(own)


def forget_guest_workspaces(settings: dict, link_id: str) -> list[Path]:
    """The workspace folders of a link's guests, no longer tracked; the caller
    removes them once the link has ended."""
    return sorted(settings.get(GUEST_WORKSPACE_DIRS, {}).pop(link_id, ()))


#: Handler classes (module.qualname) -> the factory of their guarded subclass.
GUARDS: dict[str, GuardFactory] = {
    "jupyterlab_server.workspaces_handler.WorkspacesHandler": partial(
        _guarded, resource="workspaces"
    ),
    "jupyterlab_server.settings_handler.SettingsHandler": partial(_guarded, resource="settings"),
    "jupyterlab.handlers.extension_manager_handler.ExtensionHandler": partial(
        _guarded, resource="lab:extensions"
    ),
    "jupyterlab.handlers.plugin_manager_handler.PluginHandler": partial(
        _guarded, resource="lab:plugins"
    ),
    "jupyterlab.handlers.build_handler.BuildHandler": partial(_guarded, resource="lab:build"),
    "jupyter_server_ydoc.handlers.YDocWebSocketHandler": rtc.guard_document_socket,
    "jupyter_server_ydoc.handlers.DocForkHandler": rtc.guard_fork_merge,
    "jupyter_server_ydoc.handlers.DocSessionHandler": rtc.guard_session_request,
}


def guard_routes(router: Router) -> int:
    """Replace the handlers of the GUARDS routes in ``router`` (recursively).

    Idempotent; returns how many routes it guarded this time.
    """
    count = 0
    for rule in getattr(router, "rules", []):
        target = rule.target
        if isinstance(target, Router):
            count += guard_routes(target)
        elif isinstance(target, type) and issubclass(target, web.RequestHandler):
            guard = GUARDS.get(_qualified(target))
            if guard is not None:
                rule.target = guard(target)
                count += 1
    return count
