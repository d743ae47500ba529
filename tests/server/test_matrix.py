"""The permission matrix: every link level and the owner against every resource and
action, through real HTTP requests and real websockets.

The expected table is DESIGN.md's policy table written out here on its own, so a
change to ``policy.TABLE`` that contradicts the design fails these tests.
"""

from __future__ import annotations

import json
import typing as t
import uuid

import pytest
from jupyterlab.handlers.build_handler import Builder

VIEW, EDIT, FULL, OWNER = "view", "edit", "full", "owner"
LEVELS = (VIEW, EDIT, FULL, OWNER)
EVERYONE = frozenset(LEVELS)
EDITORS = frozenset({EDIT, FULL, OWNER})
FULL_AND_OWNER = frozenset({FULL, OWNER})
OWNER_ONLY = frozenset({OWNER})

#: (resource, action) -> the levels allowed, from DESIGN.md "The one policy table".
#: Lab workspaces and settings are allowed for every guest because each guest only
#: ever reaches a space of its own (test_workspaces checks that the owner's layout is
#: never touched, test_guest_settings the owner's settings).
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("contents", "read"): EVERYONE,
    ("contents", "write"): EDITORS,
    ("files", "read"): EVERYONE,
    ("view", "read"): EVERYONE,
    ("nbconvert", "read"): EVERYONE,
    ("kernelspecs", "read"): EVERYONE,
    ("api", "read"): EVERYONE,
    ("kernels", "read"): EVERYONE,
    ("kernels", "write"): EDITORS,
    ("kernels", "execute"): EDITORS,
    ("sessions", "read"): EVERYONE,
    ("sessions", "write"): EDITORS,
    ("terminals", "read"): FULL_AND_OWNER,
    ("terminals", "write"): FULL_AND_OWNER,
    ("terminals", "execute"): FULL_AND_OWNER,
    ("events", "write"): FULL_AND_OWNER,
    ("events", "execute"): EVERYONE,
    ("config", "read"): EVERYONE,
    ("config", "write"): OWNER_ONLY,
    ("settings", "read"): EVERYONE,
    ("settings", "write"): EVERYONE,
    ("workspaces", "read"): EVERYONE,
    ("workspaces", "write"): EVERYONE,
    ("server", "write"): OWNER_ONLY,
    # the extension manager fetches from the package index when asked to
    ("lab:extensions", "read"): OWNER_ONLY,
    ("lab:extensions", "write"): OWNER_ONLY,
    ("lab:plugins", "read"): EVERYONE,
    ("lab:plugins", "write"): OWNER_ONLY,
    ("lab:build", "read"): EVERYONE,
    ("lab:build", "write"): OWNER_ONLY,
    ("capella-share:session", "read"): EVERYONE,
    ("capella-share:session-ws", "read"): EVERYONE,
    ("capella-share:links", "read"): OWNER_ONLY,
    ("capella-share:links", "write"): OWNER_ONLY,
    ("capella-share:links", "delete-one"): OWNER_ONLY,
    ("capella-share:links", "delete-all"): OWNER_ONLY,
    ("capella-share:shares", "read"): EVERYONE,
    ("capella-share:shares", "write"): OWNER_ONLY,
    # rows the design leaves implicit: Lab pages and what they read, the visitor's
    # own identity, routes anyone may reach, CSP reports
    ("lab", "read"): EVERYONE,
    ("identity", "read"): EVERYONE,
    ("public", "read"): EVERYONE,
    ("csp", "write"): EDITORS,
    # trusting runs a notebook's scripts in the owner's browser (test_trust.py)
    ("trust", "write"): OWNER_ONLY,
}

#: Policy resources no cell here covers, and where they are tested instead.
ELSEWHERE = {
    # jupyter_lsp does not load under filterwarnings=error (a traitlets deprecation);
    # the route sweep (test_sweep.py) requests its routes as every guest
    "lsp",
    # served by jupyter-collaboration, which the matrix's server does not load:
    # test_trust.py asks for forks and timelines as every guest
    "forks",
}

#: EXPECTED's resources that name a route rather than a policy resource
ROUTE_RESOURCES = {"files": "contents", "view": "contents", "capella-share:session-ws": None}

CELLS = [
    pytest.param(level, resource, action, id=f"{level}-{resource}-{action}")
    for (resource, action) in EXPECTED
    for level in LEVELS
]

NOTEBOOK = "shared.ipynb"
SETTINGS_PLUGIN = "@jupyterlab/apputils-extension:themes"
UNKNOWN_KERNEL = str(uuid.UUID(int=0))


class Caller:
    """Makes one request as a given level; answers with the HTTP status (101 for an
    opened websocket)."""

    def __init__(self, level, token, fetch, ws_status, make_link, monkeypatch):
        self.level = level
        self.token = token  # None: the owner's own token
        self._fetch = fetch
        self._ws_status = ws_status
        self.make_link = make_link
        self.monkeypatch = monkeypatch

    async def http(self, *parts, **kwargs) -> int:
        return (await self._fetch(*parts, token=self.token, **kwargs)).code

    async def ws(self, *parts) -> int:
        return await self._ws_status(*parts, token=self.token)

    async def owner(self, *parts, **kwargs):
        response = await self._fetch(*parts, **kwargs)
        assert response.code < 300, (parts, response.code, response.body)
        return response.json() if response.body else None

    async def owner_kernel(self) -> str:
        return (await self.owner("api", "kernels", method="POST", body="{}"))["id"]


def _json(body: t.Any) -> dict[str, t.Any]:
    return {"body": json.dumps(body)}


async def _shutdown(caller: Caller) -> int:
    if caller.level != OWNER:
        return await caller.http("api", "shutdown", method="POST", body="")
    # The owner's cell is asked of the Authorizer: a real shutdown would end the test.
    me = await caller.owner("api", "me", params={"permissions": json.dumps({"server": ["write"]})})
    return 200 if me["permissions"]["server"] == ["write"] else 403


async def _kernel_channels(caller: Caller) -> int:
    # Refusal comes before the kernel is looked up, so refused levels need no kernel.
    allowed = caller.level in EXPECTED["kernels", "execute"]
    kernel_id = await caller.owner_kernel() if allowed else UNKNOWN_KERNEL
    return await caller.ws("api", "kernels", kernel_id, "channels")


async def _terminal_socket(caller: Caller) -> int:
    # a terminal of the caller's own: nobody else's is reachable (test_sandbox.py)
    allowed = caller.level in EXPECTED["terminals", "execute"]
    name = "1"
    if allowed:
        made = await caller._fetch("api", "terminals", method="POST", body="", token=caller.token)
        assert made.code == 200, made.body
        name = json.loads(made.body)["name"]
    return await caller.ws("terminals", "websocket", name)


async def _build_cancel(caller: Caller) -> int:
    async def cancel(builder):  # nothing is building: stand in for a running build
        builder.canceled = True

    caller.monkeypatch.setattr(Builder, "cancel", cancel)
    return await caller.http("lab", "api", "build", method="DELETE")


async def _delete_link(caller: Caller) -> int:
    model, _ = await caller.make_link(VIEW)
    return await caller.http("api", "capella-share", "links", model["id"], method="DELETE")


PROBES: dict[tuple[str, str], t.Callable[[Caller], t.Awaitable[int]]] = {
    ("contents", "read"): lambda c: c.http("api", "contents", NOTEBOOK),
    ("contents", "write"): lambda c: c.http(
        "api",
        "contents",
        "new.txt",
        method="PUT",
        **_json({"type": "file", "format": "text", "content": "hello"}),
    ),
    ("files", "read"): lambda c: c.http("files", NOTEBOOK),
    ("view", "read"): lambda c: c.http("view", "page.html"),
    ("nbconvert", "read"): lambda c: c.http("api", "nbconvert"),
    ("kernelspecs", "read"): lambda c: c.http("api", "kernelspecs"),
    ("api", "read"): lambda c: c.http("api", "status"),
    ("kernels", "read"): lambda c: c.http("api", "kernels"),
    ("kernels", "write"): lambda c: c.http("api", "kernels", method="POST", body="{}"),
    ("kernels", "execute"): _kernel_channels,
    ("sessions", "read"): lambda c: c.http("api", "sessions"),
    ("sessions", "write"): lambda c: c.http(
        "api",
        "sessions",
        method="POST",
        **_json({"path": NOTEBOOK, "type": "notebook", "kernel": {"name": "python3"}}),
    ),
    ("terminals", "read"): lambda c: c.http("api", "terminals"),
    ("terminals", "write"): lambda c: c.http("api", "terminals", method="POST", body=""),
    ("terminals", "execute"): _terminal_socket,
    ("events", "write"): lambda c: c.http(
        "api",
        "events",
        method="POST",
        **_json(
            {
                "schema_id": "https://events.jupyter.org/jupyter_server/contents_service/v1",
                "version": "1",
                "data": {"action": "get", "path": NOTEBOOK},
            }
        ),
    ),
    ("events", "execute"): lambda c: c.ws("api", "events", "subscribe"),
    ("config", "read"): lambda c: c.http("api", "config", "notebook"),
    ("config", "write"): lambda c: c.http(
        "api", "config", "notebook", method="PATCH", **_json({"capella": 1})
    ),
    ("settings", "read"): lambda c: c.http("lab", "api", "settings"),
    ("settings", "write"): lambda c: c.http(
        "lab",
        "api",
        "settings",
        SETTINGS_PLUGIN,
        method="PUT",
        **_json({"raw": '{"theme": "JupyterLab Dark"}'}),
    ),
    ("workspaces", "read"): lambda c: c.http("lab", "api", "workspaces", "default"),
    ("workspaces", "write"): lambda c: c.http(
        "lab",
        "api",
        "workspaces",
        "default",
        method="PUT",
        **_json({"data": {}, "metadata": {"id": "default"}}),
    ),
    ("server", "write"): _shutdown,
    ("lab:extensions", "read"): lambda c: c.http("lab", "api", "extensions"),
    ("lab:extensions", "write"): lambda c: c.http(
        "lab",
        "api",
        "extensions",
        method="POST",
        **_json({"cmd": "enable", "extension_name": "capella-share"}),
    ),
    ("lab:plugins", "read"): lambda c: c.http("lab", "api", "plugins"),
    ("lab:plugins", "write"): lambda c: c.http(
        "lab",
        "api",
        "plugins",
        method="POST",
        **_json({"cmd": "enable", "plugin_name": "capella-share:plugin"}),
    ),
    ("lab:build", "read"): lambda c: c.http("lab", "api", "build"),
    ("lab:build", "write"): _build_cancel,
    ("capella-share:session", "read"): lambda c: c.http("api", "capella-share", "session"),
    ("capella-share:session-ws", "read"): lambda c: c.ws("api", "capella-share", "session", "ws"),
    ("capella-share:links", "read"): lambda c: c.http("api", "capella-share", "links"),
    ("capella-share:links", "write"): lambda c: c.http(
        "api",
        "capella-share",
        "links",
        method="POST",
        **_json({"permission": VIEW, "expires_in": 60}),
    ),
    ("capella-share:links", "delete-one"): _delete_link,
    ("capella-share:links", "delete-all"): lambda c: c.http(
        "api", "capella-share", "links", method="DELETE"
    ),
    ("capella-share:shares", "read"): lambda c: c.http("api", "capella-share", "shares"),
    ("capella-share:shares", "write"): lambda c: c.http(
        "api",
        "capella-share",
        "shares",
        method="POST",
        **_json({"project": "matrix", "model": f"by-{c.level}"}),
    ),
    ("lab", "read"): lambda c: c.http("lab"),
    ("identity", "read"): lambda c: c.http("api", "me"),
    ("public", "read"): lambda c: c.http("api"),
    ("csp", "write"): lambda c: c.http(
        "api", "security", "csp-report", method="POST", **_json({"csp-report": {}})
    ),
    ("trust", "write"): lambda c: c.http(
        "api", "contents", NOTEBOOK, "trust", method="POST", body=""
    ),
}


def test_every_resource_of_the_policy_is_in_the_matrix():
    from capella_share import policy

    tested = {ROUTE_RESOURCES.get(resource, resource) for resource, _ in EXPECTED}
    assert set(policy.TABLE) <= tested | ELSEWHERE, set(policy.TABLE) - tested - ELSEWHERE


def test_every_cell_has_a_probe(report):
    assert set(PROBES) == set(EXPECTED)
    report(
        "capella-share permission matrix",
        f"{len(CELLS)} cells: {len(LEVELS)} levels x {len(EXPECTED)} resource/actions",
    )


@pytest.fixture
def shared_files(jp_root_dir, jp_create_notebook):
    jp_create_notebook(NOTEBOOK)
    (jp_root_dir / "page.html").write_text("<p>hello</p>")


@pytest.mark.parametrize(("level", "resource", "action"), CELLS)
async def test_matrix(
    level, resource, action, shared_files, fetch, ws_status, make_link, monkeypatch
):
    token = None if level == OWNER else (await make_link(level))[1]
    caller = Caller(level, token, fetch, ws_status, make_link, monkeypatch)
    code = await PROBES[resource, action](caller)
    if level in EXPECTED[resource, action]:
        assert code in range(200, 300) or code == 101, f"{level} refused {action} {resource}"
    else:
        assert code == 403, f"{level} got {code} for {action} {resource}, expected 403"
