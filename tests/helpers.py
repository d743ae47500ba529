"""Helpers the tests share: HTTP answers, websockets, file trees, Yjs clients,
and the sweep of a server's every route as every kind of guest."""

from __future__ import annotations

import asyncio
import http.client
import inspect
import itertools
import json
import os
import re
import re._constants as sre_constants
import re._parser as sre_parser
import time
import typing as t
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from jupyter_ydoc import YNotebook
from pycrdt import (
    Awareness,
    Decoder,
    Doc,
    Encoder,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    write_message,
)

from capella_share import policy

#: The tests' folder (where helpers.py, the live_* modules and route_census.py are),
#: and the repository: test modules find files through these, wherever they sit.
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

LEVELS = ("view", "edit", "full")

#: The first cell's source of the notebooks write_notebook makes.
ORIGINAL = "print('original')"
#: Yjs message type of jupyter-collaboration's own messages.
RAW = 2


class Response(t.NamedTuple):
    code: int
    body: bytes
    headers: t.Any

    def json(self) -> t.Any:
        return json.loads(self.body)


async def until(
    condition: t.Callable[[], bool | t.Awaitable[bool]],
    timeout: float = 10,
    message: str | t.Callable[[], str] = "condition not met in time",
) -> float:
    """Wait until ``condition()`` (which may be a coroutine function) holds; the
    seconds it took. Past ``timeout``: AssertionError with ``message``, or with what
    a function given as ``message`` returns then (a log read when time ran out)."""
    start = time.monotonic()
    while True:
        holds = condition()
        if inspect.isawaitable(holds):
            holds = await holds
        if holds:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(message() if callable(message) else message)
        await asyncio.sleep(0.05)


def until_blocking(
    condition: t.Callable[[], bool],
    timeout: float = 10,
    message: str | t.Callable[[], str] = "condition not met in time",
    interval: float = 0.05,
) -> float:
    """``until`` for a test without an event loop: wait, blocking, until
    ``condition()`` holds, asking every ``interval`` seconds; the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(interval)
    return time.monotonic() - start


async def wait_closed(connection, timeout: float = 10) -> tuple[int | None, str | None]:
    """Read from a websocket until the server closes it; return (code, reason).

    The client side is closed too: tornado warns about a client connection that
    was only ever closed by the server."""

    async def _drain():
        while await connection.read_message() is not None:
            pass

    try:
        await asyncio.wait_for(_drain(), timeout)
    finally:
        connection.close()
    return connection.close_code, connection.close_reason


async def still_open(connection, wait: float = 0.3) -> bool:
    """Whether the server keeps this websocket open for ``wait`` seconds."""

    async def _closed():
        while await connection.read_message() is not None:
            pass

    try:
        await asyncio.wait_for(_closed(), wait)
    except TimeoutError:
        return True
    return False


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (None for folders)."""
    found: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            found[os.path.relpath(os.path.join(dirpath, name), root)] = None
        for name in filenames:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, root)] = Path(path).read_bytes()
    return found


# -- real-time collaboration ----------------------------------------------------------------
def with_collaboration(jp_server_config: dict, jp_root_dir: Path, jp_data_dir: Path) -> dict:
    """The test server's config with jupyter-collaboration on, its stores in the
    test's folders, saving and polling quickly."""
    config = json.loads(json.dumps(jp_server_config))
    config["ServerApp"]["jpserver_extensions"].update(
        {"jupyter_server_ydoc": True, "jupyter_server_fileid": True}
    )
    config["FileContentsManager"] = {"delete_to_trash": False, "always_delete_dir": True}
    config["YDocExtension"] = {
        "document_save_delay": 0.1,
        "document_cleanup_delay": None,
        "file_poll_interval": 0.2,
        "session_store_path": str(jp_data_dir / "collaboration_sessions.json"),
    }
    config["SQLiteYStore"] = {"db_path": str(jp_data_dir / "ystore.db")}
    config["BaseFileIdManager"] = {
        "root_dir": str(jp_root_dir),
        "db_path": str(jp_data_dir / "file_id.db"),
        "db_journal_mode": "OFF",
    }
    return config


class YClient:
    """A collaborator: a Yjs document kept in sync with a room over its websocket."""

    def __init__(self, connection: t.Any, room_id: str):
        self.connection = connection
        self.room_id = room_id
        self.doc = Doc()
        self.notebook = YNotebook(self.doc)
        self.awareness = Awareness(self.doc)
        self.peers: dict[int, dict] = {}
        self.raw: asyncio.Queue[dict] = asyncio.Queue()
        self.synced = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while (message := await self.connection.read_message()) is not None:
            assert isinstance(message, bytes)
            kind = message[0]
            if kind == YMessageType.SYNC:
                reply = handle_sync_message(message[1:], self.doc)
                if message[1] == YSyncMessageType.SYNC_STEP2:
                    self.synced.set()
                if reply is not None:
                    await self.connection.write_message(reply, binary=True)
            elif kind == YMessageType.AWARENESS:
                peers = Awareness(Doc())
                peers.apply_awareness_update(Decoder(message[1:]).read_message(), "server")
                self.peers.update(peers.states)
            elif kind == RAW:
                decoder = Decoder(message)
                decoder.read_var_uint()
                self.raw.put_nowait(json.loads(decoder.read_var_string()))

    async def sync(self) -> None:
        await self.connection.write_message(create_sync_message(self.doc), binary=True)
        await asyncio.wait_for(self.synced.wait(), 10)
        await until(lambda: self.notebook.cell_number > 0)

    @property
    def source(self) -> str:
        return self.notebook.get_cell(0)["source"]

    async def type(self, text: str, *, as_step2: bool = False) -> None:
        """Append ``text`` to the first cell locally and send the change, as an
        update or (as a client reconnecting with offline changes does) a sync step 2."""
        before = self.doc.get_state()
        cell_source = self.notebook.ycells[0]["source"]
        cell_source += text
        update = self.doc.get_update(before)
        if as_step2:
            message = bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP2])
            message += write_message(update)
        else:
            message = create_update_message(update)
        await self.connection.write_message(message, binary=True)

    async def announce(self, name: str) -> None:
        self.awareness.set_local_state({"user": {"name": name}})
        update = self.awareness.encode_awareness_update([self.doc.client_id])
        await self.connection.write_message(create_awareness_message(update), binary=True)

    async def save(self, save_id: int = 1) -> dict:
        encoder = Encoder()
        encoder.write_var_uint(RAW)
        encoder.write_var_string("save")
        encoder.write_var_uint(save_id)
        await self.connection.write_message(encoder.to_bytes(), binary=True)
        return await asyncio.wait_for(self.raw.get(), 10)

    async def closed_by_server(self, timeout: float = 10) -> int | None:
        """Wait until the server closes the socket; its close code."""
        await asyncio.wait_for(self._reader, timeout)
        self.connection.close()
        return self.connection.close_code

    def close(self) -> None:
        self.connection.close()
        self._reader.cancel()


def write_notebook(root: Path, path: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(ORIGINAL, id="c1"))
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(nbformat.writes(notebook))


def saved_source(root: Path, path: str) -> str | None:
    """The first cell's source on disk; None while the file is being written."""
    try:
        return nbformat.reads((root / path).read_text(), as_version=4).cells[0].source
    except nbformat.reader.NotJSONError:
        return None


def link_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


async def settle(seconds: float = 0.6) -> None:
    """Longer than the room's save delay and a few round trips."""
    await asyncio.sleep(seconds)


# -- processes, kernels and terminals ---------------------------------------------------------

V1 = "v1.kernel.websocket.jupyter.org"

#: Kernel code printing its process id and start time (none where /proc is closed).
PID_CODE = (
    "import os\n"
    "try:\n"
    "    start = open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19]\n"
    "except OSError:\n"
    "    start = ''\n"
    "print(os.getpid(), start)"
)


def host_pid(pid: int, start: str) -> int:
    """The id this host knows a process by, given the id and start time it sees
    itself with (in a pid namespace of its own, it sees another id)."""
    if not start:
        return pid  # no /proc of its own to see: it is not in a pid namespace
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ids = next(
            (line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")), []
        )
        if ids and ids[-1] == str(pid) and stat.rsplit(")", 1)[1].split()[19] == start:
            return int(entry)
    raise AssertionError(f"no process {pid} started at {start}")


# -- processes ----------------------------------------------------------------------------


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def exit_time(pid: int, since: float, timeout: float = 10) -> float:
    """Seconds from ``since`` until ``pid`` has exited; fails after ``timeout``."""
    deadline = time.perf_counter() + timeout
    while alive(pid):
        assert time.perf_counter() < deadline, f"process {pid} still runs"
        await asyncio.sleep(0.01)
    return time.perf_counter() - since


async def stays_alive(pid: int, seconds: float = 1.0) -> bool:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if not alive(pid):
            return False
        await asyncio.sleep(0.05)
    return True


# -- a kernel websocket client ----------------------------------------------------------


class KernelClient:
    """Speaks the kernel websocket protocol: JSON text, or the v1 binary form."""

    def __init__(self, connection: t.Any, v1: bool = False):
        self.connection = connection
        self.v1 = v1
        self.session = uuid.uuid4().hex
        self.seen: list[dict] = []
        self.ready = False

    async def wait_ready(self, timeout: float = 20) -> None:
        """Wait until the kernel's messages reach this socket, as a Lab does: ask
        for the kernel's info until its status comes back on iopub (a server may
        still be subscribing to iopub when the socket opens, and what the kernel
        publishes meanwhile is lost)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.ready:
            msg_id = self._send("kernel_info_request", {})
            try:
                await self.status(msg_id, "idle", timeout=1)
                self.ready = True
            except asyncio.TimeoutError:
                if asyncio.get_running_loop().time() > deadline:
                    raise

    def execute(self, code: str, msg_id: str | None = None, metadata: dict | None = None) -> str:
        content = {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        return self._send("execute_request", content, msg_id, metadata)

    def _send(
        self,
        msg_type: str,
        content: dict,
        msg_id: str | None = None,
        metadata: dict | None = None,
    ) -> str:
        msg_id = msg_id or uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": "test",
            "session": self.session,
            "date": "2025-01-01T00:00:00Z",
            "version": "5.3",
        }
        if self.v1:
            parts = [json.dumps(part).encode() for part in (header, {}, metadata or {}, content)]
            self.connection.write_message(serialize_msg_to_ws_v1(parts, "shell"), binary=True)
        else:
            message = {
                "header": header,
                "parent_header": {},
                "metadata": metadata or {},
                "content": content,
                "channel": "shell",
                "buffers": [],
            }
            self.connection.write_message(json.dumps(message))
        return msg_id

    async def read(self) -> dict | None:
        raw = await self.connection.read_message()
        if raw is None:
            return None
        if self.v1:
            channel, parts = deserialize_msg_from_ws_v1(raw)
            header, parent, _, content = (json.loads(part) for part in parts[:4])
            return {
                "channel": channel,
                "header": header,
                "parent_header": parent,
                "content": content,
            }
        return json.loads(raw)

    async def until(self, predicate: t.Callable[[dict], bool], timeout: float = 20) -> dict:
        """Read until a message matches (including one read before); return it."""
        for message in self.seen:
            if predicate(message):
                return message

        async def _read():
            while True:
                message = await self.read()
                assert message is not None, "the kernel socket closed"
                self.seen.append(message)
                if predicate(message):
                    return message

        return await asyncio.wait_for(_read(), timeout)

    async def status(self, msg_id: str, state: str, timeout: float = 20) -> dict:
        return await self.until(
            lambda m: (
                m["header"]["msg_type"] == "status"
                and m["parent_header"].get("msg_id") == msg_id
                and m["content"]["execution_state"] == state
            ),
            timeout,
        )

    async def run(self, code: str, metadata: dict | None = None) -> str:
        """Execute ``code`` to its end; return what it printed."""
        await self.wait_ready()
        msg_id = self.execute(code, metadata=metadata)
        await self.status(msg_id, "idle")
        return "".join(
            m["content"].get("text", "")
            for m in self.seen
            if m["parent_header"].get("msg_id") == msg_id and m["header"]["msg_type"] == "stream"
        )

    async def start(self, code: str) -> str:
        """Send ``code`` and return once the kernel runs it."""
        await self.wait_ready()
        msg_id = self.execute(code)
        await self.status(msg_id, "busy")
        return msg_id

    async def pid(self) -> int:
        """The kernel's process id, as this host sees it (the kernel may sit in a
        pid namespace of its own)."""
        inner, _, start = (await self.run(PID_CODE)).strip().partition(" ")
        return host_pid(int(inner), start)


class Terminal:
    """A terminal websocket (terminado's JSON messages)."""

    def __init__(self, connection: t.Any):
        self.connection = connection
        self.output = ""

    def send(self, line: str) -> None:
        self.connection.write_message(json.dumps(["stdin", line + "\r"]))

    async def expect(self, pattern: str, timeout: float = 20) -> re.Match:
        async def _read():
            while not (match := re.search(pattern, self.output)):
                raw = await self.connection.read_message()
                assert raw is not None, "the terminal socket closed"
                kind, *data = json.loads(raw)
                if kind == "stdout":
                    self.output += data[0]
            return match

        return await asyncio.wait_for(_read(), timeout)

    async def pid(self) -> int:
        """The shell's process id, as this host sees it."""
        self.send("echo SHELL-PID=$$:$(cut -d' ' -f22 /proc/$$/stat 2>/dev/null)")
        match = await self.expect(r"SHELL-PID=(\d+):(\d*)")
        return host_pid(int(match.group(1)), match.group(2))


# -- sweeping a server's routes (test_sweep.py, test_hub.py) ---------------------
READ_VERBS = ("GET", "HEAD")
WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE")
#: Values every path parameter is also tried with: missing, and junk.
JUNK = ("", "x", "does-not-exist.txt", "%252e%252e", "%2e%2e%2fx", "..%5cx")
#: At most this many paths per route (shaped values first), and per write verb.
PATHS_PER_ROUTE = 5
WRITE_PATHS_PER_ROUTE = 2
NOT_JSON = b"{not json"


def _char_allowed(items: list, char: str) -> bool:
    """Whether ``char`` is in a regex character class (as ``re._parser`` parsed it)."""
    code, negate, found = ord(char), False, False
    for op, value in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            found |= value == code
        elif op is sre_constants.RANGE:
            found |= value[0] <= code <= value[1]
        elif op is sre_constants.CATEGORY:
            found |= (
                re.fullmatch(
                    {
                        sre_constants.CATEGORY_WORD: r"\w",
                        sre_constants.CATEGORY_DIGIT: r"\d",
                        sre_constants.CATEGORY_SPACE: r"\s",
                    }.get(value, r"(?!)"),
                    char,
                )
                is not None
            )
    return found != negate


def _node_examples(op: t.Any, value: t.Any) -> list[str]:
    if op is sre_constants.LITERAL:
        return [chr(value)]
    if op is sre_constants.NOT_LITERAL:
        return ["y" if chr(value) == "x" else "x"]
    if op is sre_constants.ANY:
        return ["x"]
    if op is sre_constants.IN:
        return [next((c for c in "xa0-._~" if _char_allowed(value, c)), "x")]
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        low, _, sub = value
        once = _examples(sub)
        return ([""] if low == 0 else []) + [e * max(low, 1) for e in once]
    if op is sre_constants.SUBPATTERN:
        # a path parameter: its shaped values, then missing and junk ones
        return [*_examples(value[-1]), *JUNK, *("/" + junk for junk in JUNK if junk)]
    if op is sre_constants.BRANCH:
        return [e for branch in value[1] for e in _examples(branch)]
    return [""]  # anchors and the like


def _examples(nodes: t.Any) -> list[str]:
    results = [""]
    for op, value in nodes:
        results = [r + e for r in results for e in _node_examples(op, value)][:400]
    return results


def paths_for(pattern: str) -> list[str]:
    """Request paths the route ``pattern`` matches: shaped values first, then junk."""
    regex = re.compile(pattern)
    paths: list[str] = []
    for example in _examples(sre_parser.parse(pattern)):
        path = example if example.startswith("/") else "/" + example
        if regex.fullmatch(path) and path not in paths:
            paths.append(path)
    rest = paths[2:]
    return paths[:2] + rest[:: max(1, len(rest) // (PATHS_PER_ROUTE - 2))][: PATHS_PER_ROUTE - 2]


class Sweeper:
    """One kept-alive connection to a server on 127.0.0.1."""

    def __init__(self, server: t.Any):
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def request(self, method: str, path: str, headers: dict, body: bytes | None = None):
        """(status, headers, body); status 0 when the server closed the connection
        without an answer (twice: a kept-alive connection may just have expired)."""
        for _ in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
        return 0, [], b""


def _route_of(routes: list[dict], path: str) -> dict:
    """The route tornado serves ``path`` with: the first whose pattern matches."""
    return next(r for r in routes if re.match(r["pattern"], path))


@dataclass
class SweepResult:
    requests: int = 0
    refused: int = 0
    ok: int = 0
    problems: list[str] = field(default_factory=list)
    upstream_errors: set[str] = field(default_factory=set)
    #: route handler -> (memory, disk) the server grew by while it was swept, in bytes
    growth: dict[str, tuple[int, int]] = field(default_factory=dict)


Footprint = t.Callable[[], tuple[int, int]]


def grew(before: tuple[int, int], after: tuple[int, int]) -> tuple[int, int]:
    return after[0] - before[0], after[1] - before[1]


#: Scoped guests' share, and the file beside it whose name and content they must
#: never see.
SCOPE_FOLDER, SCOPE_FILE, OUTSIDE = "project", "project/inside.ipynb", "outside-the-scope.txt"
#: Where a scoped guest's contents paths point: (what, path, whether a guest of
#: the folder scope may read it, of the file scope).
SCOPE_PROBES = (
    ("inside", SCOPE_FILE, True, True),
    ("the scope", SCOPE_FOLDER, True, True),  # the file scope's folder: the way down
    ("a sibling", OUTSIDE, False, False),
    ("the parent", "", True, True),
    ("an escape", "project/%2e%2e/" + OUTSIDE, False, False),
    ("a link out", "project/link-out/" + OUTSIDE, False, False),
)
#: Routes taking a contents path, as URL templates.
PATH_ROUTES = (
    "/api/contents/{}",
    "/api/contents/{}/checkpoints",
    "/files/{}",
    "/view/{}",
    "/nbconvert/html/{}",
    "/api/collaboration/session/{}",
)

#: What the file outside the scope holds.
OUTSIDE_CONTENT = "what no scoped guest may read"

GuestCell = tuple  # (level, headers) or (level, headers, scope)


def shows_outside(status: int, content: bytes) -> bool:
    """Whether an answer to a scoped guest holds the file outside its scope, or
    names it in something served (a refusal may repeat the path it was asked)."""
    return OUTSIDE_CONTENT.encode() in content or (
        200 <= status < 300 and OUTSIDE.encode() in content
    )


def sweep(
    sweeper: Sweeper,
    routes: list[dict],
    guests: dict[str, GuestCell],
    secrets: dict[str, bytes],
    owner: dict[str, str],
    measure: Footprint | None = None,
) -> SweepResult:
    """Request every route's paths with every verb as each guest; ``guests`` maps a
    name ("view by token") to (level, headers) or (level, headers, scope). What
    must hold is in test_sweep.py's docstring; every breach is a line of the result's
    ``problems``. With ``measure``, what the server grew by is recorded per route."""
    result = SweepResult()
    for route in routes:
        before = measure() if measure else (0, 0)
        _sweep_route(sweeper, routes, route, guests, secrets, owner, result)
        if measure:
            grown = grew(before, measure())
            old = result.growth.get(route["handler"], (0, 0))
            result.growth[route["handler"]] = (old[0] + grown[0], old[1] + grown[1])
    return result


def _sweep_route(
    sweeper: Sweeper,
    routes: list[dict],
    route: dict,
    guests: dict[str, GuestCell],
    secrets: dict[str, bytes],
    owner: dict[str, str],
    result: SweepResult,
) -> None:
    for index, path in enumerate(paths_for(route["pattern"])):
        served_by = _route_of(routes, path)
        verbs = READ_VERBS + (WRITE_VERBS if index < WRITE_PATHS_PER_ROUTE else ())
        for verb, (name, cell_guest) in itertools.product(verbs, guests.items()):
            level, headers, *rest = cell_guest
            scope = rest[0] if rest else ""
            body = NOT_JSON if verb in WRITE_VERBS else None
            status, got_headers, content = sweeper.request(verb, path, headers, body)
            if status in (502, 503, 504):  # a proxy in front that lost the server once
                time.sleep(0.2)
                status, got_headers, content = sweeper.request(verb, path, headers, body)
            result.requests += 1
            result.ok += 200 <= status < 300
            cell = f"{verb} {path} as {name} -> {status}"
            text = content + b"\n".join(
                f"{k}: {v}".encode("latin-1", "replace") for k, v in got_headers
            )
            result.problems += [f"{cell}: carries {s}" for s, v in secrets.items() if v in text]
            if scope and shows_outside(status, content):
                result.problems.append(f"{cell}: names or holds {OUTSIDE}, outside {scope!r}")
            if b"Traceback (most recent call last)" in content:
                result.problems.append(f"{cell}: a stack trace")
            if status >= 500 or status == 0:
                # ours must never fail; an upstream handler that fails the same
                # way for the owner is upstream's (and reported)
                if served_by["handler"].startswith("capella_share") or (
                    0 < sweeper.request(verb, path, owner, body)[0] < 500
                ):
                    result.problems.append(f"{cell}: server error {content[:200]!r}")
                result.upstream_errors.add(f"{verb} {served_by['handler']}")
            resource = served_by["resource"]
            action = policy.method_action(verb, served_by["handler"])
            principal = policy.Principal(policy.Level(level), scope=scope)
            closed = scope and not policy.honours_scope(served_by["handler"])
            if resource is None or not policy.allows(principal, action, resource) or closed:
                result.refused += 1
                if status not in (0, 403, 405):
                    result.problems.append(
                        f"{cell}: {served_by['handler']} ({resource}) must refuse"
                    )
