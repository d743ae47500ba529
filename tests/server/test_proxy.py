"""Behind a platform's authenticating proxy (docs/platforms.md).

A real nginx (Debian's) runs the configuration docs/platforms.md gives, ports
filled in, in front of a real ``jupyter lab --ServerApp.token=''`` with
``CapellaShareApp.proxy_owner`` on, and a stand-in for the platform's session
validator: nginx admits a request when the platform says yes (the owner), or else
when capella-share's auth-check says yes (a share link's guest): the stack of
tests/live_proxy.py, which bench/proxy.py times.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import typing as t
import uuid

import pytest
import requests
from live_proxy import (
    NGINX,
    OWNER_COOKIE,
    PLATFORM_COOKIE,
    PREFIX,
    Stack,
    make_link,
    owner_session,
    running_stack,
)
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> t.Iterator[Stack]:
    if shutil.which(NGINX) is None:
        pytest.skip(f"{NGINX} is missing (apt-get install nginx-light; .ci/run does)")
    with running_stack(tmp_path_factory.mktemp("proxy")) as running:
        (running.jupyter.root / "notes.txt").write_text("notes\n")
        yield running
        log = running.jupyter.log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[-4000:]


def revoke(stack: Stack, link_id: str) -> None:
    response = owner_session(stack).delete(
        stack.url(f"api/capella-share/links/{link_id}"), timeout=30
    )
    assert response.status_code == 204, response.text


def guest_browser(stack: Stack, link: dict) -> requests.Session:
    """A browser without the platform's cookie that opened the link's URL."""
    session = requests.Session()
    assert link["url"].startswith(stack.nginx.url), link["url"]
    page = session.get(link["url"], timeout=30)
    assert page.status_code == 200, page.status_code
    assert any(c.name.endswith("-guest") for c in session.cookies), session.cookies
    return session


def token_header(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def refused_by_nginx(response: requests.Response) -> bool:
    return response.status_code == 401 and "<center>nginx" in response.text


def you(response: requests.Response) -> dict:
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()["you"]


# -- through nginx -------------------------------------------------------------------------------
def test_the_owner_gets_in_with_the_platform_cookie(stack):
    owner = owner_session(stack)
    listing = owner.get(stack.url("api/contents"), timeout=30)
    assert listing.status_code == 200
    assert "notes.txt" in [item["name"] for item in listing.json()["content"]]
    assert you(owner.get(stack.url("api/capella-share/session"), timeout=30))["role"] == "owner"
    info = owner.get(stack.url("api/capella-share/info"), timeout=30).json()
    assert info["links_unavailable"] is None
    assert "links" in info["features"]
    link = make_link(stack, "view")
    assert link["url"].startswith(f"{stack.nginx.url}{PREFIX}lab?token=csl_")


def test_nobody_gets_in_without_either(stack):
    sentinel = f"sentinel-{uuid.uuid4().hex}"
    asked = stack.platform.asked
    anonymous = requests.Session()
    bad = requests.Session()
    bad.cookies.update({PLATFORM_COOKIE: "bad"})
    for session in (anonymous, bad):
        for method, path in [
            ("GET", "lab"),
            ("GET", "api/contents"),
            ("GET", f"api/contents/{sentinel}"),
            ("PUT", f"api/contents/{sentinel}.txt"),
            ("GET", "api/capella-share/session"),
            ("GET", "api/capella-share/auth-check"),
        ]:
            response = session.request(method, stack.url(path), timeout=30)
            assert refused_by_nginx(response), (method, path, response.status_code)
    # a websocket upgrade too
    assert refused_by_nginx(
        anonymous.get(
            stack.url("api/capella-share/session/ws"),
            headers={"Connection": "Upgrade", "Upgrade": "websocket"},
            timeout=30,
        )
    )
    assert stack.platform.asked > asked  # the platform was asked first, and said no
    # nothing of it reached Jupyter: it would have answered the sentinel with a 404
    time.sleep(0.2)
    assert sentinel not in stack.jupyter.log_path.read_text(errors="replace")
    assert not (stack.jupyter.root / f"{sentinel}.txt").exists()


def test_a_guest_gets_in_with_a_link_and_is_a_guest(stack):
    link = make_link(stack, "view")
    browser = guest_browser(stack, link)
    # the browser keeps working with its cookie alone
    for _ in range(3):
        who = you(browser.get(stack.url("api/capella-share/session"), timeout=30))
        assert (who["role"], who["permission"]) == ("guest", "view")
    assert browser.get(stack.url("api/contents/notes.txt"), timeout=30).status_code == 200
    # a script with the token in a header is a guest too
    script = token_header(link["token"])
    who = you(requests.get(stack.url("api/capella-share/session"), headers=script, timeout=30))
    assert (who["role"], who["permission"]) == ("guest", "view")
    # and a view guest writes nothing, makes no links
    write = requests.put(
        stack.url("api/contents/notes.txt"),
        json={"type": "file", "format": "text", "content": "changed"},
        headers=script,
        timeout=30,
    )
    assert write.status_code == 403, write.text
    assert (stack.jupyter.root / "notes.txt").read_text() == "notes\n"
    links = requests.post(stack.url("api/capella-share/links"), json={}, headers=script, timeout=30)
    assert links.status_code == 403, links.text


def test_an_edit_guest_writes_through_the_proxy(stack):
    link = make_link(stack, "edit")
    write = requests.put(
        stack.url("api/contents/from-guest.txt"),
        json={"type": "file", "format": "text", "content": "hello"},
        headers=token_header(link["token"]),
        timeout=30,
    )
    assert write.status_code == 201, write.text
    assert (stack.jupyter.root / "from-guest.txt").read_text() == "hello"


def test_a_revoked_link_is_refused_at_nginx(stack):
    link = make_link(stack, "view")
    browser = guest_browser(stack, link)
    script = token_header(link["token"])
    assert browser.get(stack.url("api/contents"), timeout=30).status_code == 200
    revoke(stack, link["id"])
    assert refused_by_nginx(browser.get(stack.url("api/contents"), timeout=30))
    assert refused_by_nginx(browser.get(stack.url("lab"), timeout=30))
    assert refused_by_nginx(requests.get(stack.url("api/contents"), headers=script, timeout=30))
    assert refused_by_nginx(requests.get(link["url"], timeout=30))


def test_the_platform_cookie_with_a_dead_link_is_refused_not_the_owner(stack):
    link = make_link(stack, "view")
    browser = guest_browser(stack, link)
    revoke(stack, link["id"])
    session_url = stack.url("api/capella-share/session")
    with_owner_cookie = {"Cookie": f"{PLATFORM_COOKIE}=good"}
    dead_token = requests.get(
        session_url, headers={**with_owner_cookie, **token_header(link["token"])}, timeout=30
    )
    assert dead_token.status_code == 403, dead_token.text
    dead_query = requests.get(
        session_url, params={"token": link["token"]}, headers=with_owner_cookie, timeout=30
    )
    assert dead_query.status_code == 403, dead_query.text
    # a page is not served either: it says the link ended, without the token
    dead_page = requests.get(
        stack.url("lab"),
        params={"token": link["token"]},
        headers={**with_owner_cookie, "Accept": "text/html"},
        allow_redirects=False,
        timeout=30,
    )
    assert dead_page.status_code == 403, dead_page.status_code
    assert "revoked the link you came in with" in dead_page.text
    assert link["token"] not in dead_page.text
    # the revoked guest logs in to the platform: its link's cookie is still refused...
    browser.cookies.update(OWNER_COOKIE)
    refused = browser.get(session_url, timeout=30)
    assert refused.status_code == 403, refused.text
    # ...and cleared by that refusal, after which the platform's user is the owner
    assert not any(c.name.endswith("-guest") for c in browser.cookies)
    assert you(browser.get(session_url, timeout=30))["role"] == "owner"


def test_a_token_in_a_header_the_client_wrote_admits_nothing(stack):
    """nginx sets both URI headers itself: a client naming a live token in one of
    them, on a request that carries no link, is not admitted (Jupyter would have
    taken that request for the owner)."""
    link = make_link(stack, "view")
    forged = f"{PREFIX}lab?token={link['token']}"
    for header in ("X-Original-URI", "X-Forwarded-Uri"):
        response = requests.get(stack.url("api/contents"), headers={header: forged}, timeout=30)
        assert refused_by_nginx(response), (header, response.status_code)


def test_websockets_work_through_nginx_for_the_owner(stack):
    owner = owner_session(stack)
    cookies = "; ".join(f"{name}={value}" for name, value in owner.cookies.items())
    kernel = owner.post(stack.url("api/kernels"), json={"name": "python3"}, timeout=60)
    assert kernel.status_code == 201, kernel.text
    kernel_id = kernel.json()["id"]
    ws_base = stack.nginx.url.replace("http://", "ws://") + PREFIX

    async def talk() -> str:
        session = await websocket_connect(
            HTTPRequest(f"{ws_base}api/capella-share/session/ws", headers={"Cookie": cookies})
        )
        session.close()
        channels = await websocket_connect(
            HTTPRequest(f"{ws_base}api/kernels/{kernel_id}/channels", headers={"Cookie": cookies})
        )
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": "kernel_info_request",
            "username": "owner",
            "session": uuid.uuid4().hex,
            "version": "5.3",
        }
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": {}}
        await channels.write_message(json.dumps({**message, "channel": "shell"}))
        try:
            while True:
                reply = await asyncio.wait_for(channels.read_message(), 60)
                assert reply is not None, "the kernel socket closed"
                data = json.loads(reply)
                replied = data.get("parent_header", {}).get("msg_id") == msg_id
                if replied and data["header"]["msg_type"] == "kernel_info_reply":
                    return data["content"]["status"]
        finally:
            channels.close()

    try:
        assert asyncio.run(talk()) == "ok"
    finally:
        owner.delete(stack.url(f"api/kernels/{kernel_id}"), timeout=60)

    # and nobody's upgrade gets through
    async def anonymous() -> int:
        try:
            connection = await websocket_connect(f"{ws_base}api/kernels/{kernel_id}/channels")
        except HTTPClientError as error:
            return error.code
        connection.close()
        return 101

    assert asyncio.run(anonymous()) == 401


# -- the auth-check itself -------------------------------------------------------------------------
def test_the_auth_check_says_yes_or_no_and_nothing_else(stack):
    check = stack.direct("api/capella-share/auth-check")
    link = make_link(stack, "edit")
    token = link["token"]
    browser = guest_browser(stack, link)
    cookie = "; ".join(
        f"{name}={value}" for name, value in browser.cookies.items() if name.endswith("-guest")
    )
    uri = f"{PREFIX}lab?token={token}"
    yes = [
        token_header(token),
        {"X-Original-URI": uri},
        {"X-Forwarded-Uri": uri},
        {"X-Original-URI": uri, "X-Forwarded-Uri": uri},
        # a guest cookie is found whatever host name the proxy asks under
        {"Cookie": cookie},
        {"Cookie": cookie, "Host": "localhost"},
    ]
    no = [
        {},
        {"Cookie": f"{PLATFORM_COOKIE}=good"},
        token_header("not-a-link-token"),
        token_header(token[:-4] + "AAAA"),
        {"X-Original-URI": f"{PREFIX}lab?token={token[:-4]}AAAA"},
        # the URI headers disagree: one of them came from the client
        {"X-Original-URI": uri, "X-Forwarded-Uri": f"{PREFIX}lab"},
        {"Cookie": cookie.replace("=", "=x", 1)},
    ]
    for headers, status in [*((h, 204) for h in yes), *((h, 401) for h in no)]:
        response = requests.get(check, headers=headers, timeout=30)
        assert response.status_code == status, (headers, response.status_code)
        assert response.content == b""
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    revoke(stack, link["id"])
    for headers in yes:
        assert requests.get(check, headers=headers, timeout=30).status_code == 401, headers


# -- in-process: what a server without a token offers ---------------------------------------------
@pytest.fixture
def tokenless(jp_serverapp):
    """The in-process server with its token off, as a platform starts it. The
    requests of ``fetch`` still carry the old token: to this server it is just a
    string, as anything else the proxy lets through."""
    identity = jp_serverapp.identity_provider
    token = identity.token
    identity.token = ""
    assert not identity.auth_enabled
    yield
    identity.token = token


#: A tokenless server's owner is cookie-authenticated: its writes need XSRF.
XSRF = {"Cookie": "_xsrf=capella", "X-XSRFToken": "capella"}


async def _make_view_link(fetch):
    body = json.dumps({"permission": "view"})
    return await fetch("api", "capella-share", "links", method="POST", body=body, headers=XSRF)


async def _info(fetch) -> dict:
    response = await fetch("api", "capella-share", "info")
    assert response.code == 200
    return response.json()


async def test_links_are_available_on_a_server_with_a_token(fetch):
    info = await _info(fetch)
    assert info["links_unavailable"] is None
    assert "links" in info["features"]


async def test_without_a_token_or_proxy_owner_no_link_is_made(fetch, capella, tokenless):
    info = await _info(fetch)
    reason = info["links_unavailable"]
    assert "CapellaShareApp.proxy_owner" in reason
    assert "links" not in info["features"]
    made = await _make_view_link(fetch)
    assert made.code == 403
    assert made.json()["message"] == reason


async def test_with_proxy_owner_links_are_made_and_dead_ones_are_nobody(
    fetch, capella, tokenless, jp_base_url
):
    capella.proxy_owner = True
    info = await _info(fetch)
    assert info["links_unavailable"] is None
    made = await _make_view_link(fetch)
    assert made.code == 201, made.body
    token = made.json()["token"]
    session = ("api", "capella-share", "session")
    anyone = (await fetch(*session, token="")).json()["you"]
    assert anyone["role"] == "owner"  # what the proxy let through, bearing no link
    login = await fetch(*session, token="", params={"token": token})
    guest = login.json()["you"]
    assert (guest["role"], guest["permission"]) == ("guest", "view")
    cookie = "; ".join(c.split(";", 1)[0] for c in login.headers.get_list("Set-Cookie"))
    # a link's cookie beside a token that is no link's: still that link's guest
    beside = await fetch(*session, token="whatever", headers={"Cookie": cookie})
    assert beside.json()["you"]["role"] == "guest"
    revoked = await fetch("api", "capella-share", "links", method="DELETE", headers=XSRF)
    assert revoked.code == 204
    for refused in [
        await fetch(*session, token=token),
        await fetch(*session, token="", params={"token": token}),
        await fetch(*session, token="", headers={"Cookie": cookie}),
        await fetch(*session, token="whatever", headers={"Cookie": cookie}),
    ]:
        assert refused.code == 403, refused.body


async def test_turned_off_links_say_so(fetch, capella):
    capella.allow_token_links = False
    info = await _info(fetch)
    assert "CapellaShareApp.allow_token_links" in info["links_unavailable"]
    made = await fetch("api", "capella-share", "links", method="POST", body="{}")
    assert made.code == 403
    assert made.json()["message"] == info["links_unavailable"]
