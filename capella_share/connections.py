"""Open websockets of guests, so that ending a link closes everything it opened."""

from __future__ import annotations

import weakref
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime

from tornado.websocket import WebSocketHandler
from traitlets.config import LoggingConfigurable

from .links import Access, LinkManager, isoformat, utcnow

#: Websocket close codes sent when access ends (application range 4000-4999).
CLOSE_CODES = {"revoked": 4001, "expired": 4002, "removed": 4003}
CLOSE_REASONS = {
    "revoked": "Your access to this session has ended: the link was revoked.",
    "expired": "Your access to this session has ended: the link expired.",
    "removed": "Your access to this session has ended: what the link shared was deleted.",
}


@dataclass(frozen=True)
class _Socket:
    username: str
    display_name: str
    since: datetime


def is_open(handler: WebSocketHandler) -> bool:
    connection = handler.ws_connection
    return connection is not None and not connection.is_closing()


class ConnectionManager(LoggingConfigurable):
    """Every websocket a guest opened (kernels, terminals, events, RTC documents,
    the session socket), by link. Closes them all when the link ends."""

    def __init__(self, links: LinkManager, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._sockets: dict[str, weakref.WeakKeyDictionary[WebSocketHandler, _Socket]] = {}
        links.on_end(self.close_link)

    def track(self, link_id: str, handler: WebSocketHandler, username: str, name: str) -> None:
        sockets = self._sockets.setdefault(link_id, weakref.WeakKeyDictionary())
        if handler not in sockets:
            sockets[handler] = _Socket(username, name, utcnow())

    def rename(self, link_id: str, username: str, name: str) -> None:
        """A guest changed its display name: its open sockets are listed under it."""
        sockets: MutableMapping[WebSocketHandler, _Socket] = self._sockets.get(link_id, {})
        for handler, socket in list(sockets.items()):
            if socket.username == username:
                sockets[handler] = _Socket(username, name, socket.since)

    def connections(self, link_id: str) -> list[dict[str, str | None]]:
        """The guests with at least one open websocket through this link."""
        guests: dict[str, _Socket] = {}
        for handler, socket in list(self._sockets.get(link_id, {}).items()):
            if not is_open(handler):
                continue
            known = guests.get(socket.username)
            if known is None or socket.since < known.since:
                guests[socket.username] = socket
        return [
            {"username": s.username, "display_name": s.display_name, "since": isoformat(s.since)}
            for s in sorted(guests.values(), key=lambda s: s.since)
        ]

    def open_count(self, link_id: str) -> int:
        return sum(1 for handler in list(self._sockets.get(link_id, {})) if is_open(handler))

    def close_link(self, link: Access, reason: str) -> dict[str, int]:
        """Close every websocket of the link's guests; how many (for the trail)."""
        sockets: MutableMapping[WebSocketHandler, _Socket] = self._sockets.pop(link.id, {})
        code, message = CLOSE_CODES.get(reason, 4001), CLOSE_REASONS.get(reason)
        closed = 0
        for handler in list(sockets):
            if handler.ws_connection is not None:
                handler.close(code, message)
            else:
                _close_once_open(handler, code, message)
            closed += 1
        if closed:
            self.log.info("capella-share: closed %d websocket(s) of link %s", closed, link.id)
        return {"sockets": closed} if closed else {}


#: Handler attribute: (code, reason) to close the socket with as soon as it opens.
CLOSE_ON_OPEN = "capella_share_close_on_open"


def _close_once_open(handler: WebSocketHandler, code: int, message: str | None) -> None:
    """Close a socket the moment it opens.

    A socket is tracked when its request is authenticated, but it opens only after
    its handler's own checks (a kernel socket first waits for the kernel). If the
    link ends in between, closing now does nothing and the socket would outlive
    the link; so the route's handler (``routeguard._classified``) closes it as
    soon as it has opened instead.
    """
    setattr(handler, CLOSE_ON_OPEN, (code, message))
