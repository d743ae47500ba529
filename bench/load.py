"""Load: 30 guests on one server for 30 s, each with open websockets and HTTP polling.

Guests: 10 view, 10 edit, 10 full, each through a link of its own and the login
cookie it got by opening it, as a browser does. Each keeps open its session/ws and
the events socket, and (edit, full) a channel socket to a kernel the owner started;
each polls what JupyterLab polls (contents, kernels, sessions) and its session,
once a second. Loopback only; it stops by itself after DURATION seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from server import OWNER_TOKEN, Server, percentile
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

GUESTS = {"view": 10, "edit": 10, "full": 10}
DURATION = 30.0
POLL_EVERY = 1.0
POLLED = ("api/contents", "api/kernels", "api/sessions", "api/capella-share/session")


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.rss: list[int] = []


async def _guest(server: Server, permission: str, kernel: str, until: float, tally: Tally):
    _, token = server.make_link(permission, f"load {permission}")
    headers = {"Cookie": server.guest_cookie(token), "Host": server.host}
    paths = ["api/capella-share/session/ws", "api/events/subscribe"]
    if permission != "view":
        paths.append(f"api/kernels/{kernel}/channels")
    sockets = []
    for path in paths:
        request = HTTPRequest(f"ws://127.0.0.1:{server.port}/{path}", headers=headers)
        sockets.append(await websocket_connect(request))
    client = AsyncHTTPClient()
    try:
        while time.monotonic() < until:
            began = time.monotonic()
            for path in POLLED:
                started = time.perf_counter()
                try:
                    response = await client.fetch(
                        server.base_url + path, headers=headers, request_timeout=30
                    )
                    code = response.code
                except HTTPClientError as error:
                    code = error.code
                except OSError as error:
                    code, reason = 0, str(error)
                    tally.errors.append(f"{permission} GET {path}: {reason}")
                tally.latencies.append(time.perf_counter() - started)
                if code and code != 200:
                    tally.errors.append(f"{permission} GET {path}: {code}")
            await asyncio.sleep(max(0.0, POLL_EVERY - (time.monotonic() - began)))
    finally:
        for path, connection in zip(paths, sockets, strict=True):
            if connection.protocol is None or connection.close_code is not None:
                tally.errors.append(f"{permission} {path} closed by the server")
            connection.close()


async def _sample_rss(server: Server, until: float, tally: Tally) -> None:
    while time.monotonic() < until:
        tally.rss.append(server.rss())
        await asyncio.sleep(0.5)


async def _run(server: Server) -> dict:
    AsyncHTTPClient.configure(None, max_clients=100)
    kernel = server.json("POST", "api/kernels", {})["id"]
    await asyncio.sleep(2)  # the kernel starts
    rss_before = server.rss()
    tally = Tally()
    until = time.monotonic() + DURATION
    guests = [
        _guest(server, permission, kernel, until, tally)
        for permission, count in GUESTS.items()
        for _ in range(count)
    ]
    await asyncio.gather(_sample_rss(server, until, tally), *guests)
    await asyncio.sleep(2)
    rss_after = server.rss()
    return {
        "guests": sum(GUESTS.values()),
        "duration_s": DURATION,
        "requests": len(tally.latencies),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:10],
        "p50_ms": round(percentile(tally.latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(tally.latencies, 0.99) * 1000, 1),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_peak_mb": round(max(tally.rss) / 2**20, 1),
        "rss_after_mb": round(rss_after / 2**20, 1),
    }


def run(work: Path) -> dict:
    root = work / "load-root"
    root.mkdir(parents=True, exist_ok=True)
    for index in range(20):
        (root / f"notebook-{index}.ipynb").write_text(
            json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        )
    with Server(work / "load", root) as server:
        assert server.request("GET", "api/status", token=OWNER_TOKEN)[0] == 200
        return asyncio.run(_run(server))
