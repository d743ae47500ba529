"""Load: 30 guests on one server for 30 s (twice), each with open websockets and HTTP polling,
and the same 30 clients on the same server without capella-share, side by side.

Guests: 10 view, 10 edit, 10 full, each through a link of its own and the login
cookie it got by opening it, as a browser does. Each keeps open its session/ws and
the events socket, and (edit, full) a channel socket to a kernel the owner started;
each polls what JupyterLab polls (contents, kernels, sessions) and its session,
once a second. The baseline is the same run against a server without
capella-share, every client with the owner's token (there are no guests there):
the same sockets and polls but capella-share's own (session/ws and its session).
Latencies are compared over what both poll; the two sides run in turns, twice
each, and each side's figures are over both of its runs. Loopback only; each run
stops by itself after DURATION seconds.
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


#: What only a server with capella-share has: polled and opened by its guests alone.
CAPELLA_ONLY = ("api/capella-share/session", "api/capella-share/session/ws")


class Tally:
    def __init__(self) -> None:
        self.latencies: list[tuple[str, float]] = []  # (path, seconds)
        self.errors: list[str] = []
        self.rss: list[int] = []
        self.rss_after: list[int] = []


async def _client(server: Server, permission: str, kernel: str, until: float, tally: Tally):
    """One guest (or, without capella-share, the owner in its place)."""
    if server.capella:
        _, token = server.make_link(permission, f"load {permission}")
        headers = {"Cookie": server.guest_cookie(token), "Host": server.host}
    else:
        headers = {"Authorization": f"token {OWNER_TOKEN}"}
    paths = ["api/capella-share/session/ws", "api/events/subscribe"]
    if permission != "view":
        paths.append(f"api/kernels/{kernel}/channels")
    if not server.capella:
        paths = [path for path in paths if path not in CAPELLA_ONLY]
    polled = [path for path in POLLED if server.capella or path not in CAPELLA_ONLY]
    sockets = []
    for path in paths:
        request = HTTPRequest(f"ws://127.0.0.1:{server.port}/{path}", headers=headers)
        sockets.append(await websocket_connect(request))
    client = AsyncHTTPClient()
    try:
        while time.monotonic() < until:
            began = time.monotonic()
            for path in polled:
                await _poll(client, server, path, headers, permission, tally)
            await asyncio.sleep(max(0.0, POLL_EVERY - (time.monotonic() - began)))
    finally:
        for path, connection in zip(paths, sockets, strict=True):
            if connection.protocol is None or connection.close_code is not None:
                tally.errors.append(f"{permission} {path} closed by the server")
            connection.close()


async def _poll(client, server: Server, path: str, headers: dict, permission: str, tally: Tally):
    started = time.perf_counter()
    try:
        response = await client.fetch(server.base_url + path, headers=headers, request_timeout=30)
        code = response.code
    except HTTPClientError as error:
        code = error.code
    except OSError as error:
        code = 0
        tally.errors.append(f"{permission} GET {path}: {error}")
    tally.latencies.append((path, time.perf_counter() - started))
    if code and code != 200:
        tally.errors.append(f"{permission} GET {path}: {code}")


async def _sample_rss(server: Server, until: float, tally: Tally) -> None:
    while time.monotonic() < until:
        tally.rss.append(server.rss())
        await asyncio.sleep(0.5)


def _ms(values: list[float], share: float) -> float:
    return round(percentile(values, share) * 1000, 1)


async def _run(server: Server, tally: Tally) -> None:
    AsyncHTTPClient.configure(None, max_clients=100)
    kernel = server.json("POST", "api/kernels", {})["id"]
    await asyncio.sleep(2)  # the kernel starts
    tally.rss.append(server.rss())
    until = time.monotonic() + DURATION
    clients = [
        _client(server, permission, kernel, until, tally)
        for permission, count in GUESTS.items()
        for _ in range(count)
    ]
    await asyncio.gather(_sample_rss(server, until, tally), *clients)
    await asyncio.sleep(2)
    tally.rss_after.append(server.rss())


def _summary(tally: Tally) -> dict:
    every = [seconds for _, seconds in tally.latencies]
    common = [seconds for path, seconds in tally.latencies if path not in CAPELLA_ONLY]
    return {
        "guests": sum(GUESTS.values()),
        "duration_s": DURATION,
        "runs": len(tally.rss_after),
        "requests": len(every),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:10],
        "p50_ms": _ms(every, 0.5),
        "p99_ms": _ms(every, 0.99),
        "common_p50_ms": _ms(common, 0.5),
        "common_p99_ms": _ms(common, 0.99),
        "rss_before_mb": round(tally.rss[0] / 2**20, 1),
        "rss_peak_mb": round(max(tally.rss) / 2**20, 1),
        "rss_after_mb": round(tally.rss_after[0] / 2**20, 1),
    }


def _side_by_side(guarded: dict, baseline: dict) -> None:
    rows = [
        ("requests", "requests", "{}"),
        ("errors", "errors", "{}"),
        ("p50, every request (ms)", "p50_ms", "{:.1f}"),
        ("p99, every request (ms)", "p99_ms", "{:.1f}"),
        ("p50, polled by both (ms)", "common_p50_ms", "{:.1f}"),
        ("p99, polled by both (ms)", "common_p99_ms", "{:.1f}"),
        ("RSS peak (MiB)", "rss_peak_mb", "{:.0f}"),
    ]
    print(f"    {'load, 30 clients':28s} {'capella-share':>14s} {'without':>10s}")
    for label, key, form in rows:
        print(f"    {label:28s} {form.format(guarded[key]):>14s} {form.format(baseline[key]):>10s}")


def run(work: Path) -> dict:
    root = work / "load-root"
    root.mkdir(parents=True, exist_ok=True)
    for index in range(20):
        (root / f"notebook-{index}.ipynb").write_text(
            json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        )
    tallies = {"guarded": Tally(), "baseline": Tally()}
    # two runs of each, in turns (guarded, baseline, baseline, guarded), so that
    # neither side alone meets whatever else the machine does meanwhile
    for index, name in enumerate(("guarded", "baseline", "baseline", "guarded")):
        folder = work / f"load-{name}-{index}"
        with Server(folder, root, capella=name == "guarded") as server:
            assert server.request("GET", "api/status", token=OWNER_TOKEN)[0] == 200
            asyncio.run(_run(server, tallies[name]))
    results = {name: _summary(tally) for name, tally in tallies.items()}
    guarded, baseline = results["guarded"], results["baseline"]
    _side_by_side(guarded, baseline)
    return {
        **guarded,
        "baseline": baseline,
        "common_p50_ratio": round(baseline["common_p50_ms"] / guarded["common_p50_ms"], 3),
        "common_p99_ratio": round(baseline["common_p99_ms"] / guarded["common_p99_ms"], 3),
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="capella-bench-load-") as folder:
        print(json.dumps(run(Path(folder)), indent=2))
