"""What a revocation leaves open: requests accepted after ``DELETE links/{id}``
answered (via the link's token and via its login cookie), and the time until each
open websocket of the guest is closed, measured by the guest from the moment the
owner sent the DELETE.

Sockets: a kernel's channels, a terminal, the guest's ``session/ws``, and the RTC
document socket when jupyter-collaboration (jupyter_server_ydoc) is installed.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import urllib.parse
from pathlib import Path

from server import OWNER_TOKEN, Server, has_rtc
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

ROUNDS = 5
#: Requests sent after the revocation answered, per way of authenticating.
PROBES = 50


async def _fetch(server: Server, method: str, path: str, body=None, headers=None):
    request = HTTPRequest(
        server.base_url + path,
        method=method,
        body=None if body is None else json.dumps(body),
        headers=headers or {"Authorization": f"token {OWNER_TOKEN}"},
        allow_nonstandard_methods=True,
    )
    try:
        return await AsyncHTTPClient().fetch(request)
    except HTTPClientError as error:
        if error.response is None:
            raise
        return error.response


async def _prepare_sockets(server: Server, rtc: bool) -> dict[str, str]:
    """What each websocket connects to, made by the owner: kind -> URL path."""
    kernel = json.loads((await _fetch(server, "POST", "api/kernels", {})).body)
    terminal = json.loads((await _fetch(server, "POST", "api/terminals", {})).body)
    paths = {
        "kernel": f"api/kernels/{kernel['id']}/channels",
        "terminal": f"terminals/websocket/{terminal['name']}",
        "session/ws": "api/capella-share/session/ws",
    }
    if rtc:
        (server.root / "rtc.ipynb").write_text(
            json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        )
        session = json.loads(
            (
                await _fetch(
                    server,
                    "PUT",
                    "api/collaboration/session/rtc.ipynb",
                    {"format": "json", "type": "notebook"},
                )
            ).body
        )
        room = f"{session['format']}:{session['type']}:{session['fileId']}"
        query = urllib.parse.urlencode({"sessionId": session["sessionId"]})
        paths["RTC document"] = f"api/collaboration/room/{room}?{query}"
    return paths


async def _closed_after(connection, started: float) -> float:
    while await connection.read_message() is not None:
        pass
    return time.perf_counter() - started


async def _round(server: Server, paths: dict[str, str]) -> dict:
    link_id, token = server.make_link("full", "bench revocation")
    cookie = server.guest_cookie(token)
    by_token = {"Authorization": f"token {token}"}
    by_cookie = {"Cookie": cookie, "Host": server.host}
    sockets = {}
    for kind, path in paths.items():
        url = f"ws://127.0.0.1:{server.port}/{path}"
        sockets[kind] = await websocket_connect(HTTPRequest(url, headers=by_token))
    for headers in (by_token, by_cookie):
        assert (await _fetch(server, "GET", "api/contents", headers=headers)).code == 200

    started = time.perf_counter()
    waiting = {
        kind: asyncio.ensure_future(_closed_after(connection, started))
        for kind, connection in sockets.items()
    }
    revoked = await _fetch(server, "DELETE", f"api/capella-share/links/{link_id}")
    assert revoked.code == 204, revoked.code
    accepted = {"token": 0, "cookie": 0}
    for way, headers in (("token", by_token), ("cookie", by_cookie)):
        for _ in range(PROBES):
            response = await _fetch(server, "GET", "api/contents", headers=headers)
            accepted[way] += response.code < 400
    times = await asyncio.wait_for(asyncio.gather(*waiting.values()), 30)
    closed = dict(zip(waiting, times, strict=True))
    codes = {kind: connection.close_code for kind, connection in sockets.items()}
    for connection in sockets.values():
        connection.close()
    return {"accepted": accepted, "closed_s": closed, "close_codes": codes}


async def _run(server: Server, rtc: bool) -> dict:
    paths = await _prepare_sockets(server, rtc)
    rounds = [await _round(server, paths) for _ in range(ROUNDS)]
    accepted = {way: sum(r["accepted"][way] for r in rounds) for way in ("token", "cookie")}
    closes = {}
    for kind in paths:
        times = [r["closed_s"][kind] * 1000 for r in rounds]
        closes[kind] = {
            "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
            "close_codes": sorted({r["close_codes"][kind] for r in rounds}),
        }
    return {
        "rounds": ROUNDS,
        "probes_per_round": PROBES,
        "accepted_after_revoke": accepted,
        "websocket_closed": closes,
        "rtc": rtc,
    }


def run(work: Path) -> dict:
    rtc = has_rtc()
    extensions = ["jupyter_server_terminals"] + (["jupyter_server_ydoc"] if rtc else [])
    root = work / "revocation-root"
    root.mkdir(parents=True, exist_ok=True)
    with Server(work / "revocation", root, extensions=extensions) as server:
        return asyncio.run(_run(server, rtc))
