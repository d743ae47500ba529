"""Ending a link ends what its guests started: their terminals, the kernels they
started that no one else uses, and the code they left running. Real kernels and
terminals; process exits are measured by polling the process ids."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from helpers import exit_time, stays_alive, wait_closed
from tornado.httpclient import HTTPClientError

V1 = "v1.kernel.websocket.jupyter.org"
LOOP = "import time\nwhile True: time.sleep(0.1)"
SHELL_LOOP = "while true; do sleep 0.1; done"
#: The longest a revoked guest's process may outlive its link.
LIMIT = 2.0

REVOKE_SECTION = "capella-share revoke -> guest process exit (pid polled every 10 ms)"
EXPIRY_SECTION = "capella-share expiry -> guest process exit (after expires_at, pid polled)"


# -- fixtures ------------------------------------------------------------------------------


async def _revoke(fetch, link_id: str) -> None:
    assert (await fetch("api", "capella-share", "links", link_id, method="DELETE")).code == 204


@pytest.fixture
def interrupting(capella):
    """Kernels a revoked guest ran code in are kept and its running code is only
    interrupted (CapellaShareApp.restart_kernels_guests_ran = False); with the
    default, they are restarted (tests/server/test_sandbox.py)."""
    capella.restart_kernels_guests_ran = False


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
    # the owner's terminal runs as the owner: no guest may use it
    with pytest.raises(HTTPClientError) as refused:
        await terminal(token=token, name=owners)
    assert refused.value.code == 403
    pid = await guests.pid()
    guests.send(SHELL_LOOP)

    started = time.perf_counter()
    await _revoke(fetch, model["id"])
    elapsed = await exit_time(pid, started)
    report(REVOKE_SECTION, f"terminal POST api/terminals {elapsed * 1000:7.1f} ms")
    assert elapsed < LIMIT
    names = await terminal_gone(fetch, name, started)
    assert owners in names
    await wait_closed(guests.connection)
    # the owner's terminal still works
    _, mine = await terminal(name=owners)
    assert await mine.pid() > 0


async def test_a_kernel_the_owner_has_open_survives_but_the_guests_run_is_interrupted(
    fetch, make_link, start_kernel, kernel_client, interrupting
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
    fetch, make_link, start_kernel, kernel_client, interrupting
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
    fetch, make_link, start_kernel, kernel_client, interrupting
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
    fetch, make_link, start_kernel, kernel_client, interrupting
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
    fetch, make_link, start_kernel, kernel_client, interrupting
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
        config = {"end_guest_kernels": False, "restart_kernels_guests_ran": False}
        return {**jp_server_config, "CapellaShareApp": config}

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
