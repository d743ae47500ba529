"""Guests: identities that come from share-link tokens and link-bound cookies.

:class:`GuestIdentityMixin` is put in front of whatever IdentityProvider the server
is configured with; the owner keeps logging in exactly as before.
"""

from __future__ import annotations

import json
import secrets
import typing as t
from dataclasses import asdict, dataclass

from jupyter_server.auth.identity import User
from tornado import web
from tornado.websocket import WebSocketHandler

from .policy import OWNER, Level, Principal

if t.TYPE_CHECKING:
    from .connections import ConnectionManager
    from .grants import HubGrants
    from .links import LinkManager

from . import gate, upstream
from .credentials import GUEST_COOKIE_SUFFIX, bears_link_credentials
from .links import ShareLink, looks_like_link_token, utcnow
from .principal import set_principal
from .proxy_headers import original_uri_token
from .request_marks import (
    REQUEST_BY_LINK,
    REQUEST_ENDED,
    REQUEST_PRINCIPAL,
    REQUEST_REFUSAL,
    REQUEST_USER,
    is_vetted,
    request_user,
)
from .settings import ACTIVITY_SETTING, CONNECTIONS_SETTING, HUB_GRANTS_SETTING, LINKS_SETTING


@dataclass
class Guest(User):
    """A person who came in through a share link."""

    link_id: str = ""
    permission: str = Level.VIEW.value
    #: the one folder or file its link shares ("" : the whole session)
    scope: str = ""
    #: the hub's model of a hub user let in by a grant (None for a link's guest)
    hub_user: dict[str, t.Any] | None = None


def principal_of(user: t.Any) -> Principal:
    """The policy's view of a user: a guest at its link's level, or the owner."""
    if isinstance(user, Guest):
        return Principal(Level(user.permission), user.username, user.link_id, user.scope)
    return OWNER


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:2]).upper() or "G"


def _guest(link: ShareLink, username: str, name: str) -> Guest:
    """A guest of ``link``: its permission always comes from the link itself."""
    return Guest(
        username=username,
        name=name,
        display_name=name,
        initials=_initials(name),
        link_id=link.id,
        permission=link.permission,
        scope=link.scope,
    )


def _guest_name(link: ShareLink) -> str:
    return link.label or f"{link.permission.capitalize()} guest"


class GuestIdentityMixin:
    """Recognises share-link tokens and the login cookies obtained with them.

    A link's cookie names its link and is honoured only while that link is
    active, so revoking a link (or a server restart, which forgets every link)
    logs its guests out even though the cookie secret stays the same.
    """

    def _links(self, handler: web.RequestHandler) -> LinkManager | None:
        return handler.settings.get(LINKS_SETTING)

    def guest_cookie_name(self, handler: web.RequestHandler) -> str:
        return t.cast(str, self.get_cookie_name(handler)) + GUEST_COOKIE_SUFFIX  # type:ignore[attr-defined]

    async def get_user(self, handler: web.RequestHandler) -> User | None:
        request = handler.request
        if hasattr(request, REQUEST_USER):
            # asked again for the same request: a browser's link guest is made once
            return t.cast("User | None", getattr(request, REQUEST_USER))
        user = await self._authenticate(handler)
        if isinstance(user, Guest):
            refusal = gate.refusal(handler.settings, user.permission)
            if not refusal and not is_vetted(handler):
                # a route the policy never classified: a guest is nobody there
                handler.log.debug(  # type:ignore[attr-defined]
                    "capella-share: %s is not classified; guest refused", type(handler).__name__
                )
                user = None
            elif refusal:
                setattr(request, REQUEST_REFUSAL, refusal)
                user = None
        if isinstance(user, Guest):
            activity = handler.settings.get(ACTIVITY_SETTING)
            if activity is not None:  # its arrival, the first time it is seen
                activity.seen(principal_of(user), user.display_name, request.remote_ip or "")
        principal = None if user is None else principal_of(user)
        # for the rest of this request (a keep-alive connection's next request
        # finds the last one's: it is set for each, to nobody too)
        set_principal(principal)
        setattr(request, REQUEST_PRINCIPAL, principal)
        setattr(request, REQUEST_USER, user)
        return user

    def is_token_authenticated(self, handler: web.RequestHandler) -> bool:
        # a link's token in the URL or a header counts as the server's own token
        # does: such requests are not cross-site (no XSRF cookie is asked for)
        handler.current_user  # noqa: B018 - authenticates first, as upstream's does
        if getattr(handler.request, REQUEST_BY_LINK, False):
            return isinstance(getattr(handler.request, REQUEST_USER, None), Guest)
        return bool(super().is_token_authenticated(handler))  # type:ignore[misc]

    async def _authenticate(self, handler: web.RequestHandler) -> User | None:
        refusal = gate.refusal(handler.settings)
        if refusal and bears_link_credentials(handler):
            # no guest comes in, and none is given a cookie
            setattr(handler.request, REQUEST_REFUSAL, refusal)
            return None
        links = self._links(handler)
        token = self.get_token(handler)  # type:ignore[attr-defined]
        # A server that asks nobody to log in (its token off, no password: the owner
        # is whoever a platform's proxy admitted) takes any visitor for the owner.
        # There, link credentials alone decide: their link's guest, or nobody.
        open_server = not getattr(self, "auth_enabled", True)
        if links is not None and looks_like_link_token(token):
            link = links.authenticate(token)
            if link is None:
                # a stale or forged link token never falls through
                why = links.why_ended(links.token_link_id(token), token)
                setattr(handler.request, REQUEST_ENDED, why)
                return None
            if self._refused(handler, link.permission):
                return None  # and it is given no cookie
            guest = self._guest_from_cookie(handler, links)
            if guest is None or guest.link_id != link.id:
                # A browser opening the link (?token=) becomes a guest of its own and
                # keeps it in a cookie; a script sending the token in a header is the
                # link's one API guest, the same on every request.
                in_url = bool(handler.get_argument("token", ""))
                guest = self._new_guest(link, secrets.token_hex(3) if in_url else "api")
                self._set_guest_cookie(handler, guest)
            setattr(handler.request, REQUEST_BY_LINK, True)
            return self._seen(handler, guest)
        if links is not None and (not token or open_server):
            guest = self._guest_from_cookie(handler, links, forget=open_server)
            if guest is not None:
                if self._refused(handler, guest.permission):
                    return None
                return self._seen(handler, guest)
        if open_server and bears_link_credentials(handler):
            return None  # a dead link's token or cookie is nobody, never the owner
        user: User | t.Awaitable[User | None] | None = super().get_user(handler)  # type:ignore[misc]
        if isinstance(user, t.Awaitable):
            user = await user
        grants: HubGrants | None = handler.settings.get(HUB_GRANTS_SETTING)
        if grants is not None and user is not None:
            return self._hub_principal(handler, grants, user)
        if user is not None and token and handler.get_cookie(self.guest_cookie_name(handler)):
            # the owner logged in with the server's token in this browser: no guest left behind
            handler.clear_cookie(self.guest_cookie_name(handler), path=handler.base_url)  # type:ignore[attr-defined]
        return user

    def _hub_principal(
        self, handler: web.RequestHandler, grants: HubGrants, user: User
    ) -> User | None:
        """Under JupyterHub: the server's owner is the owner; any other hub user is
        a guest of the grant that covers them, and is refused without one."""
        hub_user = upstream.hub_user_model(user)
        if grants.is_owner(hub_user):
            return user
        grant = grants.grant_for(hub_user)
        if grant is None:
            # nobody here; the route guard answers with why (raising from here
            # would break the error page, which asks who the user is)
            setattr(
                handler.request,
                REQUEST_REFUSAL,
                f"{hub_user.get('name', 'You')} may not use this server: it is not shared "
                "with you (or no longer).",
            )
            return None
        if self._refused(handler, grant.permission):
            return None
        guest = Guest(
            username=user.username,
            name=user.name,
            display_name=user.display_name,
            initials=user.initials,
            avatar_url=user.avatar_url,
            color=user.color,
            link_id=grant.id,
            permission=grant.permission,
            scope=grant.scope,
            hub_user=hub_user,
        )
        return self._seen(handler, guest)

    def admits_link(self, handler: web.RequestHandler) -> bool:
        """Whether a request an authenticating proxy asks about carries a live share
        link's token or login cookie (``auth-check``).

        ``handler`` has that request's headers (cookies, Authorization) and its URI
        in a header of the proxy (ORIGINAL_URI_HEADERS), whose ``?token=`` counts
        as the server will count it. Nothing is written: no cookie set or cleared.
        """
        links = self._links(handler)
        if links is None or gate.refusal(handler.settings):
            return False
        token = original_uri_token(handler) or self.get_token(handler)  # type:ignore[attr-defined]
        if looks_like_link_token(token):
            link = links.authenticate(token)
            return link is not None and not gate.refusal(handler.settings, link.permission)
        # Any guest cookie of this server, whatever Host it was named after: a proxy
        # may ask from another host name (Traefik asks at its forwardAuth address).
        # Each is signed under its own name, so none can pose as another.
        guests = (
            self._guest_from_cookie(handler, links, name=name)
            for name in handler.request.cookies
            if name.endswith(GUEST_COOKIE_SUFFIX)
        )
        return any(
            guest is not None and not gate.refusal(handler.settings, guest.permission)
            for guest in guests
        )

    def set_login_cookie(self, handler: web.RequestHandler, user: User) -> None:
        # a guest must never end up with the owner's kind of login cookie
        if isinstance(user, Guest):
            self._set_guest_cookie(handler, user)
        else:
            super().set_login_cookie(handler, user)  # type:ignore[misc]

    def clear_login_cookie(self, handler: web.RequestHandler) -> None:
        # logging out (the Lab's File > Log Out) must end a guest's session too
        guest = request_user(handler.request)
        activity = handler.settings.get(ACTIVITY_SETTING)
        if isinstance(guest, Guest) and activity is not None:
            activity.logged_out(principal_of(guest))
        handler.clear_cookie(self.guest_cookie_name(handler), path=handler.base_url)  # type:ignore[attr-defined]
        super().clear_login_cookie(handler)  # type:ignore[misc]

    def update_user(self, handler: web.RequestHandler, user_data: dict[str, str]) -> User:
        user = handler.current_user
        if not isinstance(user, Guest):
            return t.cast(User, super().update_user(handler, user_data))  # type:ignore[misc]
        unknown = set(user_data) - {"display_name", "name"}
        if unknown:
            raise ValueError(f"Field(s) {', '.join(sorted(unknown))} not updatable by a guest")
        name = str(user_data.get("display_name") or user_data.get("name") or "").strip()[:80]
        if name:
            user.name = user.display_name = name
            user.initials = _initials(name)
            connections: ConnectionManager | None = handler.settings.get(CONNECTIONS_SETTING)
            if connections is not None:
                connections.rename(user.link_id, user.username, name)
        self._set_guest_cookie(handler, user)
        return user

    def identity_model(self, user: User) -> dict[str, t.Any]:
        model = asdict(user)
        model.pop("link_id", None)
        model.pop("permission", None)
        model.pop("hub_user", None)
        model.pop("scope", None)
        return model

    # -- guests ----------------------------------------------------------------------
    def _refused(self, handler: web.RequestHandler, level: str) -> bool:
        """Whether guests of ``level`` are refused now; the reason goes with the
        request, for the route guard's answer."""
        refusal = gate.refusal(handler.settings, level)
        if refusal:
            setattr(handler.request, REQUEST_REFUSAL, refusal)
        return bool(refusal)

    def _new_guest(self, link: ShareLink, suffix: str) -> Guest:
        return _guest(link, f"guest-{link.id}-{suffix}", _guest_name(link))

    def _set_guest_cookie(self, handler: web.RequestHandler, guest: Guest) -> None:
        value = json.dumps(
            {"link": guest.link_id, "username": guest.username, "name": guest.display_name}
        )
        options: dict[str, t.Any] = {"httponly": True, "path": handler.base_url}  # type:ignore[attr-defined]
        options.update(getattr(self, "cookie_options", {}) or {})
        if handler.request.protocol == "https":
            options.setdefault("secure", True)
        options.setdefault("samesite", "Lax")
        handler.set_secure_cookie(self.guest_cookie_name(handler), value, **options)

    def _guest_from_cookie(
        self,
        handler: web.RequestHandler,
        links: LinkManager,
        name: str = "",
        forget: bool = False,
    ) -> Guest | None:
        name = name or self.guest_cookie_name(handler)
        raw = handler.get_secure_cookie(name)
        if not raw:
            return None
        link_id = ""
        try:
            data = json.loads(raw)
            link_id = str(data["link"])
            link = links.get(link_id)
            username, display = str(data["username"]), str(data["name"])
        except (ValueError, KeyError, TypeError):
            link = None
        if not isinstance(link, ShareLink) or not username.startswith(f"guest-{link.id}-"):
            # revoked, expired, or from before a restart: refused. The cookie is
            # kept (it opens nothing) so that each page the guest reloads says
            # the link ended, instead of asking for the server's token; unless
            # told to forget it, where it would keep its browser from being
            # anyone else (a server that takes any other visitor for the owner).
            setattr(handler.request, REQUEST_ENDED, links.why_ended(link_id))
            if forget:
                handler.clear_cookie(name, path=handler.base_url)  # type:ignore[attr-defined]
            return None
        link.last_used = utcnow()
        return _guest(link, username, display)

    def _seen(self, handler: web.RequestHandler, guest: Guest) -> Guest:
        if isinstance(handler, WebSocketHandler):
            connections: ConnectionManager | None = handler.settings.get(CONNECTIONS_SETTING)
            if connections is not None:
                connections.track(guest.link_id, handler, guest.username, guest.display_name)
        return guest
