"""HTTP for the registry: who is asking (JupyterHub OAuth or a hub token), the JSON
in and out, and nothing else; every rule is in :mod:`.store`.

Cookie-authenticated writes are protected against cross-site requests by
JupyterHub's own check: HubOAuth accepts the login cookie of a POST, PUT or DELETE
only with the ``_xsrf`` token the manager page carries (``X-XSRFToken``); a request
with a hub token in the ``Authorization`` header needs none.
"""

from __future__ import annotations

import json
import os
import typing as t
import urllib.parse

from jupyterhub.services.auth import (
    HubOAuth,
    HubOAuthCallbackHandler,
    HubOAuthenticated,
    UserNotAllowed,
)
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from ...shares.rules import ShareError
from .activity import MAX_PAGE, ActivityLog
from .store import MAX_AUDIT, HubUser, RegistryStore, check_member_name

#: The largest JSON body the API reads (a batch of activity records: ACTIVITY_BODY).
MAX_BODY = 64 * 1024
ACTIVITY_BODY = 4 * 1024 * 1024
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class RegistryHandler(HubOAuthenticated, web.RequestHandler):  # type: ignore[misc]  # jupyterhub ships no types
    """Knows the hub user asking; turns refusals into ``{"message": ...}``."""

    def initialize(self, store: RegistryStore, hub_auth: HubOAuth) -> None:
        self.store = store
        self.hub_auth = hub_auth

    _registry_user: dict[str, t.Any] | None = None

    async def prepare(self) -> None:
        # ask the hub without blocking the event loop (HubAuthenticated's own
        # get_current_user asks it synchronously); get_current_user answers from this
        model = await self.hub_auth.get_user(self, sync=False)
        user = None
        if model:
            try:
                user = self.check_hub_user(model)
            except UserNotAllowed:  # a token without the access scope
                user = None
        self._registry_user = user

    def get_current_user(self) -> dict[str, t.Any] | None:
        return self._registry_user

    @property
    def hub_user(self) -> HubUser:
        model = self.current_user
        if model.get("kind", "user") != "user":
            raise web.HTTPError(403, "The registry answers hub users, not services.")
        return HubUser(
            name=model["name"],
            admin=bool(model.get("admin")),
            groups=frozenset(model.get("groups") or ()),
        )

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "same-origin")

    def write_error(self, status_code: int, **kwargs: t.Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = self._reason
        if isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        elif status_code >= 500:
            message = "The registry failed to answer; its log says why."
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"message": message}))

    def refuse(self, error: ShareError) -> t.NoReturn:
        raise web.HTTPError(error.status, "%s", error.message)


class APIHandler(RegistryHandler):
    """JSON in and out; no login redirects: a request without identity gets 403."""

    async def prepare(self) -> None:
        await super().prepare()
        if self._registry_user is None:
            # no redirect to a login page for an API: say what is missing
            name = os.environ.get("JUPYTERHUB_SERVICE_NAME", "capella-share-registry")
            raise web.HTTPError(
                403,
                "Not logged in: send a hub token (Authorization: token ...) with the scope "
                f"access:services!service={name}, or use the page's login cookie together "
                "with its X-XSRFToken header for changes.",
            )

    def body(
        self, allowed: t.Iterable[str], required: t.Iterable[str] = (), largest: int = MAX_BODY
    ) -> dict[str, t.Any]:
        """The request's JSON object, with no field but ``allowed`` and all ``required``."""
        raw = self.request.body or b""
        if len(raw) > largest:
            raise web.HTTPError(413, "The request body is too large.")
        try:
            value = json.loads(raw.decode("utf-8") or "{}")
            # "\ud800" is valid JSON but no text: no database stores it
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except (UnicodeError, ValueError, RecursionError):
            raise web.HTTPError(400, "The request body must be a JSON object in UTF-8.") from None
        if not isinstance(value, dict):
            raise web.HTTPError(400, "The request body must be a JSON object.")
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise web.HTTPError(400, "Unknown field(s): %s.", ", ".join(map(repr, unknown)))
        missing = [name for name in required if name not in value]
        if missing:
            raise web.HTTPError(400, "Missing field(s): %s.", ", ".join(missing))
        return value

    @t.overload
    def whole(self, name: str, default: int, highest: int) -> int: ...
    @t.overload
    def whole(self, name: str, default: None, highest: int) -> int | None: ...
    def whole(self, name: str, default: int | None, highest: int) -> int | None:
        """The query argument ``name``, a whole number from 1 to ``highest``; ``default``
        when it is not given."""
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= highest:
            raise web.HTTPError(400, "%s must be a whole number from 1 to %d.", name, highest)
        return int(raw)

    def send(self, model: t.Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(model))


class MeHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        self.send(self.store.me(self.hub_user))


class ProjectsHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        self.send({"projects": self.store.list_projects(self.hub_user)})

    @web.authenticated
    def post(self) -> None:
        who = self.hub_user
        if not self.store.may_create_projects(who):
            self.refuse(
                ShareError(403, "Only hub admins and project creators may create projects.")
            )
        body = self.body(allowed={"name"}, required={"name"})
        try:
            self.send(self.store.create_project(who, body["name"]), 201)
        except ShareError as error:
            self.refuse(error)


class ProjectHandler(APIHandler):
    @web.authenticated
    def get(self, project: str) -> None:
        try:
            self.send(self.store.project(self.hub_user, project))
        except ShareError as error:
            self.refuse(error)

    @web.authenticated
    def delete(self, project: str) -> None:
        who = self.hub_user
        try:
            self.store.check_manager(who, project)
            confirm = self.body(allowed={"confirm"}).get("confirm")
            self.send(self.store.delete_project(who, project, confirm))
        except ShareError as error:
            self.refuse(error)


class MemberHandler(APIHandler):
    @web.authenticated
    def put(self, project: str, kind: str, name: str) -> None:
        who = self.hub_user
        try:
            self.store.check_manager(who, project)
            role = self.body(allowed={"role"}, required={"role"})["role"]
            self.send(self.store.set_member(who, project, kind, name, role))
        except ShareError as error:
            self.refuse(error)

    @web.authenticated
    def delete(self, project: str, kind: str, name: str) -> None:
        try:
            self.store.remove_member(self.hub_user, project, kind, name)
        except ShareError as error:
            self.refuse(error)
        self.set_status(204)
        self.finish()


class SharesHandler(APIHandler):
    @web.authenticated
    def post(self, project: str) -> None:
        who = self.hub_user
        try:
            self.store.check_manager(who, project)
            model = self.body(allowed={"model"}, required={"model"})["model"]
            self.send(self.store.create_share(who, project, model), 201)
        except ShareError as error:
            self.refuse(error)


class ShareHandler(APIHandler):
    @web.authenticated
    async def delete(self, project: str, model: str) -> None:
        who = self.hub_user
        try:
            self.store.check_manager(who, project)
            confirm = self.body(allowed={"confirm"}).get("confirm")
            self.send(await self.store.delete_share(who, project, model, confirm))
        except ShareError as error:
            self.refuse(error)


class UserSharesHandler(APIHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        who = self.hub_user
        try:
            check_member_name(name, "user")
        except ShareError as error:
            self.refuse(error)
        if name == who.name:
            groups: t.Iterable[str] = who.groups
        elif who.admin:
            groups = await self.hub_groups(name)
        else:
            self.refuse(ShareError(403, "Only the user themself and hub admins may list these."))
        self.send(self.store.user_shares(who, name, groups))

    async def hub_groups(self, name: str) -> list[str]:
        """Another user's groups, as the hub says (the service's token needs
        ``read:users:groups``)."""
        url = url_path_join(self.hub_auth.api_url, "users", urllib.parse.quote(name, safe=""))
        request = HTTPRequest(url, headers={"Authorization": f"token {self.hub_auth.api_token}"})
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as error:
            if error.code == 404:
                raise web.HTTPError(404, "There is no hub user %r.", name) from None
            raise web.HTTPError(
                502, "The hub did not say which groups %r is in (%s).", name, error.code
            ) from None
        return list(json.loads(response.body).get("groups") or [])


class AuditHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        project = self.get_query_argument("project", None) or None
        limit = self.whole("limit", 100, MAX_AUDIT)
        try:
            self.send(self.store.audit(self.hub_user, project, limit))
        except ShareError as error:
            self.refuse(error)


class ActivityHandler(APIHandler):
    """``activity``: servers send their activity trail; managers and owners read it."""

    def initialize(self, store: RegistryStore, hub_auth: HubOAuth, log: ActivityLog) -> None:  # type: ignore[override]
        super().initialize(store, hub_auth)
        self.log_store = log

    @web.authenticated
    def post(self) -> None:
        body = self.body(("server", "records"), ("server", "records"), ACTIVITY_BODY)
        try:
            self.send(self.log_store.add(self.hub_user, body["server"], body["records"]))
        except ShareError as error:
            self.refuse(error)

    @web.authenticated
    def get(self) -> None:
        project = self.get_query_argument("project", None) or None
        server = self.get_query_argument("server", None) or None
        limit = self.whole("limit", 100, MAX_PAGE)
        before = self.whole("before", None, 2**62)
        try:
            self.send(self.log_store.read(self.hub_user, project, server, before, limit))
        except ShareError as error:
            self.refuse(error)


class CallbackHandler(HubOAuthCallbackHandler):  # type: ignore[misc]  # jupyterhub ships no types
    """Finishes the hub's OAuth login and sets the service's cookie."""

    def initialize(self, hub_auth: HubOAuth) -> None:
        self.hub_auth = hub_auth


class PageHandler(RegistryHandler):
    """The managers' page: the data comes from the API, called by the page's script."""

    @web.authenticated
    def get(self) -> None:
        self.set_header("Content-Security-Policy", PAGE_CSP)
        self.render(
            "index.html",
            xsrf=self.xsrf_token.decode("ascii"),
            api=url_path_join(self.hub_auth.base_url, "api/"),
            static=url_path_join(self.hub_auth.base_url, "static/"),
            hub=self.hub_auth.hub_prefix,
            user=self.hub_user.name,
        )


class StaticHandler(HubOAuthenticated, web.StaticFileHandler):  # type: ignore[misc]  # jupyterhub ships no types
    """The page's script and style, for logged-in users only."""

    def initialize(self, path: str, hub_auth: HubOAuth) -> None:  # type: ignore[override]
        super().initialize(path)
        self.hub_auth = hub_auth

    @web.authenticated  # (which loses the signature)
    async def get(self, path: str, include_body: bool = True) -> None:  # type: ignore[override]
        await super().get(path, include_body)


def registry_handlers(
    prefix: str, store: RegistryStore, hub_auth: HubOAuth, static_path: str
) -> list[tuple[str, type, dict[str, t.Any]]]:
    """The routes under the service's prefix."""
    given = {"store": store, "hub_auth": hub_auth}
    api = url_path_join(prefix, "api")
    part = "([^/]+)"
    return [
        (url_path_join(prefix, "oauth_callback"), CallbackHandler, {"hub_auth": hub_auth}),
        (prefix, PageHandler, given),
        (
            url_path_join(prefix, "static/(.*)"),
            StaticHandler,
            {"path": static_path, "hub_auth": hub_auth},
        ),
        (f"{api}/me", MeHandler, given),
        (f"{api}/projects", ProjectsHandler, given),
        (f"{api}/projects/{part}", ProjectHandler, given),
        (f"{api}/projects/{part}/members/{part}/{part}", MemberHandler, given),
        (f"{api}/projects/{part}/shares", SharesHandler, given),
        (f"{api}/projects/{part}/shares/{part}", ShareHandler, given),
        (f"{api}/users/{part}/shares", UserSharesHandler, given),
        (f"{api}/audit", AuditHandler, given),
        (
            f"{api}/activity",
            ActivityHandler,
            {**given, "log": ActivityLog(store) if store is not None else None},
        ),
    ]
