"""What recording guests' activity costs, side by side in one run: the same server
with its trail attached and detached in turn (this file, loaded as a server
extension, adds an owner's route that does it), so both sides share the same
process, files, documents and machine state, and only the recording differs.
Detached, the server records nothing, as with CapellaShareApp.activity_trail off.

- Contents: an edit guest reads and saves a notebook over a keep-alive
  connection while the owner's Lab is subscribed to the event stream and a
  platform's event handler (a file) is handed every record, as in a session in
  use, in batches alternately recorded and not; each pair of batches
  gives a ratio of wall time and of the server's CPU time. Every request here is
  recorded (file.open, file.save).
- RTC: an edit guest sends document updates through the guarded document socket
  to the owner, rounds alternately recorded and not (bench/rtc.py's client);
  every update is noted for the next save's record.
- The trail's own work: the time the server's one thread spends making records
  (the trail's methods timed in place), per request and per update, and its
  share of the server's CPU time: what the machine's other work blurs least.
- Size: 1,000 guest actions of a usual mix (opens, saves, creates, renames,
  copies, deletes, downloads, cells run, refusals) recorded: the trail's growth,
  in bytes per 1,000 actions, and its records by kind.

Run: python bench/activity.py (or as part of bench/run.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import typing as t
import uuid
from collections import Counter
from pathlib import Path

import rtc
from server import OWNER_TOKEN, Client, Server

#: The owner's route that attaches (?on=1) or detaches (?on=0) the trail.
TOGGLE = "bench/activity-trail"
#: The owner's route that tells how long the server spent making records.
SPENT = "bench/activity-spent"
#: The schema of the trail's records as events (capella_share.events.ACTIVITY).
ACTIVITY_SCHEMA = "urn:capella-share:event:activity:v1"
#: Where the platform's event handler of the bench writes, in the work folder.
EVENTS = "events.jsonl"


# -- the server side: attaching and detaching the trail ---------------------------------------


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "activity"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from jupyter_server.base.handlers import APIHandler
    from jupyter_server.utils import url_path_join
    from tornado import web

    from capella_share.activity.manager import ActivityTrail
    from capella_share.settings import ACTIVITY_SETTING, PROCESSES_SETTING

    # the time of the trail's own work, on the server's one thread and without
    # waiting on anything but its file's write; by the clock that costs least to
    # read: the thread's CPU clock is a system call on some VMs, which cost as
    # much as the work measured and slowed the side measured
    spent = {"ns": 0, "depth": 0}
    for method in ("record", "seen", "live_edit", "live_saved", "_send_events"):
        original = getattr(ActivityTrail, method)

        def measured(self, *args, _original=original, **kwargs):
            spent["depth"] += 1
            started = time.perf_counter_ns()
            try:
                return _original(self, *args, **kwargs)
            finally:
                spent["depth"] -= 1
                if not spent["depth"]:
                    spent["ns"] += time.perf_counter_ns() - started

        setattr(ActivityTrail, method, measured)

    class SpentHandler(APIHandler):
        @web.authenticated
        def get(self) -> None:
            self.finish(json.dumps({"ns": spent["ns"]}))

    class ToggleHandler(APIHandler):
        @web.authenticated
        def post(self) -> None:
            apps = serverapp.extension_manager.extension_apps["capella_share"]
            trail = next(iter(apps)).activity
            attached = trail if self.get_query_argument("on") == "1" else None
            # the platform's event handler handed every record (?ship=1), or not
            shipping = self.settings.setdefault("bench_activity_emit", trail.emit)
            trail.emit = shipping if self.get_query_argument("ship", "1") == "1" else None
            self.settings[ACTIVITY_SETTING] = attached
            self.settings[PROCESSES_SETTING].activity = attached
            serverapp.contents_manager.activity = attached
            self.finish("{}")

    # added now, as the server loads its extensions: the route guard classifies it
    # (no guest's) with every other route once they are all loaded
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (url_path_join(serverapp.base_url, TOGGLE), ToggleHandler),
            (url_path_join(serverapp.base_url, SPENT), SpentHandler),
        ],
    )


NOTEBOOK = "notebook.ipynb"
#: request kind -> (method, path), each recorded by the trail
REQUESTS = {
    "read a notebook": ("GET", f"api/contents/{NOTEBOOK}?content=1"),
    "save a notebook": ("PUT", f"api/contents/{NOTEBOOK}"),
}
#: Seconds of pairs per kind, and at least this many pairs.
SECONDS, MIN_PAIRS = 20.0, 60
#: Requests in a batch, all recorded or all not.
BATCH = 20
RTC_UPDATES, RTC_ROUNDS = 1000, 10
#: The mix of guest actions whose trail is measured (kind -> count; 1,000 in all).
MIX = {
    "open": 150,
    "save": 150,
    "create": 100,
    "rename": 100,
    "copy": 100,
    "delete": 100,
    "download": 100,
    "execute": 100,
    "refused": 100,
}


def notebook_model() -> dict:
    cells = [
        {
            "cell_type": "code",
            "execution_count": index,
            "id": f"cell-{index}",
            "metadata": {},
            "outputs": [],
            "source": f"print({index})\nx = {index}\n",
        }
        for index in range(20)
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def start(workdir: Path) -> Server:
    root = workdir / "root"
    root.mkdir(parents=True, exist_ok=True)
    (root / NOTEBOOK).write_text(json.dumps(notebook_model()))
    extensions = ["jupyter_server_ydoc"] if rtc_available() else []
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        part for part in (here, os.environ.get("PYTHONPATH", "")) if part
    )
    # the live documents' store in memory when possible, as bench/rtc.py has it:
    # its disk writes would drown the figures in noise
    fast = Path("/dev/shm") if Path("/dev/shm").is_dir() else workdir
    store = fast / f"capella-bench-activity-{uuid.uuid4().hex[:8]}.db"
    # a platform's event handler, as docs/activity.md has it: each record is
    # handed to it (a file here) as well as written to the trail
    events_config = workdir / "events_config.py"
    events_config.write_text(
        "import logging\n"
        f"c.EventLogger.handlers = [logging.FileHandler({str(workdir / EVENTS)!r})]\n"
    )
    args = [
        f"--config={events_config}",
        "--ServerApp.jpserver_extensions=activity=True",
        f"--SQLiteYStore.db_path={store}",
        f"--YDocExtension.document_cleanup_delay={rtc.CLEANUP_DELAY}",
    ]
    server = Server(workdir, root, extensions=extensions, args=args).start()
    server.store = store  # type: ignore[attr-defined]
    return server


#: How the server records in the contents figures: not at all; the trail alone (no
#: event handler configured, the default); the trail handing every record to a
#: platform's event handler too.
STATES = ("off", "trail", "shipped")


def record(server: Server, on: bool, ship: bool = True) -> None:
    """Attach or detach the server's trail (handing records to the platform's
    event handler, or not)."""
    server.json("POST", f"{TOGGLE}?on={int(on)}&ship={int(ship)}")


def spent_us(server: Server) -> float:
    """Microseconds the server has spent making records so far."""
    return float(server.json("GET", SPENT)["ns"]) / 1000


def rtc_available() -> bool:
    from server import has_rtc

    return has_rtc()


# -- contents ------------------------------------------------------------------------------


def timed(
    server: Server, client: Client, method: str, path: str, body: object
) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) of one request."""
    cpu = server.cpu_ns()
    started = time.perf_counter()
    status, _, _ = Client.send(client.connection, method, "/" + path, body, client.token, None)
    elapsed = time.perf_counter() - started
    cpu = server.cpu_ns() - cpu
    if status >= 300:
        raise RuntimeError(f"{method} {path}: {status}")
    return elapsed, cpu / 1e9


class OwnersLab:
    """The owner's open Lab, as far as the trail is concerned: subscribed to the
    server's event stream, as every Lab is in a session in use. Its socket is read
    on a thread of its own; ``events`` counts the trail's records that reached it
    (none should: they go to the platform's handler only)."""

    def __init__(self, server: Server) -> None:
        self.url = f"ws://{server.host}/api/events/subscribe"
        self.events = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._connection: t.Any = None

    def __enter__(self) -> OwnersLab:
        self._thread.start()
        if not self._ready.wait(30) or self._connection is None:
            raise RuntimeError("the owner's event socket did not open")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._connection.close)
        self._thread.join(30)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._read())
        self._loop.close()

    async def _read(self) -> None:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        request = HTTPRequest(self.url, headers={"Authorization": f"token {OWNER_TOKEN}"})
        try:
            self._connection = await websocket_connect(request)
        finally:
            self._ready.set()
        while (message := await self._connection.read_message()) is not None:
            if ACTIVITY_SCHEMA in str(message):
                self.events += 1


def handed_to_platform(workdir: Path) -> int:
    """How many of the trail's records the platform's event handler was handed."""
    path = workdir / EVENTS
    if not path.exists():
        return 0
    with path.open() as lines:
        return sum(1 for line in lines if ACTIVITY_SCHEMA in line)


def contents(server: Server, token: str) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    save = {"type": "notebook", "format": "json", "content": notebook_model()}
    client = Client(server.port, token)
    for kind, (method, path) in REQUESTS.items():
        body = save if method == "PUT" else None
        for _ in range(20):  # warm up
            timed(server, client, method, path, body)
        walls: dict[str, list[float]] = {state: [] for state in STATES}
        cpus: dict[str, list[float]] = {state: [] for state in STATES}
        recording: dict[str, list[float]] = {state: [] for state in STATES}
        deadline = time.monotonic() + SECONDS
        rounds = 0
        while time.monotonic() < deadline or rounds < MIN_PAIRS:
            # each state goes first, second and last in turn
            order = STATES[rounds % 3 :] + STATES[: rounds % 3]
            for state in order:
                record(server, state != "off", state == "shipped")
                before = spent_us(server)
                wall = cpu = 0.0
                for _ in range(BATCH):
                    one_wall, one_cpu = timed(server, client, method, path, body)
                    wall, cpu = wall + one_wall, cpu + one_cpu
                walls[state].append(wall / BATCH)
                cpus[state].append(cpu / BATCH)
                recording[state].append((spent_us(server) - before) / BATCH)
            rounds += 1
        record(server, True)
        figures[kind] = {"pairs": rounds, "batch": BATCH}
        figures[kind]["off_req_s"] = 1 / statistics.median(walls["off"])
        for state, name in (("trail", "on"), ("shipped", "shipped")):
            ratios = sorted(off / on for on, off in zip(walls[state], walls["off"], strict=True))
            cpu_ratios = sorted(
                off / on for on, off in zip(cpus[state], cpus["off"], strict=True) if on and off
            )
            work = statistics.median(recording[state])
            figures[kind].update(
                {
                    f"{name}_req_s": 1 / statistics.median(walls[state]),
                    f"{name}_ratio": statistics.median(ratios),
                    f"{name}_quartiles": [ratios[len(ratios) // 4], ratios[3 * len(ratios) // 4]],
                    f"{name}_cpu_ratio": statistics.median(cpu_ratios),
                    # the trail's own work per request, and its share of the server's time
                    f"{name}_recording_us": work,
                    f"{name}_recording_share": work / (statistics.median(cpus[state]) * 1e6),
                }
            )
    client.close()
    return figures


# -- RTC -------------------------------------------------------------------------------------


async def live_edits(server: Server, token: str) -> dict:
    rounds: dict[bool, list[rtc.Round]] = {True: [], False: []}
    recording: list[float] = []
    for index in range(RTC_ROUNDS):
        for on in (True, False) if index % 2 == 0 else (False, True):
            record(server, on)
            path = f"live-{int(on)}-{index}.ipynb"
            rtc.notebook(str(server.root / path))
            before = spent_us(server)
            rounds[on].append(await measure_rtc(server, token, path))
            await asyncio.sleep(1)  # the document's save
            if on:
                recording.append((spent_us(server) - before) / RTC_UPDATES)
    record(server, True)
    on_rate = statistics.median(r.rate for r in rounds[True])
    off_rate = statistics.median(r.rate for r in rounds[False])
    ratios = sorted(on.rate / off.rate for on, off in zip(rounds[True], rounds[False], strict=True))
    return {
        "rounds": RTC_ROUNDS,
        "updates": RTC_UPDATES,
        "on_updates_s": on_rate,
        "off_updates_s": off_rate,
        # each round's pair (run one after the other) gives a ratio; their median
        "ratio": statistics.median(ratios),
        "spread": [ratios[0], ratios[-1]],
        "on_cpu_us": statistics.median(r.cpu_us for r in rounds[True]),
        "off_cpu_us": statistics.median(r.cpu_us for r in rounds[False]),
        "recording_us": statistics.median(recording),
    }


async def measure_rtc(server: Server, guest_token: str, path: str) -> rtc.Round:
    base, ws_base = server.base_url, f"ws://127.0.0.1:{server.port}/"
    rtc.TOKEN = OWNER_TOKEN  # bench/rtc.py's client asks as the owner with this
    assert server.process is not None
    return await rtc.measure(
        base, ws_base, rtc.GUARDED_ROUTE, guest_token, path, RTC_UPDATES, server.process.pid
    )


# -- the trail's size --------------------------------------------------------------------------


def trail_size(server: Server) -> int:
    folder = server.workdir / "data" / "capella_share" / "activity" / "server"
    return sum(path.stat().st_size for path in folder.glob("activity*.jsonl"))


def trail_actions(server: Server, since_seq: int) -> Counter[str]:
    folder = server.workdir / "data" / "capella_share" / "activity" / "server"
    counts: Counter[str] = Counter()
    for path in sorted(folder.glob("activity*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record["seq"] > since_seq:
                counts[record["action"]] += 1
    return counts


def last_seq(server: Server) -> int:
    folder = server.workdir / "data" / "capella_share" / "activity" / "server"
    lines = (folder / "activity.jsonl").read_text().splitlines()
    return int(json.loads(lines[-1])["seq"]) if lines else 0


def size_of_mix(server: Server, token: str) -> dict:
    """Run MIX as one edit guest; the trail's growth."""
    client = Client(server.port, token)

    def send(method: str, path: str, body: object = None) -> int:
        return Client.send(client.connection, method, "/" + path, body, token, None)[0]

    text = {"type": "file", "format": "text", "content": "a,b\n1,2\n"}
    for index in range(MIX["open"] + MIX["save"]):
        send("PUT", f"api/contents/data-{index}.csv", text)  # the files opened and saved
    before, seq = trail_size(server), last_seq(server)
    for index in range(MIX["open"]):
        assert send("GET", f"api/contents/data-{index}.csv?content=1") == 200
    for index in range(MIX["save"]):
        assert send("PUT", f"api/contents/data-{index}.csv", text) == 200
    made = []
    for _ in range(MIX["create"]):
        status, data, _ = Client.send(
            client.connection, "POST", "/api/contents", {"type": "file", "ext": ".txt"}, token, None
        )
        assert status == 201
        made.append(json.loads(data)["path"])
    renamed = []
    for index, path in enumerate(made[: MIX["rename"]]):
        target = f"renamed-{index}-{uuid.uuid4().hex[:6]}.txt"
        assert send("PATCH", f"api/contents/{path}", {"path": target}) == 200
        renamed.append(target)
    copies = []
    for path in renamed[: MIX["copy"]]:
        status, data, _ = Client.send(
            client.connection, "POST", "/api/contents", {"copy_from": path}, token, None
        )
        assert status == 201
        copies.append(json.loads(data)["path"])
    for path in copies[: MIX["delete"]]:
        assert send("DELETE", f"api/contents/{path}") == 204
    for index in range(MIX["download"]):
        assert send("GET", f"files/data-{index}.csv") == 200
    for _ in range(MIX["refused"]):
        assert send("POST", "api/capella-share/links", {}) == 403
    asyncio.run(run_cells(server, token, MIX["execute"]))
    client.close()
    grown = trail_size(server) - before
    counts = trail_actions(server, seq)
    return {
        "actions": sum(MIX.values()),
        "records": sum(counts.values()),
        "bytes": grown,
        "bytes_per_1000_actions": grown * 1000 / sum(MIX.values()),
        "records_by_action": dict(sorted(counts.items())),
    }


async def run_cells(server: Server, token: str, count: int) -> None:
    """``count`` cells run by the guest through a kernel's websocket."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    model = server.json(
        "POST",
        "api/sessions",
        {
            "path": "cells.ipynb",
            "type": "notebook",
            "name": "cells.ipynb",
            "kernel": {"name": "python3"},
        },
        token=token,
    )
    kernel = model["kernel"]["id"]
    request = HTTPRequest(
        f"ws://127.0.0.1:{server.port}/api/kernels/{kernel}/channels",
        headers={"Authorization": f"token {token}"},
    )
    connection = await websocket_connect(request)
    session = uuid.uuid4().hex
    pending = set()
    for index in range(count):
        msg_id = uuid.uuid4().hex
        pending.add(msg_id)
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "bench",
                  "session": session, "date": "2025-01-01T00:00:00Z", "version": "5.3"}  # fmt: skip
        content = {"code": f"# cell {index}\nx = {index} * 2\n", "silent": False,
                   "store_history": True, "user_expressions": {}, "allow_stdin": False,
                   "stop_on_error": False}  # fmt: skip
        message = {"header": header, "parent_header": {}, "metadata": {"cellId": f"c{index}"},
                   "content": content, "channel": "shell", "buffers": []}  # fmt: skip
        await connection.write_message(json.dumps(message))
    while pending:
        raw = await asyncio.wait_for(connection.read_message(), 120)
        if raw is None:
            raise RuntimeError("the kernel socket closed")
        message = json.loads(raw)
        if message.get("msg_type") == "execute_reply":
            pending.discard(message["parent_header"].get("msg_id"))
    connection.close()
    server.json("DELETE", f"api/kernels/{kernel}")


# -- the run -----------------------------------------------------------------------------------


def run(workdir: Path) -> dict:
    server = start(workdir)
    try:
        token = server.make_link("edit")[1]
        with OwnersLab(server) as lab:
            figures: dict = {"contents": contents(server, token)}
        figures["events_to_owner"] = lab.events
        figures["events_to_handler"] = handed_to_platform(workdir)
        if not figures["events_to_handler"]:
            raise RuntimeError("no record reached the platform's event handler")
        print(json.dumps(figures["contents"]), flush=True)
        if rtc_available():
            figures["rtc"] = asyncio.run(live_edits(server, token))
        figures["size"] = size_of_mix(server, token)
        figures["disk"] = {"trail_bytes": trail_size(server), "records": last_seq(server)}
    finally:
        server.stop()
        server.store.unlink(missing_ok=True)  # type: ignore[attr-defined]
    report(figures)
    return figures


def report(figures: dict) -> None:
    print()
    print("the same server recording and not, in turn:")
    for kind, f in figures["contents"].items():
        print(
            f"  contents, {kind}: off {f['off_req_s']:.1f} req/s "
            f"({f['pairs']} rounds of {f['batch']})"
        )
        for name, what in (("on", "trail"), ("shipped", "trail + event handler")):
            print(
                f"    {what:22s}: {f[name + '_req_s']:7.1f} req/s, ratio "
                f"{f[name + '_ratio']:.3f} ({f[name + '_quartiles'][0]:.2f}-"
                f"{f[name + '_quartiles'][1]:.2f}); server CPU ratio "
                f"{f[name + '_cpu_ratio']:.3f}; recording {f[name + '_recording_us']:.0f} us "
                f"a request ({f[name + '_recording_share']:.1%} of the server's time)"
            )
    if "events_to_handler" in figures:
        print(
            f"  records handed to the platform's event handler: "
            f"{figures['events_to_handler']:,}; to the owner's Lab event stream: "
            f"{figures['events_to_owner']:,}"
        )
    if "rtc" in figures:
        f = figures["rtc"]
        print(
            f"  RTC, {f['updates']} updates x {f['rounds']} rounds: on {f['on_updates_s']:.0f} "
            f"updates/s, off {f['off_updates_s']:.0f}, ratio {f['ratio']:.3f} "
            f"({f['spread'][0]:.2f}-{f['spread'][1]:.2f}); server CPU "
            f"{f['on_cpu_us']:.1f} vs {f['off_cpu_us']:.1f} us/update; making records "
            f"{f['recording_us']:.1f} us an update"
        )
    size = figures["size"]
    print(
        f"  trail for {size['actions']} guest actions: {size['records']} records, "
        f"{size['bytes']:,} bytes "
        f"({size['bytes_per_1000_actions'] / 1024:.0f} KiB per 1,000 actions)"
    )
    for action, count in size["records_by_action"].items():
        print(f"    {action:18s} {count}")


def describe(figures: dict) -> list[tuple[str, str, str]]:
    """The rows of bench/run.py's table."""
    rows = []
    for kind, f in figures["contents"].items():
        for name, what in (("on", ""), ("shipped", ", records to an event handler")):
            rows.append(
                (
                    f"Activity trail on{what}, contents: {kind}",
                    f"{f[name + '_req_s']:.1f} req/s",
                    f"off {f['off_req_s']:.1f} req/s, ratio {f[name + '_ratio']:.3f} "
                    f"({f[name + '_quartiles'][0]:.2f}-{f[name + '_quartiles'][1]:.2f}, "
                    f"{f['pairs']} rounds of batches); "
                    f"server CPU ratio {f[name + '_cpu_ratio']:.3f}; the trail's own work "
                    f"{f[name + '_recording_us']:.0f} us a request "
                    f"({f[name + '_recording_share']:.1%})",
                )
            )
    if "rtc" in figures:
        f = figures["rtc"]
        rows.append(
            (
                "Activity trail on, RTC updates",
                f"{f['on_updates_s']:.0f} updates/s",
                f"off {f['off_updates_s']:.0f}, ratio {f['ratio']:.3f} "
                f"({f['spread'][0]:.2f}-{f['spread'][1]:.2f}, {f['rounds']} pairs of rounds)",
            )
        )
    size = figures["size"]
    rows.append(
        (
            "Activity trail size per 1,000 guest actions",
            f"{size['bytes_per_1000_actions'] / 1024:.0f} KiB",
            f"{size['records']} records for {size['actions']} actions of a usual mix",
        )
    )
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="capella-bench-activity-") as work:
        figures = run(Path(work))
    json.dump(figures, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
