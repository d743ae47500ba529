"""JupyterHub mode: hub users and groups this server is shared with, at a level.

JupyterHub's sharing (``/hub/api/shares/{owner}/{server}``) grants other hub users
access to a server; by itself that access is total, and the single-user server
sees a revoke only when HubAuth's cache of the grantee's token expires (300 s).
Here each hub share of this server becomes a grant in the LinkManager, at the
level its custom scope names (``custom:capella-share:view`` / ``edit`` / ``full``):
a hub user other than the owner is a guest of the grant that covers them, and of
nothing else. Grants made or revoked from the Share dialog take effect at once;
the hub's list is read again every ``poll_interval`` seconds, so a share revoked
elsewhere (the hub's API, its admin page) ends within that bound, sockets included.
"""

from __future__ import annotations

import json
import os
import re
import typing as t
import urllib.parse

from jupyter_core.paths import jupyter_data_dir
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets import Enum, Float
from traitlets.config import LoggingConfigurable

from . import upstream
from .links import HubGrant, LinkManager, isoformat
from .policy import LINK_PERMISSIONS, Level
from .poller import Poller
from .shares.rules import error_message

#: What may not be in a file name made of hub names.
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")

#: The custom scope that carries a level in a hub share of this server.
SCOPE_PREFIX = "custom:capella-share:"


class HubError(Exception):
    """The hub refused or could not be reached; the message says which, in words."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def level_of(scopes: t.Iterable[str], default: str) -> str:
    """The highest capella-share level a hub share's scopes name, else ``default``."""
    named = {scope.split("!", 1)[0].removeprefix(SCOPE_PREFIX) for scope in scopes}
    for level in reversed(LINK_PERMISSIONS):  # full, edit, view
        if level in named:
            return level
    return default


class HubGrants(LoggingConfigurable):
    """The hub's shares of this server, kept as grants in the LinkManager."""

    poll_interval = Float(
        2.0,
        config=True,
        help="""Seconds between two readings of the hub's shares of this server: a
        share revoked outside the Share dialog (hub API, admin page) ends within
        this time, its holders' websockets included.""",
    )

    default_permission = Enum(
        list(LINK_PERMISSIONS),
        default_value=Level.VIEW.value,
        config=True,
        help="""The level of a hub share that names no capella-share scope (for
        example one made with the hub's own API without a custom scope).""",
    )

    def __init__(self, links: LinkManager, **kwargs: t.Any):
        super().__init__(**kwargs)
        self.links = links
        self.api_url = os.environ["JUPYTERHUB_API_URL"].rstrip("/")
        self.token = os.environ["JUPYTERHUB_API_TOKEN"]
        self.owner, self.server_name = upstream.hub_server() or ("", "")
        #: why hub users cannot be given access, when they cannot ("" when they can)
        self.problem = ""
        self._poller: Poller | None = None
        #: grantee -> the folder or file its grant shares (the hub's scopes cannot
        #: carry a path: the server keeps it, in a file of its own)
        server = f"{_UNSAFE.sub('-', self.owner)}-{_UNSAFE.sub('-', self.server_name)}"
        self.scopes_file = os.path.join(
            jupyter_data_dir(), "capella_share", f"grant-scopes-{server}.json"
        )
        self._scopes: dict[str, str] = self._read_scopes()

    def _read_scopes(self) -> dict[str, str]:
        try:
            with open(self.scopes_file, encoding="utf-8") as file:
                found = json.load(file)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            self.log.error("capella-share: cannot read %s: %s", self.scopes_file, error)
            return {}
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    def _keep_scope(self, grantee: str, scope: str | None) -> None:
        if scope is None:
            self._scopes.pop(grantee, None)
        else:
            self._scopes[grantee] = scope
        os.makedirs(os.path.dirname(self.scopes_file), exist_ok=True)
        written = self.scopes_file + ".new"
        with open(written, "w", encoding="utf-8") as file:
            json.dump(self._scopes, file)
        os.replace(written, self.scopes_file)

    @property
    def server_path(self) -> str:
        return f"{urllib.parse.quote(self.owner)}/{urllib.parse.quote(self.server_name)}"

    def start(self) -> None:
        # no backoff: while the hub cannot be read its shares stay in force, so a
        # share revoked meanwhile must end within poll_interval of it answering again
        self._poller = Poller(
            self.refresh,
            self.poll_interval,
            longest=self.poll_interval,
            name="reading the hub's shares",
            log=self.log,
        )
        self._poller.start(now=True)

    def stop(self) -> None:
        if self._poller is not None:
            self._poller.stop()

    # -- who is covered ---------------------------------------------------------------
    def is_owner(self, hub_user: dict[str, t.Any]) -> bool:
        return hub_user.get("kind", "user") == "user" and hub_user.get("name") == self.owner

    def grant_for(self, hub_user: dict[str, t.Any]) -> HubGrant | None:
        """The highest grant covering this hub user (by name or group), or None."""
        names = {f"user:{hub_user.get('name')}"}
        names |= {f"group:{group}" for group in hub_user.get("groups") or []}
        covering = [grant for grant in self.links.grants() if grant.grantee in names]
        return max(covering, key=lambda g: LINK_PERMISSIONS.index(g.permission), default=None)

    # -- the hub's API ------------------------------------------------------------------
    async def _hub(self, method: str, path: str, body: t.Any = None) -> t.Any:
        request = HTTPRequest(
            f"{self.api_url}/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            body=None if body is None else json.dumps(body),
            allow_nonstandard_methods=True,
            request_timeout=20,
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as error:
            body = error.response.body if error.response is not None else None
            raise HubError(error.code, error_message(body, str(error))) from None
        except OSError as error:
            raise HubError(502, f"the hub could not be reached: {error}") from None
        return json.loads(response.body) if response.body else None

    async def refresh(self) -> bool:
        """Read the hub's shares of this server and bring the grants in line;
        whether the hub answered."""
        try:
            page = await self._hub("GET", f"shares/{self.server_path}")
        except HubError as error:
            if error.status == 403:
                self._set_problem(
                    "this server's hub token may not read its shares: add "
                    '"read:shares!server" to c.Spawner.server_token_scopes'
                )
            else:
                self.log.warning("capella-share: could not read the hub's shares: %s", error)
            return False
        self._set_problem("")
        wanted: dict[str, str] = {}
        for share in page.get("items", []):
            if share.get("kind") == "group" and share.get("group"):
                grantee = f"group:{share['group']['name']}"
            elif share.get("user"):
                grantee = f"user:{share['user']['name']}"
            else:
                continue
            wanted[grantee] = level_of(share.get("scopes", []), self.default_permission)
        self._apply(wanted)
        return True

    def _apply(self, wanted: dict[str, str]) -> None:
        for grant in self.links.grants():
            if wanted.get(grant.grantee) != grant.permission:
                self.links.revoke(grant.id, by="hub")  # gone, or at another level: ended
        held = {grant.grantee for grant in self.links.grants()}
        for grantee, level in wanted.items():
            if grantee not in held:
                self.links.create_grant(level, grantee, self._scopes.get(grantee, ""))

    def _set_problem(self, problem: str) -> None:
        if problem and problem != self.problem:
            self.log.error("capella-share: hub users cannot be given access: %s.", problem)
        self.problem = problem

    async def grant(self, kind: str, name: str, permission: str, scope: str = "") -> HubGrant:
        """Share this server (or only the folder or file ``scope``) with a hub user or
        group at ``permission``."""
        target = f"{kind}:{name}"
        server_filter = f"!server={self.owner}/{self.server_name}"
        existing = [g for g in self.links.grants() if g.grantee == target]
        if existing:  # another level: the hub adds scopes, so revoke first
            await self._hub("DELETE", f"shares/{self.server_path}", {kind: name})
        await self._hub(
            "POST",
            f"shares/{self.server_path}",
            {
                kind: name,
                "scopes": [
                    f"access:servers{server_filter}",
                    f"{SCOPE_PREFIX}{permission}{server_filter}",
                ],
            },
        )
        for grant in existing:
            self.links.revoke(grant.id)
        self._keep_scope(target, scope)
        return self.links.create_grant(permission, target, scope)

    async def revoke(self, grant: HubGrant) -> None:
        """Revoke at once here, then at the hub."""
        kind, _, name = grant.grantee.partition(":")
        self.links.revoke(grant.id)
        self._keep_scope(grant.grantee, None)
        try:
            await self._hub("DELETE", f"shares/{self.server_path}", {kind: name})
        except HubError as error:
            if error.status != 404:
                raise

    async def search(self, query: str) -> dict[str, list[str]]:
        """Hub users and groups whose names contain ``query`` (as far as the hub
        lets this server list them)."""
        found: dict[str, list[str]] = {"users": [], "groups": []}
        params = urllib.parse.urlencode({"name_filter": query, "limit": 20})
        for kind in ("users", "groups"):
            try:
                items = await self._hub("GET", f"{kind}?{params}")
            except HubError as error:
                if error.status == 403:
                    continue  # the admin did not let servers list them
                raise
            if isinstance(items, dict):
                items = items.get("items", [])
            found[kind] = [item["name"] for item in items if item.get("name") != self.owner]
        return found

    def model(self, grant: HubGrant, connections: list[dict[str, str | None]]) -> dict[str, t.Any]:
        kind, _, name = grant.grantee.partition(":")
        return {
            "id": grant.id,
            "kind": kind,
            "name": name,
            "permission": grant.permission,
            "scope": grant.scope,
            "created": isoformat(grant.created),
            "connections": connections,
        }
