"""The Authorizer side: every jupyter_server permission check goes through the policy."""

from __future__ import annotations

import typing as t

from jupyter_server.auth.identity import User
from tornado import web

from . import policy
from .identity import Guest, principal_of
from .request_marks import ROUTE_NAME
from .settings import HUB_GRANTS_SETTING


class PolicyAuthorizerMixin:
    """Put in front of the server's configured Authorizer.

    The policy decides first; what it allows is then up to the configured
    Authorizer, so an operator's own rules still apply on top. Under JupyterHub the
    policy is the whole answer for guests (the hub's Authorizer knows only scopes).
    """

    def is_authorized(
        self, handler: web.RequestHandler, user: User, action: str, resource: str
    ) -> t.Any:
        principal = principal_of(user)
        action = route_action(handler, action)
        if not policy.allows(principal, action, resource):
            self.log.debug(  # type:ignore[attr-defined]
                "capella-share: %s may not %s %s", principal.level.value, action, resource
            )
            return False
        if isinstance(user, Guest) and handler.settings.get(HUB_GRANTS_SETTING) is not None:
            # under JupyterHub the configured Authorizer judges hub scopes, which a
            # link's guest does not hold and a grant's guest holds as total access
            return True
        return super().is_authorized(handler, user, action, resource)  # type:ignore[misc]


def route_action(handler: web.RequestHandler, action: str) -> str:
    """The action a request performs: what its verb asks for (``action``), unless
    the policy says its route's verb does something else (ROUTE_ACTIONS)."""
    name = getattr(type(handler), ROUTE_NAME, "")
    method = handler.request.method or ""
    if name and action == policy.method_action(method):
        return policy.method_action(method, name)
    return action
