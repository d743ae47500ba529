"""The headers in which an authenticating proxy (``auth-check``) names the
request it asks about."""

from __future__ import annotations

import typing as t
import urllib.parse

if t.TYPE_CHECKING:
    from tornado import web

#: Where proxies put the URI of the request they ask about: nginx (by the usual
#: ``proxy_set_header``), Traefik's forwardAuth.
ORIGINAL_URI_HEADERS = ("X-Original-URI", "X-Forwarded-Uri")


def uri_token(uri: str) -> str:
    """The ``token`` argument of a request URI, read as tornado's ``get_argument``
    reads it (the last one given, stripped)."""
    query = urllib.parse.urlsplit(uri).query
    values = urllib.parse.parse_qs(query, keep_blank_values=True).get("token")
    return values[-1].strip() if values else ""


def original_uri_token(handler: web.RequestHandler) -> str:
    """The ``?token=`` of the request a proxy asks about; "" if none, or if its
    URI headers disagree. A proxy sets one of them and passes the other on from
    the client as it came: a token named only in a header the client wrote would
    admit a request that carries no link, which the server takes for the owner."""
    headers = handler.request.headers
    tokens = {uri_token(uri) for name in ORIGINAL_URI_HEADERS for uri in headers.get_list(name)}
    return tokens.pop() if len(tokens) == 1 else ""
