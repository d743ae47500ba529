"""Whether a request carries a share link's credentials (its token, or a guest
login cookie), judged from the request alone: before, or without, any
authentication (the identity provider and the route guard both ask)."""

from __future__ import annotations

import typing as t

from .links import looks_like_link_token

if t.TYPE_CHECKING:
    from tornado import web

#: The guest login cookie is the server's cookie name with this after it.
GUEST_COOKIE_SUFFIX = "-guest"


def bears_link_credentials(handler: web.RequestHandler) -> bool:
    """Whether a request carries a share-link token or a guest login cookie,
    judged from the request alone (before, or without, any authentication)."""
    header = handler.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("token", "bearer") and looks_like_link_token(value.strip()):
        return True
    if any(looks_like_link_token(v.decode("utf-8", "replace")) for v in _query_tokens(handler)):
        return True
    return any(name.endswith(GUEST_COOKIE_SUFFIX) for name in handler.request.cookies)


def _query_tokens(handler: web.RequestHandler) -> list[bytes]:
    return handler.request.query_arguments.get("token", [])
