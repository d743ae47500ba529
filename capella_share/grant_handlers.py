"""REST handlers of hub grants: share this server with hub users and groups.

``grants`` (list, make), ``grants/{id}`` (revoke) and ``hub/directory?q=`` (find
users and groups by name). The owner's only, under JupyterHub only.
"""

from __future__ import annotations

import re
import typing as t

from jupyter_server.auth.decorator import authorized
from tornado import web

from .grants import HubError, HubGrants
from .handler_base import CapellaShareHandler
from .handlers import check_link_path, shared_scope
from .linktoken import LINK_ID_RE
from .policy import LINK_PERMISSIONS
from .settings import HUB_GRANTS_SETTING

#: What JupyterHub accepts as a user or group name, roughly; anything else is a typo.
_NAME = re.compile(r"^[^\s/!?#&%]{1,255}$")


class HubGrantsHandler(CapellaShareHandler):
    auth_resource = "capella-share:links"

    @property
    def grants(self) -> HubGrants:
        grants: HubGrants | None = self.settings.get(HUB_GRANTS_SETTING)
        if grants is None:
            raise web.HTTPError(
                404,
                "This server does not run under JupyterHub: there are no hub users to share with.",
            )
        return grants

    def hub_failed(self, error: HubError) -> web.HTTPError:
        status = error.status if 400 <= error.status < 500 else 502
        return web.HTTPError(status, f"JupyterHub refused: {error}")

    def grant_models(self) -> list[dict[str, t.Any]]:
        return [
            self.grants.model(grant, self.connections.connections(grant.id))
            for grant in self.links.grants()
        ]


class GrantsHandler(HubGrantsHandler):
    """``grants``: who on the hub this server is shared with; share with more."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.write_json({"grants": self.grant_models(), "problem": self.grants.problem or None})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        unknown = set(body) - {"user", "group", "permission", "scope"}
        if unknown:
            raise web.HTTPError(400, f"Unknown field(s): {', '.join(sorted(unknown))}.")
        kinds = [kind for kind in ("user", "group") if kind in body]
        if len(kinds) != 1:
            raise web.HTTPError(400, "Name exactly one of user or group.")
        kind, name = kinds[0], body[kinds[0]]
        if not isinstance(name, str) or not _NAME.match(name):
            raise web.HTTPError(400, f"{kind} must be a hub {kind} name.")
        if kind == "user" and name == self.grants.owner:
            raise web.HTTPError(400, "This is your own server: you need no share of it.")
        permission = body.get("permission", self.app.default_permission)
        if permission not in LINK_PERMISSIONS:
            raise web.HTTPError(
                400, f"permission must be one of {', '.join(LINK_PERMISSIONS)}; got {permission!r}."
            )
        refused = self.app.gate.refusal(permission)
        if refused:
            raise web.HTTPError(403, refused)
        scope = await shared_scope(
            self.contents_manager, check_link_path(body.get("scope", "") or "", "scope")
        )
        try:
            grant = await self.grants.grant(kind, name, permission, scope)
        except HubError as error:
            raise self.hub_failed(error) from None
        self.write_json(self.grants.model(grant, []), status=201)


class GrantHandler(HubGrantsHandler):
    """``grants/{id}``: revoke one grant, here at once and at the hub."""

    @web.authenticated
    @authorized
    async def delete(self, grant_id: str) -> None:
        grant = next((g for g in self.links.grants() if g.id == grant_id), None)
        if not LINK_ID_RE.match(grant_id) or grant is None:
            raise web.HTTPError(404, f"There is no active grant with id {grant_id!r}.")
        try:
            await self.grants.revoke(grant)
        except HubError as error:
            raise self.hub_failed(error) from None
        self.set_status(204)
        self.finish()


class DirectoryHandler(HubGrantsHandler):
    """``hub/directory?q=``: hub users and groups to share with."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.get_query_argument("q", "")
        if len(query) > 255:
            raise web.HTTPError(400, "q must be at most 255 characters.")
        try:
            found = await self.grants.search(query)
        except HubError as error:
            raise self.hub_failed(error) from None
        self.write_json(found)


def grant_handlers() -> list[tuple[str, type]]:
    return [
        (r"api/capella-share/grants", GrantsHandler),
        (r"api/capella-share/grants/([^/]+)", GrantHandler),
        (r"api/capella-share/hub/directory", DirectoryHandler),
    ]
