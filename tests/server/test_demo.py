"""The demo keeps what its server knows of the workspace (project shares, file
ids, the live documents' history) beside the workspace, in one folder made and
removed with it: never in the folder the demo is started from. The live history
the demo left in the repository's root outlived the workspace and the file ids
it is keyed by (kept in the user's Jupyter folder); a room rebuilt from a
history its open clients do not share makes the screen and the file on disk
disagree (with the history gone between two runs, a guest's line was twice on
disk and once on the screen of the owner's Lab that stayed open). With the
history kept with its workspace, a restart keeps screen and disk in agreement."""

from __future__ import annotations

import asyncio
import shutil
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from helpers import REPO, YClient
from live_server import LiveServer
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

LINE = "# the guest's line"
#: what the demo's server runs: the Lab with live collaboration
EXTENSIONS = {
    "jupyterlab": True,
    "jupyter_server_ydoc": True,
    "jupyter_server_fileid": True,
    "jupyter_lsp": False,
    "notebook_shim": False,
    "jupyter_server_terminals": False,
}


def _demo_server(started_in: Path, state: Path, token: str) -> LiveServer:
    """The demo's server as scripts/demo starts it, from ``started_in``."""
    return LiveServer(
        started_in,
        token,
        app="jupyterlab",
        extensions=EXTENSIONS,
        args=[f"--config={REPO / 'scripts' / 'demo_config.py'}"],
        env={"CAPELLA_DEMO_STATE": str(state), "JUPYTER_DATA_DIR": str(state / "data")},
    )


async def _client(server: LiveServer, token: str, doc: YClient | None = None) -> YClient:
    """A collaborator on Welcome.ipynb; ``doc``: one that was open before, reconnecting
    with the document it holds (as the Lab's provider does)."""
    session = server.request(
        "PUT",
        "api/collaboration/session/Welcome.ipynb",
        token=token,
        json={"format": "json", "type": "notebook"},
    )
    assert session.status_code in (200, 201), session.text
    model = session.json()
    room = f"json:notebook:{model['fileId']}"
    query = urllib.parse.urlencode({"sessionId": model["sessionId"]})
    url = f"{server.base_url.replace('http', 'ws', 1)}/api/collaboration/room/{room}?{query}"
    connection = await websocket_connect(
        HTTPRequest(url, headers={"Authorization": f"token {token}"})
    )
    if doc is None:
        client = YClient(connection, room)
    else:
        doc.close()
        client = YClient(connection, room)
        client.doc.apply_update(doc.doc.get_update())
    await client.sync()
    return client


def _on_disk(server: LiveServer) -> str:
    return nbformat.reads((server.root / "Welcome.ipynb").read_text(), as_version=4).cells[0].source


@pytest.mark.timeout(240)
async def test_a_restart_keeps_screen_and_disk_in_agreement_and_the_start_folder_clean(
    tmp_path,
):
    started_in, state = tmp_path / "repo", tmp_path / "repo" / ".demo-state"
    (started_in / "root").mkdir(parents=True)
    shutil.copy(REPO / "demo" / "Welcome.ipynb", started_in / "root" / "Welcome.ipynb")
    first = _demo_server(started_in, state, "first-token")
    first.start()
    try:
        owner = await _client(first, "first-token")
        link = first.request(
            "POST", "api/capella-share/links", json={"permission": "edit", "expires_in": None}
        ).json()
        guest = await _client(first, link["token"])
        await guest.type("\n" + LINE)
        assert (await guest.save(1))["status"] == "success"
        await asyncio.sleep(1)
        assert _on_disk(first).count(LINE) == 1
        guest.close()
    finally:
        first.stop()
    # nothing of the server's was left where the demo was started
    assert sorted(p.name for p in started_in.glob(".jupyter*")) == []
    assert (state / "ystore.db").is_file()

    # the demo restarts (a new token); the owner's Lab, still open, reconnects
    second = _demo_server(started_in, state, "second-token")
    second.start()
    try:
        owner = await _client(second, "second-token", doc=owner)
        await asyncio.sleep(1.5)
        fresh = await _client(second, "second-token")
        assert owner.source == fresh.source
        assert owner.source.count(LINE) == 1
        assert _on_disk(second) == owner.source
        owner.close()
        fresh.close()
    finally:
        second.stop()
