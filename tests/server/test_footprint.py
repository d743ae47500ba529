"""What a guest leaves behind: nothing it does grows the server's memory or disk
without a bound, and nothing it asks makes the server reach outside.

Measured on a real server in a subprocess (its resident memory, its data
folder's size), with jupyter-collaboration on, as a view guest would act.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from pathlib import Path

import pytest
import requests
from helpers import until
from live_server import LiveServer
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

pytestmark = pytest.mark.timeout(300)

MiB = 1024 * 1024


def resident(pid: int) -> int:
    """A process's resident memory, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """jupyter lab with collaboration, a 512 KiB text file in its root."""
    live = LiveServer(
        tmp_path_factory.mktemp("footprint"),
        app="jupyterlab",
        extensions={},
        args=["--YDocExtension.document_save_delay=0.5"],
    )
    line = "x" * 63 + "\n"
    (live.root / "big.txt").write_text(line * (512 * 1024 // 64))
    live.start()
    try:
        yield live
    finally:
        live.stop()


def view_guest(server: LiveServer) -> str:
    made = server.request("POST", "api/capella-share/links", json={"permission": "view"})
    assert made.status_code == 201, made.text
    return made.json()["token"]


async def open_room(server: LiveServer, path: str):
    """Open ``path``'s room as the owner (as the Lab does when it opens a file)."""
    session = server.request(
        "PUT", f"api/collaboration/session/{path}", json={"format": "text", "type": "file"}
    )
    assert session.status_code in (200, 201), session.text
    model = session.json()
    room = f"text:file:{model['fileId']}"
    url = f"ws://127.0.0.1:{server.port}/api/collaboration/room/{room}?" + urllib.parse.urlencode(
        {"sessionId": model["sessionId"]}
    )
    connection = await websocket_connect(HTTPRequest(url, headers=server.headers()))
    await connection.read_message()  # the room's first sync message: it is up
    return connection


async def test_a_view_guests_timeline_requests_keep_nothing(server, report):
    connection = await open_room(server, "big.txt")
    try:
        token = view_guest(server)
        timeline = "api/collaboration/timeline/big.txt?format=text&type=file"
        pid = server.process.pid

        # the room keeps its document's history once its store has written it
        # (at once on newer jupyter-collaboration, a moment later on older ones,
        # which answer 500 until then)
        await until(lambda: server.request("GET", timeline).status_code == 200, timeout=20)
        # what each fork the owner asks for costs, measured the same way
        before = resident(pid)
        for _ in range(20):
            assert server.request("GET", timeline).status_code == 200
        owner_growth = resident(pid) - before

        before = resident(pid)
        codes = {server.request("GET", timeline, token=token).status_code for _ in range(300)}
        guest_growth = resident(pid) - before
    finally:
        connection.close()
    report(
        "what a view guest leaves behind",
        f"300 timeline requests as a view guest: {codes}, memory {guest_growth / MiB:+.1f} MiB "
        f"(20 by the owner, who may: {owner_growth / MiB:+.1f} MiB)",
    )
    assert codes == {403}
    assert owner_growth > 5 * MiB, "the measurement does not see a fork's memory"
    assert guest_growth < 8 * MiB


async def test_a_view_guest_indexes_only_real_files(server, report):
    token = view_guest(server)
    data = server.workdir / "data"
    body = json.dumps({"format": "text", "type": "file"})
    junk = ["../outside.txt", "missing.txt", "n" * 200 + "/" + "m" * 200, "a" * 8000, ".hidden"]
    (server.root / ".hidden").write_text("secret")
    pid = server.process.pid
    before_disk, before_memory = folder_size(data), resident(pid)
    codes: dict[int, int] = {}
    for i in range(400):
        path = f"{junk[i % len(junk)]}{i}" if i % len(junk) != 4 else junk[4]
        answer = server.request(
            "PUT", f"api/collaboration/session/{urllib.parse.quote(path)}", data=body, token=token
        )
        codes[answer.status_code] = codes.get(answer.status_code, 0) + 1
    disk, memory = folder_size(data) - before_disk, resident(pid) - before_memory
    report(
        "what a view guest leaves behind",
        f"400 document-session requests for paths that are no file, as a view guest: {codes}, "
        f"data folder {disk / 1024:+.0f} KiB, memory {memory / MiB:+.1f} MiB",
    )
    assert set(codes) <= {400, 404, 405}, codes
    assert disk < 64 * 1024
    # a real file still opens for the guest
    real = server.request("PUT", "api/collaboration/session/big.txt", data=body, token=token)
    assert real.status_code in (200, 201), real.text


class PackageIndex(http.server.BaseHTTPRequestHandler):
    """A stand-in for PyPI on 127.0.0.1 that records what it is asked."""

    asked: list[str] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(404)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def package_index():
    index = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PackageIndex)
    thread = threading.Thread(target=index.serve_forever, daemon=True)
    thread.start()
    PackageIndex.asked = []
    try:
        yield f"http://127.0.0.1:{index.server_address[1]}/pypi", PackageIndex.asked
    finally:
        index.shutdown()
        index.server_close()


@pytest.fixture
def jp_server_config(jp_server_config, package_index):
    url, _ = package_index
    return {**jp_server_config, "PyPIExtensionManager": {"base_url": url}}


@pytest.mark.parametrize("level", ["view", "edit", "full"])
async def test_no_guest_makes_the_server_fetch_from_the_package_index(
    level, fetch, make_link, package_index
):
    _, asked = package_index
    _, token = await make_link(level)
    for query in ({"refresh": "1"}, {"refresh": "1", "query": "capella"}, {}):
        refused = await fetch("lab", "api", "extensions", params=query, token=token)
        assert refused.code == 403, refused.body
    assert asked == []
    # the owner's refresh does reach it: the stand-in would have seen a guest's
    await fetch("lab", "api", "extensions", params={"refresh": "1", "query": "capella"})
    await until(lambda: asked != [], timeout=30)


def test_a_guests_lab_offers_no_extension_manager(server):
    token = view_guest(server)
    page = requests.get(f"{server.base_url}/lab", params={"token": token}, timeout=30)
    assert page.status_code == 200
    config = json.loads(
        page.text.split('id="jupyter-config-data" type="application/json">', 1)[1].split(
            "</script>", 1
        )[0]
    )
    assert "@jupyterlab/extensionmanager-extension:plugin" in config["disabledExtensions"]
    owner = requests.get(f"{server.base_url}/lab", headers=server.headers(), timeout=30)
    assert "@jupyterlab/extensionmanager-extension:plugin" not in owner.text
