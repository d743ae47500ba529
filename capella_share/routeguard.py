"""Policy checks for Lab handlers that jupyter_server's Authorizer never sees.

JupyterLab's workspaces, settings, extension-manager, plugin-manager and build
handlers are only ``@web.authenticated``: any logged-in visitor may write to
them. For guests we put the policy in front of them by giving each such route a
subclass whose ``prepare`` asks the policy.
"""

from __future__ import annotations

import re
from pathlib import Path

from tornado import web
from tornado.routing import Router

from . import policy
from .identity import Guest, principal_of

#: Handler classes (module.qualname) -> the policy resource they act on.
UNGUARDED_ROUTES = {
    "jupyterlab_server.workspaces_handler.WorkspacesHandler": "workspaces",
    "jupyterlab_server.settings_handler.SettingsHandler": "settings",
    "jupyterlab.handlers.extension_manager_handler.ExtensionHandler": "lab:extensions",
    "jupyterlab.handlers.plugin_manager_handler.PluginHandler": "lab:plugins",
    "jupyterlab.handlers.build_handler.BuildHandler": "lab:build",
}

#: Where each guest's own Lab workspaces live, inside the workspaces directory.
GUEST_WORKSPACES = "capella-share-guests"

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


def guard_routes(router: Router) -> int:
    """Replace the handlers of UNGUARDED_ROUTES in ``router`` (recursively).

    Idempotent; returns how many routes it guarded this time.
    """
    count = 0
    for rule in getattr(router, "rules", []):
        target = rule.target
        if isinstance(target, Router):
            count += guard_routes(target)
        elif isinstance(target, type) and issubclass(target, web.RequestHandler):
            resource = UNGUARDED_ROUTES.get(_qualified(target))
            if resource is not None:
                rule.target = _guarded(target, resource)
                count += 1
    return count
