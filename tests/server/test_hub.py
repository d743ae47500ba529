"""capella-share under a real JupyterHub: links for people without a hub account,
hub users and groups given a level through the hub's own sharing API, and
revocation without the hub's 300 s token cache.

The hub runs on 127.0.0.1 with configurable-http-proxy (npm), DummyAuthenticator
users alice (the owner), bob and carol (group "reviewers"), and
SimpleLocalProcessSpawner servers; everything goes through the proxy, as a browser's
requests would.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import typing as t
from pathlib import Path

import pytest
import requests
from helpers import TESTS, Sweeper, until_blocking
from helpers import sweep as sweep_routes
from live_hub import LiveHub, proxy_command
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(proxy_command() is None, reason="configurable-http-proxy is missing"),
]

#: The hub configuration docs/jupyterhub.md tells admins to use.
CAPELLA_HUB_CONFIG = (TESTS.parent / "docs" / "jupyterhub_config.py").read_text()


#: The route census extension of the sweep (tests/route_census.py) in alice's server.
CENSUS_CONFIG = """
c.Spawner.args.append("--ServerApp.jpserver_extensions=route_census=True")
c.Spawner.environment.update(
    {{
        "ROUTE_CENSUS": lambda spawner: {census!r} + f"/routes-{{spawner.user.name}}.json",
        "PYTHONPATH": {tests!r},
    }}
)
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hub")
    census = CENSUS_CONFIG.format(census=str(workdir), tests=str(TESTS))
    hub = LiveHub(workdir, CAPELLA_HUB_CONFIG + census)
    hub.start()
    try:
        hub.start_server("alice")
        yield hub
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def alice(hub):
    session = hub.login("alice")
    assert hub.authorize(session, "alice").status_code == 200
    return session


def call(hub: LiveHub, session: requests.Session, method: str, path: str, **kwargs: t.Any):
    """A request to alice's server, as the browser holding ``session`` would send it."""
    url = f"{hub.url}/user/alice/{path}"
    xsrf = session.cookies.get("_xsrf", path="/user/alice/") or ""
    headers = {"X-XSRFToken": xsrf, "Referer": url}
    return session.request(method, url, headers=headers, timeout=60, **kwargs)


def you(hub: LiveHub, session: requests.Session) -> dict:
    response = call(hub, session, "GET", "api/capella-share/session")
    assert response.status_code == 200, response.text
    return response.json()["you"]


async def open_socket(hub: LiveHub, session: requests.Session, path: str):
    cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    url = f"ws://127.0.0.1:{hub.port}/user/alice/{path}"
    return await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies}))


async def closed_within(connection, seconds: float) -> tuple[int | None, float]:
    """Wait for the server to close ``connection``; (close code, seconds waited)."""
    start = time.monotonic()

    async def drain():
        while await connection.read_message() is not None:
            pass

    try:
        await asyncio.wait_for(drain(), seconds)
    finally:
        connection.close()
    return connection.close_code, time.monotonic() - start


def server_environment(user: str) -> dict[str, str]:
    """The environment of ``user``'s running single-user server (read from /proc)."""
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            raw = environ.read_bytes()
            cmdline = (environ.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if b"jupyterhub.singleuser" in cmdline and f"JUPYTERHUB_USER={user}\0".encode() in raw:
            return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
    raise AssertionError(f"{user}'s server process was not found")


def write_file(hub: LiveHub, session: requests.Session, name: str) -> requests.Response:
    body = {"type": "file", "format": "text", "content": "written"}
    return call(hub, session, "PUT", f"api/contents/{name}", json=body)


def page_config(html: str) -> dict:
    match = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, html[:500]
    return json.loads(match.group(1))


async def test_an_anonymous_link_guest_through_the_proxy(hub, alice):
    assert call(hub, alice, "GET", "api/capella-share/info").json()["mode"] == "hub"
    link = call(hub, alice, "POST", "api/capella-share/links", json={"permission": "view"})
    assert link.status_code == 201, link.text
    link = link.json()
    assert link["url"].startswith(f"{hub.url}/user/alice/lab?token=")
    secret = server_environment("alice")["JUPYTERHUB_API_TOKEN"]

    guest = requests.Session()  # no hub account, no hub cookie
    page = guest.get(link["url"], timeout=60)
    assert page.status_code == 200 and "/hub/login" not in page.url
    config = page_config(page.text)
    assert secret not in page.text and config["token"] == ""
    # our page config hook survives the hub's, which replaces it
    assert "@jupyter/collaboration-extension:shared-link" in config["disabledExtensions"]
    seen = you(hub, guest)
    assert seen.pop("may")["write"] is False
    assert seen.pop("kernels")["refused"]  # a view guest connects to no kernel
    assert seen == {
        "username": seen["username"],
        "display_name": "View guest",
        "role": "guest",
        "permission": "view",
        "scope": "",
    }
    assert write_file(hub, guest, "x.txt").status_code == 403
    missing = call(hub, guest, "GET", "files/no-such-file")
    assert missing.status_code == 404 and secret not in missing.text

    socket = await open_socket(hub, guest, "api/capella-share/session/ws")
    assert call(hub, alice, "DELETE", f"api/capella-share/links/{link['id']}").status_code == 204
    code, waited = await closed_within(socket, 5)
    assert code == 4001 and waited < 1
    assert call(hub, guest, "GET", "api/contents").status_code in (302, 401, 403) or (
        "/login" in call(hub, guest, "GET", "api/contents").url
    )


async def test_a_hub_user_shared_with_from_the_dialog_is_a_guest_at_that_level(hub, alice, report):
    bob = hub.login("bob")
    response = call(
        hub, alice, "POST", "api/capella-share/grants", json={"user": "bob", "permission": "view"}
    )
    assert response.status_code == 201, response.text
    grant = response.json()
    assert (grant["kind"], grant["name"], grant["permission"]) == ("user", "bob", "view")
    shared = hub.api("GET", "shares/alice/").json()["items"]
    assert [s["scopes"] for s in shared if (s.get("user") or {}).get("name") == "bob"] == [
        ["access:servers!server=alice/", "custom:capella-share:view!server=alice/"]
    ]

    assert hub.authorize(bob, "alice").status_code == 200
    assert you(hub, bob)["role"] == "guest" and you(hub, bob)["permission"] == "view"
    assert write_file(hub, bob, "bob.txt").status_code == 403
    assert call(hub, bob, "POST", "api/kernels", json={}).status_code == 403
    listed = call(hub, alice, "GET", "api/capella-share/grants").json()["grants"]
    assert [g["name"] for g in listed] == ["bob"]

    socket = await open_socket(hub, bob, "api/capella-share/session/ws")
    started = time.monotonic()
    assert call(hub, alice, "DELETE", f"api/capella-share/grants/{grant['id']}").status_code == 204
    code, _ = await closed_within(socket, 5)
    closed_after = time.monotonic() - started
    refused = call(hub, bob, "GET", "api/contents")
    assert code == 4001 and refused.status_code == 403
    page = call(hub, bob, "GET", "lab")  # the hub still vouches for bob: we do not
    assert page.status_code == 403 and "not shared with you" in page.text
    assert closed_after < 1  # including the hub's own revoke, which the close does not wait for
    assert not [s for s in hub.api("GET", "shares/alice/").json()["items"] if s.get("user")]
    report(
        "hub revocation",
        f"dialog revoke: bob's socket closed after {closed_after * 1000:.0f} ms, next request 403",
    )
    # the grant's activity, as the owner reads it: bob by his hub name
    trail = call(hub, alice, "GET", f"api/capella-share/activity?link={grant['id']}").json()
    records = list(reversed(trail["records"]))
    assert [r["action"] for r in records] == [
        "grant.create",
        "guest.arrived",
        "refused",
        "refused",
        "grant.end",
        "guest.left",
    ]
    arrived = records[1]
    assert (arrived["user"], arrived["grantee"], arrived["level"]) == ("bob", "user:bob", "view")
    assert records[4]["by"] == "owner" and records[5]["why"] == "revoked"


async def test_a_share_revoked_at_the_hub_ends_within_the_poll_bound(hub, alice, report):
    bob = hub.login("bob")
    hub.authorize(bob, "alice")
    assert call(hub, bob, "GET", "api/contents").status_code == 403  # nothing shared yet
    shared_at = time.monotonic()
    granted = hub.api(
        "POST",
        "shares/alice/",
        json={
            "user": "bob",
            "scopes": ["access:servers!server=alice/", "custom:capella-share:edit!server=alice/"],
        },
    )
    assert granted.status_code == 200, granted.text
    while call(hub, bob, "GET", "api/contents").status_code != 200:
        assert time.monotonic() - shared_at < 10, "the hub's share never reached the server"
        await asyncio.sleep(0.1)
        # bob's browser had no access when it last asked the hub: it asks again
        hub.authorize(bob, "alice")
    seen_after = time.monotonic() - shared_at
    assert you(hub, bob)["permission"] == "edit"
    assert write_file(hub, bob, "bob.txt").status_code == 201

    socket = await open_socket(hub, bob, "api/capella-share/session/ws")
    revoked_at = time.monotonic()
    assert hub.api("DELETE", "shares/alice/", json={"user": "bob"}).status_code == 204
    code, _ = await closed_within(socket, 10)
    closed_after = time.monotonic() - revoked_at
    assert code == 4001 and closed_after <= 5
    assert call(hub, bob, "GET", "api/contents").status_code == 403
    report(
        "hub revocation",
        f"hub API share seen after {seen_after:.2f} s; hub API revoke: socket closed and "
        f"requests refused after {closed_after:.2f} s (bound 5 s; the hub's own cache: 300 s)",
    )


@pytest.mark.xfail(
    reason="JupyterHub 6.1 counts a group's shares in a member's own scopes but not in "
    "their tokens' (scopes.get_scopes_for), so the hub itself refuses the member",
    raises=AssertionError,
    strict=True,
)
def test_a_group_grant_covers_its_members_and_nobody_else(hub, alice):
    response = call(
        hub,
        alice,
        "POST",
        "api/capella-share/grants",
        json={"group": "reviewers", "permission": "edit"},
    )
    assert response.status_code == 201, response.text
    carol = hub.login("carol")
    hub.authorize(carol, "alice")
    try:
        assert you(hub, carol)["permission"] == "edit"
        bob = hub.login("bob")
        hub.authorize(bob, "alice")
        assert call(hub, bob, "GET", "api/contents").status_code == 403
    finally:
        call(hub, alice, "DELETE", f"api/capella-share/grants/{response.json()['id']}")
    assert call(hub, carol, "GET", "api/contents").status_code == 403


def test_grants_are_the_owners_and_take_only_hub_names(hub, alice):
    bad = [
        ({"user": "bob", "group": "reviewers"}, "exactly one"),
        ({"user": "bo b"}, "hub user name"),
        ({"user": "alice"}, "your own server"),
        ({"user": "bob", "permission": "owner"}, "permission must be"),
        ({"user": "nobody-such"}, "JupyterHub refused"),
    ]
    for body, message in bad:
        response = call(hub, alice, "POST", "api/capella-share/grants", json=body)
        assert 400 <= response.status_code < 500 and message in response.json()["message"], (
            body,
            response.text,
        )
    found = call(hub, alice, "GET", "api/capella-share/hub/directory", params={"q": "bo"})
    assert found.status_code == 200 and "bob" in found.json()["users"]


def test_every_route_of_a_hub_server_as_every_guest(hub, alice, report):
    """The route sweep of test_sweep.py, through the hub's proxy: link guests of each
    level by token and by cookie, and a hub user shared with at view."""
    census = hub.workdir / "routes-alice.json"
    until_blocking(census.exists, 20, "alice's server wrote no route census")
    routes = json.loads(census.read_text())
    assert all(r["vetted"] for r in routes), [r for r in routes if not r["vetted"]]
    secrets = {
        f"the server's {name}": value.encode()
        for name, value in server_environment("alice").items()
        if re.search("TOKEN|SECRET|KEY", name) and len(value) >= 8
    }
    guests: dict[str, tuple[str, dict[str, str]]] = {}
    for level in ("view", "edit", "full"):
        link = call(hub, alice, "POST", "api/capella-share/links", json={"permission": level})
        token = link.json()["token"]
        secrets[f"the {level} link's token"] = token.encode()
        visitor = requests.Session()
        assert visitor.get(f"{hub.url}/user/alice/api/capella-share/session?token={token}").ok
        cookies = "; ".join(f"{c.name}={c.value}" for c in visitor.cookies)
        guests[f"{level} by token"] = (level, {"Authorization": f"token {token}"})
        guests[f"{level} by cookie"] = (level, {"Cookie": cookies})
    grant = call(
        hub, alice, "POST", "api/capella-share/grants", json={"user": "bob", "permission": "view"}
    )
    bob = hub.login("bob")
    hub.authorize(bob, "alice")
    assert you(hub, bob)["permission"] == "view"
    bob_cookies = "; ".join(
        f"{c.name}={c.value}" for c in bob.cookies if c.path.startswith("/user/alice")
    )
    guests["hub user bob at view"] = ("view", {"Cookie": bob_cookies})
    owner_token = hub.api("POST", "users/alice/tokens", json={"note": "sweep"}).json()["token"]
    try:
        swept = sweep_routes(
            Sweeper(hub), routes, guests, secrets, owner={"Authorization": f"token {owner_token}"}
        )
    finally:
        call(hub, alice, "DELETE", "api/capella-share/links")
        call(hub, alice, "DELETE", f"api/capella-share/grants/{grant.json()['id']}")
    report(
        "route sweep",
        f"/user/alice/ under JupyterHub: {len(routes)} routes, {swept.requests} route x verb x "
        f"guest requests, {swept.refused} of them cells the policy refuses",
    )
    assert swept.ok > 100, swept
    assert not swept.problems, f"{len(swept.problems)} problems:\n" + "\n".join(swept.problems[:60])


async def test_a_named_server_shares_on_its_own(hub, alice):
    """alice's server "work": its links and grants are its own, and a grant of it
    does not open her default server."""
    hub.start_server("alice", "work")
    base = f"{hub.url}/user/alice/work"
    alice.get(f"{base}/lab", timeout=60)  # the hub's OAuth for this server
    xsrf = alice.cookies.get("_xsrf", path="/user/alice/work/") or ""
    headers = {"X-XSRFToken": xsrf, "Referer": base}
    link = alice.post(
        f"{base}/api/capella-share/links", json={"permission": "view"}, headers=headers
    )
    assert link.status_code == 201, link.text
    assert link.json()["url"].startswith(f"{base}/lab?token=")
    guest = requests.Session()
    assert guest.get(link.json()["url"], timeout=60).status_code == 200
    seen = guest.get(f"{base}/api/capella-share/session", timeout=60).json()["you"]
    assert (seen["role"], seen["permission"]) == ("guest", "view")
    # the link is the named server's: the default server does not know it
    other = guest.get(
        f"{hub.url}/user/alice/api/capella-share/session",
        headers={"Authorization": f"token {link.json()['token']}"},
        timeout=60,
    )
    assert other.status_code in (401, 403)

    grant = alice.post(
        f"{base}/api/capella-share/grants",
        json={"user": "bob", "permission": "edit"},
        headers=headers,
    )
    assert grant.status_code == 201, grant.text
    shares = hub.api("GET", "shares/alice/work").json()["items"]
    assert [s["scopes"] for s in shares] == [
        ["access:servers!server=alice/work", "custom:capella-share:edit!server=alice/work"]
    ]
    bob = hub.login("bob")
    assert hub.authorize(bob, "alice", "work").status_code == 200
    seen = bob.get(f"{base}/api/capella-share/session", timeout=60).json()["you"]
    assert (seen["role"], seen["permission"]) == ("guest", "edit")
    # her default server is not shared with bob: the hub itself turns him away
    assert hub.authorize(bob, "alice").status_code == 403


def test_a_grant_may_share_one_folder(hub, alice):
    home = hub.workdir / "home" / "alice"
    (home / "project").mkdir(exist_ok=True)
    (home / "project" / "shared.txt").write_text("shared")
    (home / "private.txt").write_text("alice's own")
    response = call(
        hub,
        alice,
        "POST",
        "api/capella-share/grants",
        json={"user": "bob", "permission": "edit", "scope": "project"},
    )
    assert response.status_code == 201, response.text
    grant = response.json()
    assert grant["scope"] == "project"
    bob = hub.login("bob")
    hub.authorize(bob, "alice")
    try:
        assert you(hub, bob)["scope"] == "project"
        assert call(hub, bob, "GET", "api/contents/project/shared.txt").status_code == 200
        assert call(hub, bob, "GET", "api/contents/private.txt").status_code == 403
        assert write_file(hub, bob, "project/bob.txt").status_code == 201
        assert write_file(hub, bob, "bob.txt").status_code == 403
    finally:
        call(hub, alice, "DELETE", f"api/capella-share/grants/{grant['id']}")
