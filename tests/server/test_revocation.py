"""Revocation and expiry take effect at once: for link tokens (header and query),
for the login cookies obtained with them, and for every kind of open websocket."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from helpers import still_open, wait_closed
from tornado.web import create_signed_value

from capella_share.settings import LINKS_SETTING

REVOKED, EXPIRED = 4001, 4002


async def _revoke(fetch, link_id: str | None = None) -> None:
    parts = ("api", "capella-share", "links", *([link_id] if link_id else []))
    assert (await fetch(*parts, method="DELETE")).code == 204


class TestTokens:
    @pytest.fixture(params=["header", "query"])
    def as_guest(self, request, fetch):
        """Make a request presenting a link token the given way."""

        async def _as_guest(token, *parts, **kwargs):
            if request.param == "header":
                return await fetch(*parts, token=token, **kwargs)
            return await fetch(*parts, token="", params={"token": token}, **kwargs)

        return _as_guest

    async def test_revoking_a_link_refuses_its_token_at_once(self, as_guest, fetch, make_link):
        model, token = await make_link("edit")
        assert (await as_guest(token, "api", "contents")).code == 200
        await _revoke(fetch, model["id"])
        assert (await as_guest(token, "api", "contents")).code == 403
        assert (await as_guest(token, "api", "capella-share", "session")).code == 403

    async def test_revoking_one_link_leaves_the_others(self, as_guest, fetch, make_link):
        gone, gone_token = await make_link("view")
        _, kept_token = await make_link("view")
        await _revoke(fetch, gone["id"])
        assert (await as_guest(gone_token, "api", "contents")).code == 403
        assert (await as_guest(kept_token, "api", "contents")).code == 200
        links = (await fetch("api", "capella-share", "links")).json()["links"]
        assert gone["id"] not in [link["id"] for link in links]

    async def test_revoking_all_links_refuses_every_token(self, as_guest, fetch, make_link):
        tokens = [(await make_link(level))[1] for level in ("view", "edit", "full")]
        await _revoke(fetch)
        for token in tokens:
            assert (await as_guest(token, "api", "contents")).code == 403
        assert (await fetch("api", "capella-share", "links")).json() == {"links": []}
        # the owner is not a link: still in
        assert (await fetch("api", "contents")).code == 200

    async def test_an_expired_link_is_refused(self, as_guest, fetch, make_link):
        model, token = await make_link("view", expires_in=1)
        assert model["expires_at"] is not None
        assert (await as_guest(token, "api", "contents")).code == 200
        await asyncio.sleep(1.2)
        assert (await as_guest(token, "api", "contents")).code == 403
        links = (await fetch("api", "capella-share", "links")).json()["links"]
        assert links == []

    async def test_a_made_up_link_token_is_refused(self, as_guest, make_link):
        _, token = await make_link("full")
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        assert (await as_guest(forged, "api", "contents")).code == 403


class TestLoginCookies:
    async def test_the_cookie_works_without_the_token(self, guest_login, fetch, make_link):
        _, token = await make_link("view")
        browser = await guest_login(token)
        response = await fetch("api", "capella-share", "session", headers=browser)
        assert response.code == 200
        assert response.json()["you"]["permission"] == "view"
        # a cookie is not a token: it grants no more than its link
        put = await fetch("api", "contents", "x.txt", method="PUT", body="{}", headers=browser)
        assert put.code == 403

    @pytest.mark.parametrize("revoke_all", [False, True], ids=["one", "all"])
    async def test_revoking_refuses_the_cookie(self, revoke_all, guest_login, fetch, make_link):
        model, token = await make_link("edit")
        browser = await guest_login(token)
        await _revoke(fetch, None if revoke_all else model["id"])
        response = await fetch("api", "contents", headers=browser)
        assert response.code == 403
        # the cookie opens nothing; it stays, so that the guest's pages say the
        # link ended (tests/server/test_access_ended.py) rather than ask for a login
        page = await fetch("lab", headers=browser, follow_redirects=False)
        assert page.code in (302, 403)  # not the Lab
        assert b"jupyter-config-data" not in page.body

    async def test_an_expired_links_cookie_is_refused(self, guest_login, fetch, make_link):
        _, token = await make_link("view", expires_in=1)
        browser = await guest_login(token)
        assert (await fetch("api", "contents", headers=browser)).code == 200
        await asyncio.sleep(1.2)
        assert (await fetch("api", "contents", headers=browser)).code == 403

    async def test_a_cookie_naming_an_unknown_link_is_refused(
        self, fetch, make_link, jp_serverapp, browser_host, capella
    ):
        """As after a restart: the cookie secret survives, the links do not."""
        secret = jp_serverapp.web_app.settings["cookie_secret"]
        provider = jp_serverapp.identity_provider

        class _Request:
            host = browser_host

        name = provider.guest_cookie_name(type("H", (), {"request": _Request})())

        def forge(link_id: str) -> dict[str, str]:
            value = json.dumps(
                {"link": link_id, "username": f"guest-{link_id}-abcdef", "name": "Mallory"}
            )
            cookie = create_signed_value(secret, name, value).decode()
            return {"Authorization": "", "Host": browser_host, "Cookie": f"{name}={cookie}"}

        live, _ = await make_link("view")
        # the forging is right: a cookie naming a live link is honoured
        assert (await fetch("api", "contents", headers=forge(live["id"]))).code == 200
        assert (await fetch("api", "contents", headers=forge("0123456789ab"))).code == 403
        # a restart forgets every link; the same cookie is then refused
        capella.settings[LINKS_SETTING].revoke_all()
        assert (await fetch("api", "contents", headers=forge(live["id"]))).code == 403


# -- websockets -------------------------------------------------------------------------


class Sockets:
    """Opens one websocket of a given kind as a guest holding ``token``."""

    def __init__(self, fetch, ws_connect):
        self.fetch = fetch
        self.ws_connect = ws_connect

    async def prepare(self, kind: str, token: str | None = None) -> tuple:
        """What the socket needs: a kernel of the owner's, a terminal of the guest's
        own (a guest may not attach to the owner's)."""
        if kind == "kernel":
            kernel = await self.fetch("api", "kernels", method="POST", body="{}")
            return ("api", "kernels", kernel.json()["id"], "channels")
        if kind == "terminal":
            terminal = await self.fetch("api", "terminals", method="POST", body="", token=token)
            return ("terminals", "websocket", terminal.json()["name"])
        if kind == "events":
            return ("api", "events", "subscribe")
        return ("api", "capella-share", "session", "ws")

    async def open(self, parts: tuple, **auth):
        return await self.ws_connect(*parts, **auth)


#: Each websocket kind with the least permission that may open it.
KINDS = {"session": "view", "events": "view", "kernel": "edit", "terminal": "full"}


@pytest.fixture
def sockets(fetch, ws_connect):
    return Sockets(fetch, ws_connect)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("ending", ["revoke-one", "revoke-all"])
async def test_revoking_closes_open_websockets(
    kind, ending, sockets, fetch, make_link, guest_login, report, ws_status
):
    model, token = await make_link(KINDS[kind])
    parts = await sockets.prepare(kind, token)
    by_token = await sockets.open(parts, token=token)
    by_cookie = await sockets.open(parts, headers=await guest_login(token))
    started = time.perf_counter()
    await _revoke(fetch, model["id"] if ending == "revoke-one" else None)
    for connection in (by_token, by_cookie):
        code, reason = await wait_closed(connection)
        assert code == REVOKED
        assert "revoked" in reason
    elapsed = time.perf_counter() - started
    report(
        "capella-share revoke -> websocket close (both sockets closed, measured by the client)",
        f"{kind:8} {ending:10} {elapsed * 1000:7.1f} ms",
    )
    # and it cannot come back (the events socket sends the unauthenticated to log in)
    assert await ws_status(*parts, token=token) in (302, 403)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_expiry_closes_open_websockets(kind, sockets, make_link, report):
    _, token = await make_link(KINDS[kind], expires_in=1)
    deadline = time.perf_counter() + 1
    parts = await sockets.prepare(kind, token)
    connection = await sockets.open(parts, token=token)
    code, reason = await wait_closed(connection, timeout=5)
    closed = time.perf_counter()
    assert code == EXPIRED
    assert "expired" in reason
    assert closed >= deadline - 0.05
    report(
        "capella-share expiry -> websocket close (after expires_at, measured by the client)",
        f"{kind:8} {max(0.0, closed - deadline) * 1000:7.1f} ms",
    )


async def test_revoking_one_link_leaves_other_links_sockets_open(
    sockets, fetch, make_link, capella
):
    parts = await sockets.prepare("session")
    gone, gone_token = await make_link("view")
    kept, kept_token = await make_link("view")
    gone_socket = await sockets.open(parts, token=gone_token)
    kept_socket = await sockets.open(parts, token=kept_token)
    await _revoke(fetch, gone["id"])
    assert (await wait_closed(gone_socket))[0] == REVOKED
    assert await still_open(kept_socket)
    links = (await fetch("api", "capella-share", "links")).json()["links"]
    assert [link["id"] for link in links] == [kept["id"]]
    assert len(links[0]["connections"]) == 1
    kept_socket.close()


async def test_a_socket_revoked_while_opening_does_not_survive(
    sockets, fetch, make_link, monkeypatch, ws_connect
):
    """The link ends between the socket's authorization and its opening (a kernel
    socket waits for the kernel first): it must still be closed, or refused."""
    from jupyter_server.services.kernels.connection.channels import (
        ZMQChannelsWebsocketConnection,
    )

    parts = await sockets.prepare("kernel")
    model, token = await make_link("edit")
    gate, waiting = asyncio.Event(), asyncio.Event()
    prepare = ZMQChannelsWebsocketConnection.prepare

    async def slow_prepare(self):
        waiting.set()
        await gate.wait()
        return await prepare(self)

    monkeypatch.setattr(ZMQChannelsWebsocketConnection, "prepare", slow_prepare)
    opening = asyncio.ensure_future(sockets.open(parts, token=token))
    await asyncio.wait_for(waiting.wait(), 10)
    await _revoke(fetch, model["id"])
    gate.set()
    try:
        connection = await opening
    except Exception as error:  # refused outright: fine
        assert "403" in str(error)
        return
    code, _ = await wait_closed(connection)
    assert code == REVOKED
