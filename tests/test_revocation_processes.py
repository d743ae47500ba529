"""Ending a link ends what its guests started: their terminals, the kernels they
started that no one else uses, and the code they left running. Real kernels and
terminals; process exits are measured by polling the process ids."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import typing as t
import uuid

import pytest
from helpers import wait_closed
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)

V1 = "v1.kernel.websocket.jupyter.org"
LOOP = "import time\nwhile True: time.sleep(0.1)"
SHELL_LOOP = "while true; do sleep 0.1; done"
#: The longest a revoked guest's process may outlive its link.
LIMIT = 2.0

REVOKE_SECTION = "capella-share revoke -> guest process exit (pid polled every 10 ms)"
EXPIRY_SECTION = "capella-share expiry -> guest process exit (after expires_at, pid polled)"


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

    def execute(self, code: str, msg_id: str | None = None) -> str:
        msg_id = msg_id or uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "test",
            "session": self.session,
            "date": "2025-01-01T00:00:00Z",
            "version": "5.3",
        }
        content = {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        if self.v1:
            parts = [json.dumps(part).encode() for part in (header, {}, {}, content)]
            self.connection.write_message(serialize_msg_to_ws_v1(parts, "shell"), binary=True)
        else:
            message = {
                "header": header,
                "parent_header": {},
                "metadata": {},
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

    async def run(self, code: str) -> str:
        """Execute ``code`` to its end; return what it printed."""
        msg_id = self.execute(code)
        await self.status(msg_id, "idle")
        return "".join(
            m["content"].get("text", "")
            for m in self.seen
            if m["parent_header"].get("msg_id") == msg_id and m["header"]["msg_type"] == "stream"
        )

    async def start(self, code: str) -> str:
        """Send ``code`` and return once the kernel runs it."""
        msg_id = self.execute(code)
        await self.status(msg_id, "busy")
        return msg_id

    async def pid(self) -> int:
        return int(await self.run("import os; print(os.getpid())"))


# -- fixtures ------------------------------------------------------------------------------


async def _revoke(fetch, link_id: str) -> None:
    assert (await fetch("api", "capella-share", "links", link_id, method="DELETE")).code == 204


@pytest.fixture
def start_kernel(fetch):
    """Start a kernel through POST api/kernels or api/sessions, as ``token``'s
    holder (the owner by default); return its id."""

    async def _start(via: str = "kernels", token: str | None = None) -> str:
        if via == "kernels":
            body = {"name": "python3"}
        else:
            name = f"{uuid.uuid4().hex[:8]}.ipynb"
            body = {"path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}}
        response = await fetch("api", via, method="POST", body=json.dumps(body), token=token)
        assert response.code == 201, response.body
        model = response.json()
        return model["id"] if via == "kernels" else model["kernel"]["id"]

    return _start


@pytest.fixture
def kernel_client(ws_connect):
    """Open a kernel's websocket as ``token``'s holder (the owner by default)."""
    opened: list[t.Any] = []

    async def _open(kernel_id: str, token: str | None = None, v1: bool = False) -> KernelClient:
        connection = await ws_connect(
            "api",
            "kernels",
            kernel_id,
            "channels",
            token=token,
            subprotocols=[V1] if v1 else None,
        )
        opened.append(connection)
        assert (connection.selected_subprotocol == V1) is v1
        return KernelClient(connection, v1)

    yield _open
    for connection in opened:
        connection.close()


async def kernel_ids(fetch) -> set[str]:
    return {kernel["id"] for kernel in (await fetch("api", "kernels")).json()}


async def unlisted(fetch, kernel_id: str, timeout: float = LIMIT) -> bool:
    """Whether the kernel leaves the server's list (its shutdown has finished)."""
    deadline = time.perf_counter() + timeout
    while kernel_id in await kernel_ids(fetch):
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def execution_state(fetch, kernel_id: str) -> str:
    return (await fetch("api", "kernels", kernel_id)).json()["execution_state"]


async def goes_idle(fetch, kernel_id: str, timeout: float = LIMIT) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if await execution_state(fetch, kernel_id) == "idle":
            return True
        await asyncio.sleep(0.05)
    return False


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
        self.send("echo SHELL-PID=$$")
        return int((await self.expect(r"SHELL-PID=(\d+)")).group(1))


@pytest.fixture
def terminal(fetch, ws_connect):
    """Create a terminal as ``token``'s holder (or use terminal ``name``) and open
    its websocket."""
    opened: list[t.Any] = []

    async def _open(token: str | None = None, name: str | None = None) -> tuple[str, Terminal]:
        if name is None:
            response = await fetch("api", "terminals", method="POST", body="{}", token=token)
            assert response.code == 200, response.body
            name = response.json()["name"]
        connection = await ws_connect("terminals", "websocket", name, token=token)
        opened.append(connection)
        return name, Terminal(connection)

    yield _open
    for connection in opened:
        connection.close()


async def terminal_names(fetch) -> set[str]:
    return {terminal["name"] for terminal in (await fetch("api", "terminals")).json()}


async def terminal_gone(fetch, name: str, started: float) -> set[str]:
    """The terminal names once ``name`` has left the list (its shell exits first;
    the manager forgets it a moment later), within LIMIT of ``started``."""
    while name in (names := await terminal_names(fetch)):
        assert time.perf_counter() - started < LIMIT, f"terminal {name} still listed"
        await asyncio.sleep(0.02)
    return names


# -- tests -----------------------------------------------------------------------------------


async def test_ending_guests_processes_is_wired(capella, jp_serverapp):
    """Every piece is in place, so links stay on (they are turned off otherwise)."""
    await asyncio.sleep(0)  # the check runs once every extension has loaded
    assert capella.processes.wiring_problem(jp_serverapp) is None
    assert capella.allow_token_links


@pytest.mark.parametrize(
    ("via", "v1"), [("kernels", False), ("sessions", True)], ids=["kernels-json", "sessions-v1"]
)
async def test_revoking_shuts_down_the_kernel_a_guest_started(
    via, v1, fetch, make_link, start_kernel, kernel_client, report
):
    model, token = await make_link("edit")
    kernel_id = await start_kernel(via, token=token)
    guest = await kernel_client(kernel_id, token=token, v1=v1)
    pid = await guest.pid()
    await guest.start(LOOP)

    started = time.perf_counter()
    await _revoke(fetch, model["id"])
    elapsed = await exit_time(pid, started)
    report(REVOKE_SECTION, f"kernel   POST api/{via:9} {elapsed * 1000:7.1f} ms")
    assert elapsed < LIMIT
    assert await unlisted(fetch, kernel_id)
    await wait_closed(guest.connection)


async def test_revoking_terminates_the_terminals_a_full_guest_created(
    fetch, make_link, terminal, report
):
    owners, _ = await terminal()
    model, token = await make_link("full")
    name, guests = await terminal(token=token)
    # the guest also uses the owner's terminal: that one is not the guest's to lose
    _, borrowed = await terminal(token=token, name=owners)
    pid = await guests.pid()
    guests.send(SHELL_LOOP)

    started = time.perf_counter()
    await _revoke(fetch, model["id"])
    elapsed = await exit_time(pid, started)
    report(REVOKE_SECTION, f"terminal POST api/terminals {elapsed * 1000:7.1f} ms")
    assert elapsed < LIMIT
    names = await terminal_gone(fetch, name, started)
    assert owners in names
    for connection in (guests.connection, borrowed.connection):
        await wait_closed(connection)
    # the owner's terminal still works
    _, mine = await terminal(name=owners)
    assert await mine.pid() > 0


async def test_a_kernel_the_owner_has_open_survives_but_the_guests_run_is_interrupted(
    fetch, make_link, start_kernel, kernel_client
):
    model, token = await make_link("edit")
    kernel_id = await start_kernel(token=token)
    owner = await kernel_client(kernel_id)
    guest = await kernel_client(kernel_id, token=token)
    pid = await guest.pid()
    loop = await guest.start(LOOP)

    started = time.perf_counter()
    await _revoke(fetch, model["id"])
    # the owner sees the guest's loop stop: interrupted, and the kernel idle
    error = await owner.until(
        lambda m: m["header"]["msg_type"] == "error" and m["parent_header"].get("msg_id") == loop,
        timeout=LIMIT,
    )
    assert error["content"]["ename"] == "KeyboardInterrupt"
    await owner.status(loop, "idle", timeout=LIMIT)
    assert time.perf_counter() - started < LIMIT
    assert await stays_alive(pid)
    assert kernel_id in await kernel_ids(fetch)
    assert await owner.run("print(6 * 7)") == "42\n"


async def test_the_owners_kernel_a_guest_used_survives(
    fetch, make_link, start_kernel, kernel_client
):
    kernel_id = await start_kernel()
    model, token = await make_link("edit")
    guest = await kernel_client(kernel_id, token=token)
    pid = await guest.pid()
    await guest.start(LOOP)
    assert await execution_state(fetch, kernel_id) == "busy"

    await _revoke(fetch, model["id"])
    # no one else has it open: the guest's loop is still interrupted
    assert await goes_idle(fetch, kernel_id)
    assert await stays_alive(pid)
    assert kernel_id in await kernel_ids(fetch)
    owner = await kernel_client(kernel_id)
    assert await owner.run("print(6 * 7)") == "42\n"


async def test_reusing_a_msg_id_does_not_hide_a_guests_run(
    fetch, make_link, start_kernel, kernel_client
):
    """A short request and the loop under one msg_id: the first one's end must
    not make the loop look finished."""
    kernel_id = await start_kernel()
    model, token = await make_link("edit")
    guest = await kernel_client(kernel_id, token=token)
    reused = guest.execute("print('first')")
    guest.execute(LOOP, msg_id=reused)
    busy = []
    await guest.until(
        lambda m: (
            m["header"]["msg_type"] == "status"
            and m["parent_header"].get("msg_id") == reused
            and m["content"]["execution_state"] == "busy"
            and len(busy.append(m) or busy) == 2
        )
    )
    assert await execution_state(fetch, kernel_id) == "busy"

    await _revoke(fetch, model["id"])
    assert await goes_idle(fetch, kernel_id)
    assert kernel_id in await kernel_ids(fetch)


async def test_a_guests_queued_execution_is_interrupted_when_it_starts(
    fetch, make_link, start_kernel, kernel_client
):
    """What the owner runs is not interrupted; the guest's execution waiting behind
    it is, the moment it starts."""
    kernel_id = await start_kernel()
    owner = await kernel_client(kernel_id)
    model, token = await make_link("edit")
    guest = await kernel_client(kernel_id, token=token)
    await owner.pid()
    mine = await owner.start("import time\ntime.sleep(1.5)\nprint('owner done')")
    queued = guest.execute(LOOP)

    await _revoke(fetch, model["id"])
    reply = await owner.until(
        lambda m: m["header"]["msg_type"] == "stream" and m["parent_header"].get("msg_id") == mine
    )
    assert reply["content"]["text"] == "owner done\n"
    await owner.status(mine, "idle")
    finished = time.perf_counter()
    await owner.status(queued, "idle", timeout=LIMIT)
    assert time.perf_counter() - finished < LIMIT
    assert not [
        m
        for m in owner.seen
        if m["header"]["msg_type"] == "error" and m["parent_header"].get("msg_id") == mine
    ]
    assert await owner.run("print(6 * 7)") == "42\n"


async def test_a_kernel_another_links_guest_uses_ends_with_that_link(
    fetch, make_link, start_kernel, kernel_client
):
    first, first_token = await make_link("edit")
    second, second_token = await make_link("edit")
    kernel_id = await start_kernel(token=first_token)
    starter = await kernel_client(kernel_id, token=first_token)
    pid = await starter.pid()
    other = await kernel_client(kernel_id, token=second_token)
    assert await other.run("print(1)") == "1\n"

    await _revoke(fetch, first["id"])
    assert await stays_alive(pid, 0.5)
    assert kernel_id in await kernel_ids(fetch)
    started = time.perf_counter()
    await _revoke(fetch, second["id"])
    assert await exit_time(pid, started) < LIMIT
    assert await unlisted(fetch, kernel_id)


class TestKeepingGuestKernels:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return {**jp_server_config, "CapellaShareApp": {"end_guest_kernels": False}}

    async def test_the_guests_kernel_is_kept_and_its_run_interrupted(
        self, capella, fetch, make_link, start_kernel, kernel_client
    ):
        assert capella.processes.end_guest_kernels is False
        model, token = await make_link("full")
        kernel_id = await start_kernel(token=token)
        guest = await kernel_client(kernel_id, token=token)
        pid = await guest.pid()
        await guest.start(LOOP)

        await _revoke(fetch, model["id"])
        assert await goes_idle(fetch, kernel_id)
        assert await stays_alive(pid)
        assert kernel_id in await kernel_ids(fetch)
        owner = await kernel_client(kernel_id)
        assert await owner.run("print(6 * 7)") == "42\n"


async def test_expiry_ends_what_the_guest_started(
    fetch, make_link, start_kernel, kernel_client, terminal, report
):
    lifetime = 6
    _, token = await make_link("full", expires_in=lifetime)
    deadline = time.perf_counter() + lifetime
    kernel_id = await start_kernel(token=token)
    guest = await kernel_client(kernel_id, token=token)
    kernel_pid = await guest.pid()
    await guest.start(LOOP)
    name, shell = await terminal(token=token)
    shell_pid = await shell.pid()
    shell.send(SHELL_LOOP)
    assert time.perf_counter() < deadline - 0.5, "setting up took longer than the link lives"

    kernel_exit, shell_exit = await asyncio.gather(
        exit_time(kernel_pid, deadline, timeout=lifetime + 10),
        exit_time(shell_pid, deadline, timeout=lifetime + 10),
    )
    for kind, elapsed in (("kernel", kernel_exit), ("terminal", shell_exit)):
        report(EXPIRY_SECTION, f"{kind:8} {max(0.0, elapsed) * 1000:7.1f} ms")
        assert elapsed < LIMIT
    assert await unlisted(fetch, kernel_id)
    assert name not in await terminal_gone(fetch, name, deadline)
    assert (await fetch("api", "capella-share", "links")).json()["links"] == []


async def test_a_view_guest_starts_nothing(fetch, make_link, start_kernel):
    before = await kernel_ids(fetch)
    _, token = await make_link("view")
    body = json.dumps({"name": "python3"})
    assert (await fetch("api", "kernels", method="POST", body=body, token=token)).code == 403
    session = json.dumps({"path": "v.ipynb", "type": "notebook", "kernel": {"name": "python3"}})
    assert (await fetch("api", "sessions", method="POST", body=session, token=token)).code == 403
    assert (await fetch("api", "terminals", method="POST", body="{}", token=token)).code == 403
    assert await kernel_ids(fetch) == before
