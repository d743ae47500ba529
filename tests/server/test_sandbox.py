"""Guests' code is contained: what an edit or full guest's kernel or terminal
runs sees no secret of the server, cannot write read-only shares or outside the
root, and leaves nothing running once the link ends. Real kernels and terminals,
under each backend (bubblewrap's namespaces, Landlock), with the attacks that
worked on servers without a sandbox.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
from helpers import alive, exit_time, until, wait_closed
from tornado.httpclient import HTTPClientError

pytestmark = pytest.mark.timeout(180)

BACKENDS = ("bubblewrap", "landlock")
#: The longest a revoked guest's process may outlive its link.
LIMIT = 2.0
#: A variable named like a secret, and the hub's token variable.
SECRET_VARIABLES = {
    "CAPELLA_TEST_API_TOKEN": "variable-secret-value",
    "JPY_API_TOKEN": "jpy-secret",
}

#: Kernel code: what of the server it can read, as {what: "read" | the error}.
PROBE = """
import json, os, glob
def attempt(path):
    try:
        if os.path.isdir(path):
            return "read" if os.listdir(path) else "empty"
        with open(path, "rb") as f:
            f.read(64)
        return "read"
    except OSError as error:
        return type(error).__name__
found = {}
for name, path in TARGETS.items():
    if name != "runtime dir":  # its listing is checked below
        found[name] = attempt(path)
found["runtime listing"] = sorted(glob.glob(TARGETS["runtime dir"] + "/*"))
found["variables"] = sorted(
    k for k in os.environ if k in SECRET_NAMES or k.startswith("JUPYTERHUB")
)
print(json.dumps(found))
"""


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def jp_server_config(jp_server_config, backend, jp_root_dir):
    config = dict(jp_server_config)
    config["CapellaShareApp"] = {"sandbox_backend": backend}
    return config


@pytest.fixture(autouse=True)
def secret_environment(monkeypatch):
    for name, value in SECRET_VARIABLES.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def targets(jp_serverapp, jp_runtime_dir, jp_data_dir, tmp_path):
    """What a guest's code must not read: the server's files of secrets."""
    home = Path(os.path.expanduser("~"))
    (home / "owner-private.txt").write_text("the owner's own")
    (jp_data_dir / "data-secret.txt").write_text("data")
    (tmp_path / "beside-the-root.txt").write_text("someone else's")
    runtime = Path(jp_serverapp.runtime_dir)
    info = sorted(runtime.glob("jpserver-*.json"))
    found = {
        "runtime dir": str(runtime),
        "cookie secret": jp_serverapp.cookie_secret_file,
        "data dir file": str(jp_data_dir / "data-secret.txt"),
        "owner's home": str(home / "owner-private.txt"),
        "a file beside the root": str(tmp_path / "beside-the-root.txt"),
        "the system's logs": "/var/log",
        "server environ": f"/proc/{os.getpid()}/environ",
        "server cmdline": f"/proc/{os.getpid()}/cmdline",
    }
    if info:
        found["server info file"] = str(info[0])
    return found


def probe(targets: dict) -> str:
    return f"TARGETS = {json.dumps(targets)}\nSECRET_NAMES = {sorted(SECRET_VARIABLES)!r}\n" + PROBE


def assert_nothing_read(found: dict, backend: str, kernel_id: str) -> None:
    readable = [name for name, result in found.items() if result == "read"]
    assert not readable, f"{backend}: code read {readable}"
    # of the runtime folder, a kernel sees its own connection file only
    own = f"kernel-{kernel_id}.json"
    assert [os.path.basename(p) for p in found["runtime listing"]] in ([], [own])
    assert found["variables"] == [], found["variables"]


async def test_the_sandbox_is_the_one_asked_for(fetch, backend):
    info = (await fetch("api", "capella-share", "info")).json()
    assert info["sandbox"]["backend"] == backend
    assert info["sandbox"]["hides"]
    assert info["levels_off"] == {}


@pytest.mark.parametrize("level", ["edit", "full"])
async def test_a_guests_kernel_reads_no_secret(
    level, backend, fetch, make_link, start_kernel, kernel_client, targets
):
    # another kernel (the owner's) is running: its connection file is a secret too
    owners = await start_kernel()
    connection = json.loads((await fetch("api", "kernels", owners)).body)  # the kernel is up
    assert connection["id"] == owners
    runtime = Path(targets["runtime dir"])
    others = sorted(runtime.glob(f"kernel-{owners}*.json"))
    assert others, "the owner's kernel has no connection file to protect"
    targets = {**targets, "another kernel's connection file": str(others[0])}

    _, token = await make_link(level)
    kernel_id = await start_kernel(token=token)
    guest = await kernel_client(kernel_id, token=token)
    found = json.loads(await guest.run(probe(targets)))
    assert_nothing_read(found, backend, kernel_id)


async def test_the_owners_own_kernel_is_in_the_sandbox_too(
    backend, start_kernel, kernel_client, targets
):
    kernel_id = await start_kernel()
    owner = await kernel_client(kernel_id)
    found = json.loads(await owner.run(probe(targets)))
    assert_nothing_read(found, backend, kernel_id)


async def test_a_read_only_share_is_read_only_for_code(
    backend, make_share, shares_api, make_link, start_kernel, kernel_client, jp_root_dir
):
    share = await make_share("Sandbox", "Reference", "read-write")
    kept = jp_root_dir / share["path"] / "kept.txt"
    kept.write_text("original")
    changed = await shares_api(
        "PATCH", share["project"], share["model"], body={"permission": "read-only"}
    )
    assert changed.code == 200
    (jp_root_dir / "work").mkdir()
    _, token = await make_link("edit")
    guest = await kernel_client(await start_kernel(token=token), token=token)
    code = f"""
import errno
results = []
for attempt in (lambda: open({str(kept)!r}, "w").write("changed"),
                lambda: open({str(kept.parent / "new.txt")!r}, "w").write("new"),
                lambda: __import__("os").remove({str(kept)!r})):
    try:
        attempt()
        results.append("done")
    except OSError as error:
        results.append(errno.errorcode[error.errno])
print(results)
"""
    results = await guest.run(code)
    assert "done" not in results, results
    assert kept.read_text() == "original"
    assert not (kept.parent / "new.txt").exists()
    # the rest of the root stays writable: the project's other folders, and
    # (but under Landlock, which grants the root only as a whole) its top
    writable = [jp_root_dir / "work" / "mine.txt"]
    if backend == "bubblewrap":
        writable.append(jp_root_dir / "top.txt")
    for path in writable:
        assert await guest.run(f"open({str(path)!r}, 'w').write('x')") == ""
        assert path.read_text() == "x"


async def test_code_writes_nothing_outside_the_root(
    backend, make_link, start_kernel, kernel_client, jp_root_dir, jp_data_dir, tmp_path
):
    beside = tmp_path / "beside-the-root"
    beside.mkdir()
    _, token = await make_link("edit")
    guest = await kernel_client(await start_kernel(token=token), token=token)
    paths = [
        str(beside / "x.txt"),
        str(jp_data_dir / "x.txt"),
        "/usr/x.txt",
        str(Path(os.path.expanduser("~")) / "x.txt"),
    ]
    code = f"""
import tempfile
results = []
for path in {paths!r}:
    try:
        open(path, "w").write("x")
        results.append(path)
    except OSError:
        pass
with tempfile.NamedTemporaryFile(dir=None) as private:  # its own /tmp works
    private.write(b"x")
print(results)
"""
    assert await guest.run(code) == "[]\n"
    assert not any(Path(p).exists() for p in paths)


async def test_a_planted_module_runs_inside_the_sandbox(
    backend, fetch, make_link, targets, jp_root_dir, jp_serverapp
):
    """A module an edit guest saves next to a notebook runs in the next kernel
    started there, the owner's, before any cell: it finds nothing to take."""
    _, token = await make_link("edit")
    (jp_root_dir / "work").mkdir()
    planted = f"""
import json, os, sys, runpy
TARGETS = {json.dumps(targets)}
found = {{}}
for name, path in TARGETS.items():
    if name == "runtime dir":  # it shows the kernel its own connection file
        continue
    try:
        if os.path.isdir(path):
            found[name] = "read" if os.listdir(path) else "empty"
            continue
        open(path, "rb").read(1)
        found[name] = "read"
    except OSError as error:
        found[name] = type(error).__name__
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.json"), "w") as f:
    json.dump(found, f)
here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if p not in ("", here)]
del sys.modules["ipykernel_launcher"]
runpy.run_module("ipykernel_launcher", run_name="__main__")
"""
    body = json.dumps({"type": "file", "format": "text", "content": planted})
    saved = await fetch(
        "api", "contents", "work", "ipykernel_launcher.py", method="PUT", body=body, token=token
    )
    assert saved.code == 201, saved.body
    session = await fetch(
        "api",
        "sessions",
        method="POST",
        body=json.dumps(
            {"path": "work/analysis.ipynb", "type": "notebook", "kernel": {"name": "python3"}}
        ),
    )
    assert session.code == 201, session.body
    report = jp_root_dir / "work" / "report.json"
    await until(report.exists, timeout=30)
    found = json.loads(report.read_text())
    assert set(found) == set(targets) - {"runtime dir"}  # the planted module did run
    assert [name for name, result in found.items() if result == "read"] == []


#: Kernel code: processes that try to outlive their kernel, writing their ids
#: (and start times, by which the host finds them) to PIDS.
ESCAPES = r"""
import os, subprocess, time
RECORD = "echo $$ $(cut -d' ' -f22 /proc/$$/stat 2>/dev/null) >> " + PIDS
quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
subprocess.Popen(["sh", "-c", RECORD + "; exec sleep 1000"], start_new_session=True)
subprocess.Popen(["nohup", "sh", "-c", RECORD + "; exec sleep 1001"], **quiet)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sh", ["sh", "-c", RECORD + "; exec sleep 1002"])
    os._exit(0)
"""


def read_pids(path: Path, count: int) -> list[int]:
    from helpers import host_pid

    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    assert len(lines) >= count, lines
    return [host_pid(int(parts[0]), parts[1] if len(parts) > 1 else "") for parts in lines]


async def test_what_a_guests_code_starts_ends_with_its_link(
    backend, fetch, make_link, start_kernel, kernel_client, jp_root_dir, report
):
    model, token = await make_link("edit")
    guest = await kernel_client(await start_kernel(token=token), token=token)
    pids_file = jp_root_dir / "pids.txt"
    await guest.run(f"PIDS = {str(pids_file)!r}\n" + ESCAPES)
    await until(lambda: pids_file.exists() and len(pids_file.read_text().splitlines()) >= 3)
    pids = read_pids(pids_file, 3)
    assert all(alive(pid) for pid in pids)

    started = time.perf_counter()
    assert (await fetch("api", "capella-share", "links", model["id"], method="DELETE")).code == 204
    took = [await exit_time(pid, started, timeout=LIMIT) for pid in pids]
    report(
        "sandbox: revoke -> every process the guest's code started has exited",
        f"{backend:10} setsid, nohup and double-fork children: {max(took) * 1000:6.1f} ms",
    )
    assert max(took) < LIMIT


async def test_a_kernel_a_revoked_guest_ran_code_in_is_restarted(
    backend, fetch, make_link, start_kernel, kernel_client, ws_connect, jp_root_dir
):
    """The owner's kernel a guest ran a thread and a process in is restarted when
    the link ends (the guest's thread lives in its state), and the owner is told."""
    kernel_id = await start_kernel()
    owner = await kernel_client(kernel_id)
    owner_pid = await owner.pid()
    events = await ws_connect("api", "events", "subscribe")
    model, token = await make_link("edit", label="Thread starter")
    guest = await kernel_client(kernel_id, token=token)
    pids_file = jp_root_dir / "thread-pids.txt"
    forever = "lambda: [time.sleep(0.05) for _ in iter(int, 1)]"
    await guest.run(
        f"import threading, time\nthreading.Thread(target={forever}, daemon=True).start()\n"
        f"PIDS = {str(pids_file)!r}\n" + ESCAPES
    )
    await until(lambda: pids_file.exists() and len(pids_file.read_text().splitlines()) >= 3)
    pids = read_pids(pids_file, 3)

    started = time.perf_counter()
    assert (await fetch("api", "capella-share", "links", model["id"], method="DELETE")).code == 204
    assert await exit_time(owner_pid, started, timeout=5) < 5
    for pid in pids:
        assert await exit_time(pid, started, timeout=LIMIT) < LIMIT
    # the kernel is still the owner's, anew, and the owner's Lab is told why
    assert kernel_id in {k["id"] for k in (await fetch("api", "kernels")).json()}

    async def told() -> dict:
        while True:
            event = json.loads(await events.read_message())
            if event.get("schema_id") == "urn:capella-share:event:kernel-restarted:v1":
                return event

    event = await asyncio.wait_for(told(), 10)
    assert event["kernel_id"] == kernel_id and event["label"] == "Thread starter"
    events.close()
    fresh = await kernel_client(kernel_id)
    assert await fresh.run("print(6 * 7)") == "42\n"


async def test_a_guest_does_not_see_the_owners_events(
    backend, fetch, make_link, start_kernel, kernel_client, ws_connect, capella
):
    _, watcher = await make_link("view")
    theirs = await ws_connect("api", "events", "subscribe", token=watcher)
    mine = await ws_connect("api", "events", "subscribe")
    from capella_share.events import KERNEL_RESTARTED, emit_kernel_restarted

    link, _ = await make_link("edit", label="Someone")
    emit_kernel_restarted(capella.serverapp, "k", capella.links.get(link["id"]))
    try:
        got = json.loads(await asyncio.wait_for(mine.read_message(), 5))
        while got["schema_id"] != KERNEL_RESTARTED:  # the trail's record of the link, first
            got = json.loads(await asyncio.wait_for(mine.read_message(), 5))
        assert got["link_id"] == link["id"]
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(theirs.read_message(), 0.5)
    finally:
        theirs.close()
        mine.close()


async def test_a_full_guests_terminal_is_in_the_sandbox(
    backend, make_share, shares_api, make_link, terminal, targets, jp_root_dir, fetch
):
    share = await make_share("Sandbox", "Terminal", "read-only")
    inside = jp_root_dir / share["path"] / "kept.txt"
    model, token = await make_link("full")
    _, shell = await terminal(token=token)
    secrets = f"{targets['cookie secret']} {targets['data dir file']}"
    shell.send(f"cat {secrets} >/dev/null 2>&1; echo READ=$?")
    assert (await shell.expect(r"READ=(\d+)")).group(1) != "0"
    shell.send(f"ls {targets['runtime dir']} | wc -l; echo LISTED")
    listed = await shell.expect(r"(\d+)\s+LISTED")
    assert listed.group(1) == "0"
    shell.send(f"echo x > {inside}; echo WROTE=$?")
    assert (await shell.expect(r"WROTE=(\d+)")).group(1) != "0"
    assert not inside.exists()
    shell.send("env | grep -c -E 'TOKEN|JPY_' ; echo VARIABLES")
    assert (await shell.expect(r"(\d+)\s+VARIABLES")).group(1) == "0"
    pid = await shell.pid()
    started = time.perf_counter()
    assert (await fetch("api", "capella-share", "links", model["id"], method="DELETE")).code == 204
    assert await exit_time(pid, started, timeout=LIMIT) < LIMIT
    await wait_closed(shell.connection)


class TestWithoutASandbox:
    @pytest.fixture(params=["refused", "allowed"])
    def unconfined(self, request):
        return request.param

    @pytest.fixture
    def jp_server_config(self, jp_server_config, unconfined):
        config = dict(jp_server_config)
        config["CapellaShareApp"] = {
            "sandbox_backend": "none",
            "allow_unconfined_code": unconfined == "allowed",
        }
        return config

    async def test_guests_who_run_code_are_refused_unless_the_operator_chose(
        self, unconfined, fetch, make_link, capella, start_kernel, kernel_client
    ):
        info = (await fetch("api", "capella-share", "info")).json()
        assert info["sandbox"]["backend"] is None
        assert info["sandbox"]["problem"]
        body = json.dumps({"permission": "edit", "expires_in": None})
        made = await fetch("api", "capella-share", "links", method="POST", body=body)
        _, view_token = await make_link("view")
        assert (await fetch("api", "contents", token=view_token)).code == 200
        if unconfined == "refused":
            assert made.code == 403
            assert "no sandbox" in made.json()["message"]
            assert set(info["levels_off"]) == {"edit", "full"}
            # a link made anyway (in the registry) lets nobody in
            _, token = capella.links.create("edit")
            assert (await fetch("api", "contents", token=token)).code == 403
        else:
            assert made.code == 201
            assert info["levels_off"] == {}
            # the guest's code runs unconfined, as the operator chose
            token = made.json()["token"]
            guest = await kernel_client(await start_kernel(token=token), token=token)
            assert await guest.run("print(6 * 7)") == "42\n"


class TestOwnerKernelsOutside:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        config = dict(jp_server_config)
        config["CapellaShareApp"] = {"confine_owner_kernels": False}
        return config

    async def test_a_guest_may_not_run_code_in_an_unconfined_kernel(
        self, make_link, start_kernel, kernel_client
    ):
        kernel_id = await start_kernel()
        _, token = await make_link("edit")
        with pytest.raises(HTTPClientError) as refused:
            await kernel_client(kernel_id, token=token)
        assert refused.value.code == 403
        # its own kernel is confined, and its own to use
        mine = await kernel_client(await start_kernel(token=token), token=token)
        assert await mine.run("print(1)") == "1\n"


class TestSharesLinkedIn:
    """A hub's local spawner links each project share into the root from a folder
    outside it: the sandbox shows a read-write one writable, a read-only one
    readable only, and nothing else of the folder they come from."""

    @pytest.fixture
    def storage(self, tmp_path, jp_root_dir):
        storage = tmp_path / "share-storage"
        for model in ("scratch", "reference", "unshared"):
            (storage / "demo-project" / model).mkdir(parents=True)
            (storage / "demo-project" / model / "given.txt").write_text(model)
        (jp_root_dir / "demo-project").mkdir()
        for model in ("scratch", "reference"):
            (jp_root_dir / "demo-project" / model).symlink_to(storage / "demo-project" / model)
        return storage

    @pytest.fixture
    def jp_server_config(self, jp_server_config, backend, tmp_path, storage):
        manifest = tmp_path / "manifest.json"
        shares = [
            {"project": "demo-project", "model": "scratch", "permission": "read-write"},
            {"project": "demo-project", "model": "reference", "permission": "read-only"},
        ]
        manifest.write_text(json.dumps({"version": 1, "shares": shares}))
        config = dict(jp_server_config)
        config["CapellaShareApp"] = {"sandbox_backend": backend, "manifest_path": str(manifest)}
        return config

    async def test_linked_shares_keep_their_permission_in_the_sandbox(
        self, backend, storage, make_link, start_kernel, kernel_client
    ):
        _, token = await make_link("edit")
        guest = await kernel_client(await start_kernel(token=token), token=token)
        code = """
import errno, json
def attempt(action):
    try:
        return action() and "done"
    except OSError as error:
        return errno.errorcode[error.errno]
print(json.dumps({
    "write scratch": attempt(lambda: open("demo-project/scratch/new.txt", "w").write("x")),
    "read reference": attempt(lambda: open("demo-project/reference/given.txt").read()),
    "write reference": attempt(lambda: open("demo-project/reference/new.txt", "w").write("x")),
    "read the storage": attempt(lambda: open(STORAGE + "/demo-project/unshared/given.txt").read()),
}))
"""
        found = json.loads(await guest.run(f"STORAGE = {str(storage)!r}\n" + code))
        assert found["write scratch"] == "done", found
        assert found["read reference"] == "done", found
        assert found["write reference"] != "done", found
        assert (storage / "demo-project" / "scratch" / "new.txt").read_text() == "x"
        assert not (storage / "demo-project" / "reference" / "new.txt").exists()
        if backend == "landlock":
            # what the root does not link to is not shown
            assert found["read the storage"] != "done", found


@pytest.mark.parametrize("scope", ["project", "project/analysis.ipynb"])
async def test_a_scoped_guests_kernel_sees_only_its_scope(
    backend, scope, make_link, start_kernel, kernel_client, jp_root_dir
):
    (jp_root_dir / "project").mkdir()
    (jp_root_dir / "project" / "analysis.ipynb").write_text("{}")
    (jp_root_dir / "project" / "data.csv").write_text("a,b")
    (jp_root_dir / "sibling").mkdir()
    (jp_root_dir / "sibling" / "keys.txt").write_text("secret")
    _, token = await make_link("edit", scope=scope)
    guest = await kernel_client(await start_kernel(token=token), token=token)
    paths = {
        "sibling": jp_root_dir / "sibling" / "keys.txt",
        "data": jp_root_dir / "project" / "data.csv",
        "notebook": jp_root_dir / "project" / "analysis.ipynb",
        "new": jp_root_dir / "project" / "new.txt",
        "parent": jp_root_dir / "planted.txt",
    }
    code = f"""
import json, os
paths = {json.dumps({name: str(path) for name, path in paths.items()})}
found = {{"cwd": os.getcwd()}}
for name, path in paths.items():
    try:
        open(path).read()
        found["read " + name] = True
    except OSError:
        found["read " + name] = False
    if name in ("sibling", "data"):
        continue
    try:
        open(path, "a").close()
        found["write " + name] = True
    except OSError:
        found["write " + name] = False
print(json.dumps(found))
"""
    found = json.loads(await guest.run(code))
    folder = scope == "project"
    # what a sandbox shows around the scope is its own (bubblewrap: a private
    # folder tree): whether the server's root was written is asked of the disk
    found.pop("write parent")
    assert found == {
        "cwd": str(jp_root_dir / "project"),
        "read sibling": False,
        "read data": True,  # a single file's kernel sees its folder, read-only
        "read notebook": True,
        "write notebook": True,
        "read new": False,
        "write new": folder,
        "read parent": False,
    }, found
    assert not (jp_root_dir / "planted.txt").exists()
    assert (jp_root_dir / "project" / "new.txt").exists() is folder
