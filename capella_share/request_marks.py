"""What the identity provider marks on a request, and the route guard on the
handler classes it has classified; both read them here.

The marks are attributes set on tornado's request (and handler class) objects:
the identity provider sets a request's once it has authenticated it, the route
guard reads them to answer, and to tell a guest that is nobody here why.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from jupyter_server.auth.identity import User
    from tornado import web

    from .policy import Principal

#: Class attribute the route guard sets on every handler class it has classified
#: (its value: the resource, or None for a route no guest may reach).
ROUTE_RESOURCE = "capella_share_resource"
#: Class attribute naming the handler class a classified route was made from
#: (module.qualname), as the policy's ROUTES and ROUTE_ACTIONS name it.
ROUTE_NAME = "capella_share_route"
#: Request attribute holding who the request was authenticated as.
REQUEST_PRINCIPAL = "capella_share_principal"
#: Request attribute holding the user the request was authenticated as.
REQUEST_USER = "capella_share_user"
#: Request attribute set when a share link's token authenticated the request.
REQUEST_BY_LINK = "capella_share_by_link"
#: Request attribute holding why a known visitor is nobody here (a hub user
#: without a share of this server).
REQUEST_REFUSAL = "capella_share_refusal"
#: Request attribute holding how the link a request came with ended
#: ("revoked", "expired", "removed", "unknown"), when it came with a dead link's
#: credentials.
REQUEST_ENDED = "capella_share_ended"


def is_vetted(handler: web.RequestHandler) -> bool:
    """Whether the route guard has classified this handler's route."""
    return ROUTE_RESOURCE in vars(type(handler))


def request_principal(request: t.Any) -> Principal | None:
    """Who ``request`` was authenticated as; None if nobody (or not yet)."""
    return getattr(request, REQUEST_PRINCIPAL, None)


def request_user(request: t.Any) -> User | None:
    """The user ``request`` was authenticated as; None if nobody (or not yet)."""
    return getattr(request, REQUEST_USER, None)


def request_refusal(request: t.Any) -> str:
    """Why an authenticated visitor was turned away ("" if it was not)."""
    return getattr(request, REQUEST_REFUSAL, "")


def link_ended(request: t.Any) -> str:
    """How the link whose token or cookie a request came with ended ("revoked",
    "expired", "removed", "unknown"); "" when it came with no dead link's credentials."""
    return getattr(request, REQUEST_ENDED, "")
