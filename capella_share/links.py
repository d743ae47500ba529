"""Share links: separate secrets with a permission, an expiry and instant revocation."""

from __future__ import annotations

import hashlib
import hmac
import typing as t
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from tornado.ioloop import IOLoop
from traitlets.config import LoggingConfigurable

from .linktoken import TOKEN_PREFIX, TOKEN_RE, new_link_id, new_token
from .policy import LINK_PERMISSIONS, Level, is_within


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def isoformat(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, as the REST contract says."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def looks_like_link_token(token: str | None) -> bool:
    return token is not None and token.startswith(TOKEN_PREFIX)


@dataclass(kw_only=True)
class Access:
    """What a session gives its guests: a share link or a hub grant. Both end
    the same way (revoked, expired, or what they share deleted), and ending one
    ends what its guests have open."""

    id: str
    permission: str
    label: str
    created: datetime
    expires_at: datetime | None = None
    #: where the guest lands (a contents path); "" for the root or the scope
    path: str = ""
    #: the one folder or file it shares (a contents path); "" for the whole session
    scope: str = ""
    last_used: datetime | None = None

    @property
    def level(self) -> Level:
        return Level(self.permission)

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or utcnow()) >= self.expires_at

    def to_model(self) -> dict[str, str | None]:
        """The public model: everything but the token and its hash."""
        return {
            "id": self.id,
            "label": self.label,
            "permission": self.permission,
            "path": self.path,
            "scope": self.scope,
            "created": isoformat(self.created),
            "expires_at": isoformat(self.expires_at),
            "last_used": isoformat(self.last_used),
        }


@dataclass(kw_only=True)
class ShareLink(Access):
    """One share link: whoever holds its token. Only the token's SHA-256 is kept."""

    token_hash: bytes = field(repr=False)


@dataclass(kw_only=True)
class HubGrant(Access):
    """Access given to a hub user or group, whom the hub recognises: no token."""

    #: "user:<name>" or "group:<name>"
    grantee: str


#: Called with (link, reason) when a link ends; reason is "revoked", "expired" or
#: "removed" (what the link shared was deleted).
#: It may return what it ended ({"sockets": 2}), for those told after.
EndListener = Callable[[Access, str], "dict[str, t.Any] | None"]
#: Called with (link, reason, who ended it, what ending it ended) once every
#: EndListener has run. Who: "owner", "hub" (a hub share gone), "server" (the
#: server stopping), "" (it expired).
EndedListener = Callable[[Access, str, str, "dict[str, t.Any]"], None]
#: Called with each link or grant made.
CreateListener = Callable[[Access], None]

#: How many ended links are remembered (oldest forgotten first): enough to tell
#: a guest why for as long as anyone reloads, bounded as links are.
REMEMBER_ENDED = 10_000


class LinkManager(LoggingConfigurable):
    """The live share links of this server.

    Links are kept in memory on purpose: stopping the server revokes every link.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._links: dict[str, Access] = {}
        self._timers: dict[str, object] = {}
        self._listeners: list[EndListener] = []
        #: link id -> (how it ended, its token's hash), oldest first
        self._ended: dict[str, tuple[str, bytes]] = {}

        self._ended_listeners: list[EndedListener] = []
        self._create_listeners: list[CreateListener] = []

    # -- queries -----------------------------------------------------------------
    def list_links(self) -> list[ShareLink]:
        """The active links (not the hub grants)."""
        self._drop_expired()
        links = [link for link in self._links.values() if isinstance(link, ShareLink)]
        return sorted(links, key=lambda link: link.created)

    def grants(self) -> list[HubGrant]:
        """The active grants to hub users and groups."""
        return sorted(
            (grant for grant in self._links.values() if isinstance(grant, HubGrant)),
            key=lambda grant: grant.created,
        )

    def active_count(self) -> int:
        """How many links are active (expired ones are ended first)."""
        return len(self.list_links())

    def get(self, link_id: str) -> Access | None:
        """The active link or grant with this id, or None (unknown, revoked or
        expired)."""
        link = self._links.get(link_id)
        if link is None:
            return None
        if link.expired():
            self._end(link, "expired")
            return None
        return link

    def authenticate(self, token: str) -> ShareLink | None:
        """The active link this token belongs to, or None. Constant-time comparison."""
        match = TOKEN_RE.match(token or "")
        if not match:
            return None
        link = self.get(match.group(1))
        if not isinstance(link, ShareLink):
            return None  # none, or a grant to hub users: it has no token
        if not hmac.compare_digest(_digest(token), link.token_hash):
            return None
        link.last_used = utcnow()
        return link

    def why_ended(self, link_id: str, token: str | None = None) -> str:
        """How the link ``link_id`` ended ("revoked", "expired" or "removed"), or "unknown":
        never made here, forgotten by a restart, or (given the ``token`` a
        visitor holds) not that link's token."""
        ended = self._ended.get(link_id)
        if ended is None:
            return "unknown"
        reason, token_hash = ended
        if token is not None and not hmac.compare_digest(_digest(token), token_hash):
            return "unknown"
        return reason

    def token_link_id(self, token: str) -> str:
        """The link id a link token names ("" if it is no link token)."""
        match = TOKEN_RE.match(token or "")
        return match.group(1) if match else ""

    # -- changes -------------------------------------------------------------------
    def create(
        self,
        permission: str,
        expires_in: float | None = None,
        label: str = "",
        path: str = "",
        scope: str = "",
    ) -> tuple[ShareLink, str]:
        """Make a link; return it with its token, which is not kept anywhere."""
        if permission not in LINK_PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        link_id = new_link_id()
        while link_id in self._links:
            link_id = new_link_id()
        token = new_token(link_id)
        created = utcnow()
        expires_at = None if expires_in is None else created + timedelta(seconds=expires_in)
        link = ShareLink(
            id=link_id,
            permission=permission,
            label=label,
            created=created,
            expires_at=expires_at,
            token_hash=_digest(token),
            path=path,
            scope=scope,
        )
        self._links[link_id] = link
        if expires_in is not None:
            self._timers[link_id] = IOLoop.current().call_later(expires_in, self._expire, link_id)
        self.log.info("capella-share: %s link %s created", permission, link_id)
        self._created(link)
        return link, token

    def create_grant(self, permission: str, grantee: str, scope: str = "") -> HubGrant:
        """Record a grant of ``permission`` to a hub user or group (``user:<name>``,
        ``group:<name>``). Ending it ends what its holders have open, as for a link."""
        if permission not in LINK_PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        link_id = new_link_id()
        while link_id in self._links:
            link_id = new_link_id()
        kind, _, name = grantee.partition(":")
        grant = HubGrant(
            id=link_id,
            permission=permission,
            label=name,
            created=utcnow(),
            grantee=grantee,
            scope=scope,
        )
        self._links[link_id] = grant
        self.log.info("capella-share: %s grant %s to %s %s", permission, link_id, kind, name)
        self._created(grant)
        return grant

    def revoke(self, link_id: str, by: str = "owner") -> bool:
        link = self._links.get(link_id)
        if link is None:
            return False
        self._end(link, "revoked", by)
        return True

    def revoke_all(self) -> int:
        """Revoke every link (hub grants are the hub's: they stay)."""
        links = self.list_links()
        for link in links:
            self._end(link, "revoked", "owner")
        return len(links)

    def follow_move(self, old: str, new: str) -> None:
        """Contents path ``old`` moved to ``new``: links whose scope lies there
        follow it (their guests keep what they were given, under its new name)."""
        old, new = old.strip("/"), new.strip("/")
        for link in self._links.values():
            if link.scope and is_within(link.scope, old):
                moved = new + link.scope[len(old) :]
                self.log.info("capella-share: link %s now shares %r", link.id, moved)
                if is_within(link.path, link.scope):
                    link.path = new + link.path[len(old) :]
                link.scope = moved

    def end_within(self, path: str) -> int:
        """Contents path ``path`` was deleted: links whose scope lay there end."""
        ended = [
            link for link in self._links.values() if link.scope and is_within(link.scope, path)
        ]
        for link in ended:
            self._end(link, "removed")
        return len(ended)

    def on_end(self, listener: EndListener) -> None:
        """Call ``listener(link, reason)`` whenever a link is revoked or expires."""
        self._listeners.append(listener)

    def on_ended(self, listener: EndedListener) -> None:
        """Call ``listener(link, reason, by, ended)`` once a link has ended and every
        ``on_end`` listener has run."""
        self._ended_listeners.append(listener)

    def on_create(self, listener: CreateListener) -> None:
        """Call ``listener(link)`` with every link and grant made."""
        self._create_listeners.append(listener)

    def close(self) -> None:
        """Forget every link and grant (the server is stopping)."""
        for timer in self._timers.values():
            IOLoop.current().remove_timeout(timer)
        self._timers.clear()
        for link in list(self._links.values()):
            self._end(link, "revoked", "server")

    # -- internals -------------------------------------------------------------------
    def _expire(self, link_id: str) -> None:
        self._timers.pop(link_id, None)
        link = self._links.get(link_id)
        if link is not None:
            self._end(link, "expired")

    def _drop_expired(self) -> None:
        now = utcnow()
        for link in [link for link in self._links.values() if link.expired(now)]:
            self._end(link, "expired")

    def _created(self, link: Access) -> None:
        for listener in self._create_listeners:
            try:
                listener(link)
            except Exception:
                self.log.exception("capella-share: error while making link %s", link.id)

    def _end(self, link: Access, reason: str, by: str = "") -> None:
        if self._links.pop(link.id, None) is None:
            return
        timer = self._timers.pop(link.id, None)
        if timer is not None:
            IOLoop.current().remove_timeout(timer)
        if isinstance(link, ShareLink):
            self._ended[link.id] = (reason, link.token_hash)
            while len(self._ended) > REMEMBER_ENDED:
                del self._ended[next(iter(self._ended))]
        self.log.info("capella-share: link %s %s", link.id, reason)
        ended: dict[str, t.Any] = {}
        for listener in self._listeners:
            try:
                ended.update(listener(link, reason) or {})
            except Exception:  # a listener's failure must not keep a link alive
                self.log.exception("capella-share: error while ending link %s", link.id)
        for after in self._ended_listeners:
            try:
                after(link, reason, by, ended)
            except Exception:
                self.log.exception("capella-share: error after ending link %s", link.id)
