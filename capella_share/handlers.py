"""REST handlers of ``{base_url}api/capella-share/``: thin, the managers do the work."""

from __future__ import annotations

import math
import typing as t
import urllib.parse

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import allow_unauthenticated, authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.websocket import WebSocketHandler

from . import policy, upstream
from .handler_base import PAGES, CapellaShareHandler
from .identity import GuestIdentityMixin, principal_of
from .linktoken import LINK_ID_RE
from .policy import LINK_PERMISSIONS
from .settings import ACTIVITY_SETTING, PROCESSES_SETTING, TRUST_NOTES_SETTING
from .shares.paths import READ, check_path
from .trust import TrustNotes
from .version import package_version

if t.TYPE_CHECKING:
    from .processes import ProcessManager

MAX_LABEL = 200
MAX_PATH = 1024


class InfoHandler(CapellaShareHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.write_json(
            {
                "version": package_version(),
                "mode": self.app.mode,
                "features": self.app.features,
                "links_unavailable": self.app.links_unavailable,
                "guests_off": self.app.guests_off or None,
                "levels_off": self.app.gate.closed_levels(),
                "sandbox": self.app.sandbox.describe(),
                "upstream": [problem.to_model() for problem in self.app.upstream_problems],
            }
        )


def check_link_path(value: t.Any, field: str = "path") -> str:
    """A file or folder a link opens or shares (``field``): relative, inside the
    root (a 400 if not)."""
    if not isinstance(value, str):
        raise web.HTTPError(400, f"{field} must be a string.")
    path = value.strip("/")
    if len(path) > MAX_PATH:
        raise web.HTTPError(400, f"{field} must be at most {MAX_PATH} characters.")
    parts = path.split("/") if path else []
    if "\\" in path or "\x00" in path or any(part in ("", ".", "..") for part in parts):
        raise web.HTTPError(400, f"{field} must be a relative path inside the server's root.")
    return path


def check_page(page: t.Any, path: str) -> str:
    """A page a session URL may open, for a path (a 400 says what is wrong)."""
    if page not in PAGES:
        raise web.HTTPError(400, f"page must be one of {', '.join(PAGES)}; got {page!r}.")
    if page in ("notebooks", "edit") and not path:
        raise web.HTTPError(400, f"The {page} page opens a file: give its path.")
    return t.cast(str, page)


class SessionHandler(CapellaShareHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        # the URL of the page the asker shares from (Notebook 7's, or the Lab)
        path = check_link_path(self.get_query_argument("path", ""))
        page = check_page(self.get_query_argument("page", "lab"), path)
        user = self.current_user
        principal = principal_of(user)
        processes: ProcessManager | None = self.settings.get(PROCESSES_SETTING)
        kernels = (
            processes.kernels_off(principal)
            if processes is not None
            else {"refused": None, "off": {}, "ask": False}
        )
        self.write_json(
            {
                "url": self.session_url(path, page),
                "you": {
                    "username": user.username,
                    "display_name": user.display_name,
                    "role": "owner" if principal.is_owner else "guest",
                    "permission": principal.level.value,
                    "scope": principal.scope,
                    "may": policy.capabilities(principal),
                    "kernels": kernels,
                },
            }
        )


class LinksHandler(CapellaShareHandler):
    """``links``: list, create, revoke all. The owner's only (the policy says so)."""

    auth_resource = "capella-share:links"

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.write_json(
            {
                "links": [
                    {**link.to_model(), "connections": self.connections.connections(link.id)}
                    for link in self.links.list_links()
                ]
            }
        )

    @web.authenticated
    @authorized
    async def post(self) -> None:
        unavailable = self.app.links_unavailable
        if unavailable:
            raise web.HTTPError(403, unavailable)
        request = self._link_request(self.json_body())
        await self._check_scope(request)
        refused = self.app.gate.refusal(request["permission"])
        if refused:
            raise web.HTTPError(403, refused)
        limit = self.app.max_active_links
        active = self.links.active_count()
        if limit and active >= limit:
            # links live in memory: a bound keeps a script from filling it
            raise web.HTTPError(
                409,
                f"There are {active} active share links, the most this server allows "
                f"(CapellaShareApp.max_active_links = {limit}). Revoke some links, or let "
                "them expire, before making another.",
            )
        page = request.pop("page")
        link, token = self.links.create(**request)
        model = {**link.to_model(), "url": self._link_url(link.path, page, token), "token": token}
        self.set_header(
            "Location", url_path_join(self.base_url, "api/capella-share/links", link.id)
        )
        self.write_json(model, status=201)

    @web.authenticated
    @authorized
    def delete(self) -> None:
        self.links.revoke_all()
        self.set_status(204)
        self.finish()

    def _link_url(self, path: str, page: str, token: str) -> str:
        return f"{self.session_url(path, page)}?{urllib.parse.urlencode({'token': token})}"

    def _link_request(self, body: dict[str, t.Any]) -> dict[str, t.Any]:
        """Check a create request field by field; a 400 names what is wrong."""
        unknown = set(body) - {"permission", "expires_in", "label", "path", "page", "scope"}
        if unknown:
            raise web.HTTPError(400, f"Unknown field(s): {', '.join(sorted(unknown))}.")
        permission = body.get("permission", self.app.default_permission)
        if permission not in LINK_PERMISSIONS:
            raise web.HTTPError(
                400, f"permission must be one of {', '.join(LINK_PERMISSIONS)}; got {permission!r}."
            )
        expires_in = self._expires_in(body.get("expires_in"))
        label = body.get("label", "")
        if not isinstance(label, str):
            raise web.HTTPError(400, "label must be a string.")
        label = " ".join(label.split())
        if len(label) > MAX_LABEL:
            raise web.HTTPError(400, f"label must be at most {MAX_LABEL} characters.")
        path = check_link_path(body.get("path", ""))
        return {
            "permission": permission,
            "expires_in": expires_in,
            "label": label,
            "path": path,
            "page": check_page(body.get("page", "lab"), path),
            "scope": check_link_path(body.get("scope", "") or "", "scope"),
        }

    async def _check_scope(self, request: dict[str, t.Any]) -> None:
        """A scope names a file or folder there is; a link lands inside it."""
        scope = await shared_scope(self.contents_manager, request["scope"])
        path = request["path"]
        if scope and not path:
            request["path"] = scope
        elif not policy.is_within(path, scope):
            raise web.HTTPError(
                400, f"path {path!r} lies outside the scope {scope!r}: a guest could not open it."
            )

    def _expires_in(self, value: t.Any) -> float | None:
        limit = self.app.max_link_lifetime
        if value is None:
            if limit:
                raise web.HTTPError(
                    400, f"expires_in is required: links on this server last at most {limit} s."
                )
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise web.HTTPError(400, "expires_in must be a number of seconds or null.")
        try:
            seconds = float(value)
        except OverflowError:  # an integer beyond any float: JSON allows it
            seconds = math.inf if value > 0 else -math.inf
        if math.isnan(seconds):
            raise web.HTTPError(400, "expires_in must be a number of seconds or null.")
        if seconds <= 0:
            raise web.HTTPError(400, "expires_in must be a positive number of seconds.")
        if limit and seconds > limit:
            raise web.HTTPError(400, f"expires_in must be at most {limit} s on this server.")
        if seconds > 10 * 365 * 24 * 3600:
            raise web.HTTPError(
                400, "expires_in must be at most ten years; use null for no expiry."
            )
        return seconds


async def shared_scope(manager: t.Any, scope: str) -> str:
    """``scope`` (a checked path; "" for the whole session) if it names a file or
    folder the owner's contents manager serves, hidden ones only where the server
    shows them; a 4xx saying what is wrong otherwise."""
    if not scope:
        return scope
    is_file = await ensure_async(manager.file_exists(scope))
    if not is_file and not await ensure_async(manager.dir_exists(scope)):
        raise web.HTTPError(404, f"There is no file or folder {scope!r} to share: check its path.")
    if not manager.allow_hidden and await ensure_async(manager.is_hidden(scope)):
        raise web.HTTPError(
            400, f"{scope!r} is hidden, and this server does not show hidden files."
        )
    return scope


class LinkHandler(CapellaShareHandler):
    """``links/{id}``: revoke one link."""

    auth_resource = "capella-share:links"

    @web.authenticated
    @authorized
    def delete(self, link_id: str) -> None:
        if not LINK_ID_RE.match(link_id) or not self.links.revoke(link_id):
            raise web.HTTPError(404, f"There is no active link with id {link_id!r}.")
        self.set_status(204)
        self.finish()


class AuthCheckHandler(APIHandler):
    """``auth-check``: what an authenticating proxy asks (nginx ``auth_request``,
    Traefik ``forwardAuth``) about a request it would otherwise refuse: 204 if the
    request carries a live share link's token or login cookie, 401 if not.

    The answer is that and nothing more (no body, no user, no reason), and costs
    no body parsing, disk or template: the proxy asks it for every guest request.
    """

    async def prepare(self) -> None:  # type:ignore[override]
        # No user is looked up: the answer rests on the link credentials alone, and
        # on a server without a token jupyter_server would make every asker an
        # anonymous owner, with a login cookie, just for asking.
        if not self.check_host():
            raise web.HTTPError(403, "This Host is not allowed (ServerApp.allow_remote_access).")

    # Reachable without logging in: the proxy asks before anyone is admitted, and
    # the answer says only yes or no.
    @allow_unauthenticated
    def get(self) -> None:
        identity = self.settings.get("identity_provider")
        admitted = isinstance(identity, GuestIdentityMixin) and identity.admits_link(self)
        self.set_header("Cache-Control", "no-store")
        # a plain status, not an error page: nothing to render, nothing to log as an error
        self.set_status(204 if admitted else 401)
        self.finish()


class SessionSocket(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """``session/ws``: a guest's line to the session. It carries nothing; it is
    closed with a 4001 (revoked) or 4002 (expired) code the moment access ends,
    and the guests holding one are the link's "connections"."""

    auth_resource = "capella-share:session"

    async def pre_get(self) -> None:
        user = self.current_user
        if user is None:
            raise web.HTTPError(403)
        # the configured Authorizer may answer asynchronously
        if not await ensure_async(
            self.authorizer.is_authorized(self, user, "read", self.auth_resource)
        ):
            raise web.HTTPError(403)

    @ws_authenticated
    async def get(self, *args: t.Any, **kwargs: t.Any) -> None:
        await self.pre_get()
        await super().get(*args, **kwargs)

    def open(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().open(*args, **kwargs)
        principal = principal_of(self.current_user)
        activity = self.settings.get(ACTIVITY_SETTING)
        if activity is not None and not principal.is_owner:
            activity.session_opened(principal, self.current_user.display_name)
            self._capella_principal = principal

    def on_message(self, message: str | bytes) -> None:
        """Nothing to say: the socket exists to be closed."""

    def on_close(self) -> None:
        super().on_close()
        # the guest leaves with its last line to the session
        principal = getattr(self, "_capella_principal", None)
        activity = self.settings.get(ACTIVITY_SETTING)
        if principal is not None and activity is not None:
            activity.session_closed(principal)


class UntrustedHandler(CapellaShareHandler):
    """``untrusted?path=``: which guests wrote a notebook so that its outputs are
    shown untrusted, for the owner's Lab to say why."""

    auth_resource = "capella-share:links"

    @web.authenticated
    @authorized
    def get(self) -> None:
        path = check_path(self.get_query_argument("path", ""), READ)
        notes: TrustNotes = self.settings[TRUST_NOTES_SETTING]
        writes = notes.writes(path, upstream.document_rooms(self.settings, path))
        self.write_json({"path": path, "writes": [write.to_model() for write in writes]})


def default_handlers() -> list[tuple[str, type]]:
    return [
        (r"api/capella-share/info", InfoHandler),
        (r"api/capella-share/auth-check", AuthCheckHandler),
        (r"api/capella-share/session", SessionHandler),
        (r"api/capella-share/session/ws", SessionSocket),
        (r"api/capella-share/links", LinksHandler),
        (r"api/capella-share/links/([^/]+)", LinkHandler),
        (r"api/capella-share/untrusted", UntrustedHandler),
    ]
