"""Real-time collaboration through share links, with read-only enforced inside RTC.

Clients here speak the Yjs sync protocol (pycrdt) over the document websocket of
jupyter-collaboration, as JupyterLab does, with authentication on.
"""

from __future__ import annotations

import asyncio
import json
import typing as t
import urllib.parse
from pathlib import Path

import nbformat
import pytest
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
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

pytestmark = pytest.mark.timeout(60)

ORIGINAL = "print('original')"
RAW = 2


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


@pytest.fixture
def jp_server_config(jp_server_config, jp_root_dir, jp_data_dir):
    return with_collaboration(jp_server_config, jp_root_dir, jp_data_dir)


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


async def until(condition: t.Callable[[], bool], timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


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


@pytest.fixture
def room_socket(jp_http_port, jp_base_url, jp_auth_header):
    """Open a room's websocket as the owner, or with the given headers. The room id
    goes into the URL as JupyterLab sends it (``:`` not escaped: an escaped id names
    another, transient room)."""

    async def _connect(room_id: str, session_id: str, headers: dict | None = None):
        url = f"ws://localhost:{jp_http_port}{jp_base_url}api/collaboration/room/{room_id}"
        request = HTTPRequest(
            f"{url}?{urllib.parse.urlencode({'sessionId': session_id})}",
            headers={**jp_auth_header, **(headers or {})},
        )
        return await websocket_connect(request)

    return _connect


@pytest.fixture
def rtc_open(fetch, room_socket, jp_root_dir):
    """Open ``path`` as a collaborator (the owner, or with the given headers);
    return a synced YClient."""
    clients: list[YClient] = []

    async def _open(path: str, headers: dict | None = None, wrap=lambda c: c) -> YClient:
        if not (jp_root_dir / path).exists():
            write_notebook(jp_root_dir, path)
        session = await fetch(
            "api",
            "collaboration",
            "session",
            path,
            method="PUT",
            body=json.dumps({"format": "json", "type": "notebook"}),
            headers=headers,
        )
        assert session.code in (200, 201), session.body
        model = session.json()
        room_id = f"json:notebook:{model['fileId']}"
        connection = await room_socket(room_id, model["sessionId"], headers)
        client = YClient(wrap(connection), room_id)
        clients.append(client)
        await client.sync()
        return client

    yield _open
    for client in clients:
        client.close()


@pytest.fixture
def room_source(jp_serverapp):
    """The first cell's source in the server's copy of a room's document."""

    async def _source(room_id: str) -> str:
        ydoc_app = next(iter(jp_serverapp.extension_manager.extension_apps["jupyter_server_ydoc"]))
        document = await ydoc_app.get_document(room_id=room_id, copy=True)
        return document.get_cell(0)["source"]

    return _source


def link_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


async def settle(seconds: float = 0.6) -> None:
    """Longer than the room's save delay and a few round trips."""
    await asyncio.sleep(seconds)


# -- the guard ---------------------------------------------------------------------------


async def test_the_document_socket_is_guarded(jp_serverapp):
    from capella_share import rtc

    classes = set()
    for rule in jp_serverapp.web_app.default_router.rules:
        for inner in getattr(rule.target, "rules", []):
            if isinstance(inner.target, type):
                classes.add(f"{inner.target.__module__}.{inner.target.__qualname__}")
    assert f"{rtc.__name__}.YDocWebSocketHandler" in classes
    assert "jupyter_server_ydoc.handlers.YDocWebSocketHandler" not in classes


@pytest.mark.parametrize("as_step2", [False, True], ids=["update", "sync-step2"])
async def test_a_view_guests_edits_reach_nobody(
    as_step2, rtc_open, make_link, room_source, jp_root_dir
):
    owner = await rtc_open("shared.ipynb")
    _, token = await make_link("view", label="Review team")
    guest = await rtc_open("shared.ipynb", link_headers(token))
    assert guest.source == ORIGINAL  # a view guest reads the document live

    await guest.type(" # by a view guest", as_step2=as_step2)
    await settle()
    assert await room_source(owner.room_id) == ORIGINAL
    assert owner.source == ORIGINAL
    assert saved_source(jp_root_dir, "shared.ipynb") == ORIGINAL
    # the guest itself still gets what others write
    await owner.type(" # by the owner")
    await until(lambda: "# by the owner" in guest.source)
    assert "view guest" not in await room_source(owner.room_id)


async def test_a_view_guest_cannot_save_through_the_socket(rtc_open, make_link):
    await rtc_open("shared.ipynb")
    _, token = await make_link("view")
    guest = await rtc_open("shared.ipynb", link_headers(token))
    reply = await guest.save(7)
    assert reply == {"type": "save", "responseTo": 7, "status": "failed"}


async def test_a_view_guests_awareness_still_flows(rtc_open, make_link):
    owner = await rtc_open("shared.ipynb")
    _, token = await make_link("view", label="Review team")
    guest = await rtc_open("shared.ipynb", link_headers(token))
    await guest.announce("Review team")
    await until(lambda: {"user": {"name": "Review team"}} in owner.peers.values())
    await owner.announce("Owner")
    await until(lambda: {"user": {"name": "Owner"}} in guest.peers.values())


@pytest.mark.parametrize("level", ["edit", "full"])
async def test_an_edit_guests_edits_reach_everyone(
    level, rtc_open, make_link, room_source, jp_root_dir
):
    owner = await rtc_open("shared.ipynb")
    _, token = await make_link(level)
    guest = await rtc_open("shared.ipynb", link_headers(token))

    await guest.type(" # by a guest")
    await until(lambda: owner.source == ORIGINAL + " # by a guest")
    assert await room_source(owner.room_id) == ORIGINAL + " # by a guest"
    await owner.type(" # and the owner")
    await until(lambda: guest.source == ORIGINAL + " # by a guest # and the owner")
    await until(lambda: saved_source(jp_root_dir, "shared.ipynb") == guest.source, timeout=10)
    assert (await guest.save(3))["status"] in ("success", "skipped")


# -- read-only project shares -------------------------------------------------------------


async def test_a_read_only_share_drops_even_the_owners_edits(
    rtc_open, make_share, shares_api, make_link, room_source, jp_root_dir, capella
):
    share = await make_share("Demo project", "Model A", "read-write")
    path = f"{share['path']}/model.ipynb"
    write_notebook(jp_root_dir, path)
    owner = await rtc_open(path)
    _, token = await make_link("edit")
    guest = await rtc_open(path, link_headers(token))

    # read-write: edits go through
    await owner.type(" # before")
    await until(lambda: guest.source == ORIGINAL + " # before")
    await until(lambda: saved_source(jp_root_dir, path) == ORIGINAL + " # before")

    # switched to read-only while both are connected: from the next message on
    response = await shares_api(
        "PATCH", share["project"], share["model"], body={"permission": "read-only"}
    )
    assert response.code == 200, response.body
    assert capella.shares.is_read_only(path)
    await owner.type(" # owner, read-only")
    await guest.type(" # guest, read-only")
    await settle()
    assert await room_source(owner.room_id) == ORIGINAL + " # before"
    assert guest.source == ORIGINAL + " # before # guest, read-only"  # its own, locally
    assert owner.source == ORIGINAL + " # before # owner, read-only"
    assert saved_source(jp_root_dir, path) == ORIGINAL + " # before"
    assert (await owner.save(9))["status"] == "failed"


async def test_a_fork_is_not_merged_into_a_read_only_document(
    rtc_open, make_share, fetch, room_source, jp_root_dir
):
    share = await make_share("Demo project", "Model B", "read-only")
    path = f"{share['path']}/model.ipynb"
    write_notebook(jp_root_dir, path)
    owner = await rtc_open(path)
    forked = await fetch(
        "api",
        "collaboration",
        "fork",
        owner.room_id,
        method="PUT",
        body=json.dumps({"synchronize": False}),
    )
    assert forked.code == 201, forked.body
    fork_id = forked.json()["fork_roomid"]
    merged = await fetch(
        "api", "collaboration", "fork", fork_id, method="DELETE", params={"merge": "true"}
    )
    assert merged.code == 403
    # deleting it without merging changes nothing and is allowed
    dropped = await fetch(
        "api", "collaboration", "fork", fork_id, method="DELETE", params={"merge": "false"}
    )
    assert dropped.code == 200


# -- names and revocation -----------------------------------------------------------------


async def test_a_guest_is_known_by_the_links_label_and_may_rename_itself(
    fetch, guest_login, make_link
):
    _, token = await make_link("edit", label="Review team")
    browser = await guest_login(token)
    me = (await fetch("api", "me", headers=browser)).json()["identity"]
    assert me["display_name"] == "Review team"
    xsrf = next(c.split("=", 1)[1] for c in browser["Cookie"].split("; ") if c.startswith("_xsrf="))
    renamed = await fetch(
        "api",
        "me",
        method="PATCH",
        body=json.dumps({"display_name": "Ada"}),
        headers={**browser, "X-XSRFToken": xsrf},
    )
    assert renamed.code == 200, renamed.body
    assert renamed.json()["identity"]["display_name"] == "Ada"


async def test_revoking_a_link_closes_its_rtc_sockets(rtc_open, make_link, fetch, capella):
    owner = await rtc_open("shared.ipynb")
    model, token = await make_link("edit")
    guest = await rtc_open("shared.ipynb", link_headers(token))
    assert capella.connections.open_count(model["id"]) == 1
    response = await fetch("api", "capella-share", "links", model["id"], method="DELETE")
    assert response.code == 204
    assert await guest.closed_by_server() == 4001
    # the owner stays
    await owner.type(" # still here")
    await settle(0.2)
    assert owner.connection.protocol is not None
