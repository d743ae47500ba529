"""RTC update throughput through capella-share's guard vs stock jupyter-collaboration.

One server runs both document websockets side by side on the same rooms: the
guarded one at ``api/collaboration/room/`` and jupyter-collaboration's own handler,
unchanged, at ``bench/stock-room/`` (added by this file, loaded as a server
extension). The documents lie in a read-write project share, next to a read-only
one, so the guard does all its work on each update. An edit guest (a link token)
sends small document updates as fast as it can; the owner, connected through the
same kind of socket, receives them. Each round gives updates per second until the
owner has them all, and the server's CPU time per update (all its threads, from
``/proc``: less swayed than wall time by whatever else the machine runs). Rounds
alternate between the two sockets; the report gives min, median and max of each
side, how many pairs the guarded round lost, and the guard's cost per update (the
median of the pairs' differences).

Run: python bench/rtc.py [updates per round] [rounds]
With CAPELLA_BENCH_PROFILE=<file>, the server profiles itself (cProfile) and
writes the statistics to that file when it stops.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass

from server import cpu_ns, free_port

TOKEN = "bench-token"
STOCK_ROUTE = "bench/stock-room"
GUARDED_ROUTE = "api/collaboration/room"
#: Seconds a room outlives its last client; short, so finished rooms cost nothing.
CLEANUP_DELAY = 0.5
#: When set, the server profiles itself (cProfile) and writes the statistics there.
PROFILE_VARIABLE = "CAPELLA_BENCH_PROFILE"


# -- the server side: jupyter-collaboration's handler, unguarded, on a route of its own --


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "rtc"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from jupyter_server.utils import url_path_join
    from jupyter_server_ydoc.handlers import YDocWebSocketHandler
    from tornado.ioloop import IOLoop

    if os.environ.get(PROFILE_VARIABLE):
        _profile(os.environ[PROFILE_VARIABLE])

    def add_stock_route() -> None:
        # jupyter-collaboration's room route, found once every extension has loaded
        for host in serverapp.web_app.default_router.rules:
            for rule in getattr(host.target, "rules", []):
                if rule.matcher.regex.pattern.endswith("api/collaboration/room/(.*)$"):
                    route = url_path_join(serverapp.base_url, STOCK_ROUTE, "(.*)")
                    serverapp.web_app.add_handlers(
                        ".*$", [(route, YDocWebSocketHandler, rule.target_kwargs)]
                    )
                    return
        raise RuntimeError("jupyter-collaboration's room route was not found")

    IOLoop.current().add_callback(add_stock_route)


def _profile(path: str) -> None:
    """Profile the server until it is told to stop, then write the statistics to ``path``."""
    import cProfile
    import signal

    profiler = cProfile.Profile()

    def stop(*_: object) -> None:
        profiler.disable()
        profiler.dump_stats(path)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    profiler.enable()


# -- the client side ---------------------------------------------------------------------


def call(base: str, path: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base}{path}", data=data, method=method, headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


class Collaborator:
    """A Yjs client of one room, speaking the sync protocol over a websocket."""

    def __init__(self, connection) -> None:
        from jupyter_ydoc import YNotebook
        from pycrdt import Doc

        self.connection = connection
        self.doc = Doc()
        self.notebook = YNotebook(self.doc)
        self.changed = asyncio.Event()
        self.synced = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        from pycrdt import handle_sync_message

        while (message := await self.connection.read_message()) is not None:
            if isinstance(message, bytes) and message[0] == 0:
                reply = handle_sync_message(message[1:], self.doc)
                if message[1] == 1:
                    self.synced.set()
                if reply is not None:
                    await self.connection.write_message(reply, binary=True)
                self.changed.set()

    async def sync(self) -> None:
        from pycrdt import create_sync_message

        await self.connection.write_message(create_sync_message(self.doc), binary=True)
        await asyncio.wait_for(self.synced.wait(), 30)
        while self.notebook.cell_number == 0:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 30)

    def source_length(self) -> int:
        return len(self.notebook.ycells[0]["source"])

    async def wait_for_length(self, length: int) -> None:
        while self.source_length() < length:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 60)

    def edit(self) -> bytes:
        from pycrdt import create_update_message

        before = self.doc.get_state()
        source = self.notebook.ycells[0]["source"]
        source += "x"
        return create_update_message(self.doc.get_update(before))

    def close(self) -> None:
        self.connection.close()
        self._reader.cancel()


async def connect(ws_base: str, route: str, room: str, session: str, token: str) -> Collaborator:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    request = HTTPRequest(
        f"{ws_base}{route}/{room}?sessionId={session}",
        headers={"Authorization": f"token {token}"},
    )
    client = Collaborator(await websocket_connect(request, max_message_size=1 << 30))
    await client.sync()
    return client


@dataclass
class Round:
    rate: float  # updates per second, sent until received
    cpu_us: float  # server CPU microseconds per update


async def measure(
    base: str, ws_base: str, route: str, guest_token: str, path: str, updates: int, pid: int
) -> Round:
    """One round of ``updates`` from an edit guest to the owner through ``route``."""
    session = call(
        base,
        f"api/collaboration/session/{path}",
        "PUT",
        {"format": "json", "type": "notebook"},
    )
    room = f"json:notebook:{session['fileId']}"
    owner = await connect(ws_base, route, room, session["sessionId"], TOKEN)
    guest = await connect(ws_base, route, room, session["sessionId"], guest_token)
    await guest.wait_for_length(owner.source_length())
    target = owner.source_length() + updates
    messages = [guest.edit() for _ in range(updates)]
    cpu = cpu_ns(pid)
    started = time.perf_counter()
    for message in messages:
        await guest.connection.write_message(message, binary=True)
    await owner.wait_for_length(target)
    elapsed = time.perf_counter() - started
    cpu = cpu_ns(pid) - cpu
    owner.close()
    guest.close()
    return Round(updates / elapsed, cpu / 1000 / updates)


def notebook(path: str) -> None:
    cell = {"cell_type": "code", "id": "c1", "metadata": {}, "outputs": []}
    content = {
        "cells": [{**cell, "execution_count": None, "source": "x = 1"}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    with open(path, "w") as file:
        json.dump(content, file)


def shares(base: str) -> str:
    """Two project shares, as on a platform: a read-write one the documents are
    edited in (its path is returned) and a read-only one, so the guard's read-only
    check does all its work on every update."""
    for model, permission in (("Read only", "read-only"), ("Read write", "read-write")):
        body = {"project": "Bench", "model": model, "permission": permission}
        share = call(base, "api/capella-share/shares", "POST", body)
    return str(share["path"])


def spread(values: list[float], digits: int = 0) -> str:
    return "  ".join(
        f"{figure:9.{digits}f}" for figure in (min(values), statistics.median(values), max(values))
    )


def report(updates: int, figures: dict[str, list[Round]]) -> dict[str, float]:
    """Print the figures of every round side by side; return the summary."""
    stock, guarded = figures["stock"], figures["guarded"]
    pairs = list(zip(stock, guarded, strict=True))
    print()
    print(f"{updates} updates per round, {len(pairs)} rounds; stock and guarded alternate")
    print(f"{'':34s}{'min':>9s}  {'median':>9s}  {'max':>9s}")
    for name, rounds in figures.items():
        print(f"updates/s, {name:23s} {spread([r.rate for r in rounds])}")
    for name, rounds in figures.items():
        print(f"server CPU us/update, {name:12s} {spread([r.cpu_us for r in rounds], 1)}")
    slower = sum(g.rate < s.rate for s, g in pairs)
    costlier = sum(g.cpu_us > s.cpu_us for s, g in pairs)
    ratio = statistics.median(r.rate for r in guarded) / statistics.median(r.rate for r in stock)
    cpu_cost = statistics.median(g.cpu_us - s.cpu_us for s, g in pairs)
    wall_cost = statistics.median(1e6 / g.rate - 1e6 / s.rate for s, g in pairs)
    print(f"ratio guarded / stock (median updates/s)  : {ratio:.2f}")
    print(f"pairs where guarded was slower            : {slower} of {len(pairs)}")
    print(f"pairs where guarded used more server CPU  : {costlier} of {len(pairs)}")
    print(f"the guard's cost per update, median pair  : {cpu_cost:+.1f} us server CPU, ", end="")
    print(f"{wall_cost:+.1f} us wall")
    return {"ratio": ratio, "cpu_us_per_update": cpu_cost, "wall_us_per_update": wall_cost}


async def run(
    base: str, ws_base: str, root: str, updates: int, rounds: int, pid: int
) -> dict[str, float]:
    link = call(base, "api/capella-share/links", "POST", {"permission": "edit", "expires_in": None})
    folder = shares(base)
    figures: dict[str, list[Round]] = {"stock": [], "guarded": []}
    sockets = [("stock", STOCK_ROUTE), ("guarded", GUARDED_ROUTE)]
    for index in range(rounds):
        # each goes first in every other round, so neither gains from the order
        for name, route in sockets if index % 2 == 0 else sockets[::-1]:
            # a fresh document each time, so neither side inherits a longer history
            path = f"{folder}/bench-{name}-{index}.ipynb"
            notebook(os.path.join(root, path))
            figure = await measure(base, ws_base, route, link["token"], path, updates, pid)
            figures[name].append(figure)
            print(
                f"round {index + 1}: {name:8s} {figure.rate:9.0f} updates/s "
                f"{figure.cpu_us:7.1f} us server CPU/update"
            )
            await asyncio.sleep(CLEANUP_DELAY * 2)  # the room is gone before the next one
    return report(updates, figures)


def main() -> None:
    updates = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    work = tempfile.mkdtemp(prefix="capella-bench-rtc-")
    root = os.path.join(work, "root")
    data = os.path.join(work, "data")
    os.makedirs(root)
    fast = tempfile.mkdtemp(
        prefix="capella-bench-rtc-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
    )
    port = free_port()
    config = {
        "ServerApp": {
            "jpserver_extensions": {
                "capella_share": True,
                "jupyter_server_ydoc": True,
                "jupyter_server_fileid": True,
                "rtc": True,
            },
            "root_dir": root,
            "port": port,
            "ip": "127.0.0.1",
            "open_browser": False,
            "allow_root": True,
        },
        "IdentityProvider": {"token": TOKEN},
        # in memory when possible: the store's disk writes would drown the figures in noise
        "SQLiteYStore": {"db_path": os.path.join(fast, "ystore.db")},
        "BaseFileIdManager": {"db_path": os.path.join(data, "file_id.db")},
        "YDocExtension": {
            "session_store_path": os.path.join(data, "sessions.json"),
            "document_cleanup_delay": CLEANUP_DELAY,
        },
    }
    os.makedirs(data)
    config_path = os.path.join(work, "jupyter_server_config.json")
    with open(config_path, "w") as file:
        json.dump(config, file)
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": data,
        "JUPYTER_CONFIG_DIR": os.path.join(work, "config"),
        "PYTHONPATH": os.pathsep.join(
            [os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]
        ),
    }
    log = open(os.path.join(work, "server.log"), "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--config={config_path}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base, ws_base = f"http://127.0.0.1:{port}/", f"ws://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                call(base, "api/status")
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit(f"the server did not start; see {log.name}")
        print(f"server: {base} (log: {log.name})")
        asyncio.run(run(base, ws_base, root, updates, rounds, server.pid))
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()  # jupyter-collaboration may wait on its rooms when stopping
            server.wait()
        log.close()
        shutil.rmtree(fast, ignore_errors=True)


if __name__ == "__main__":
    main()
