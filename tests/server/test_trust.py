"""What a guest writes is never trusted for anyone else: not by saving, not by
asking, not by changing a live document.

A trusted notebook's HTML and JavaScript outputs run in the Lab's origin, where
the owner's credentials are: a guest's trusted output would run its script as the
owner. The browser side of this is tested in ui-tests/tests/trust.spec.ts.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nbformat
import pytest
from helpers import link_headers, settle, until, with_collaboration
from jupyter_ydoc import YNotebook
from pycrdt import Array, Doc, Map, create_update_message

#: What a guest's output would run in the owner's browser.
SCRIPT = '<img src="x" onerror="window.capellaTaken = 1">'
MARKER = "capellaTaken"


def trusted_notebook(source: str = "1 + 1") -> dict:
    """A notebook whose one code cell says it is trusted and holds an HTML output."""
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "c1",
                "metadata": {"trusted": True},
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {"text/html": SCRIPT, "text/plain": "x"},
                        "metadata": {},
                    }
                ],
                "source": source,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture
def jp_server_config(jp_server_config, jp_root_dir, jp_data_dir):
    return with_collaboration(jp_server_config, jp_root_dir, jp_data_dir)


@pytest.fixture
def signed(jp_serverapp, jp_root_dir):
    """Whether the notebook at ``path`` is signed (its outputs trusted when opened)."""

    def _signed(path: str) -> bool:
        notebook = nbformat.read(jp_root_dir / path, as_version=4)
        return bool(jp_serverapp.contents_manager.notary.check_signature(notebook))

    return _signed


async def put_notebook(fetch, path: str, content: dict, token: str | None = None):
    body = json.dumps({"type": "notebook", "format": "json", "content": content})
    return await fetch("api", "contents", path, method="PUT", body=body, token=token)


async def owner_sees_trusted(fetch, path: str) -> list[bool]:
    """What the owner's Lab is told of each cell's trust when it opens ``path``."""
    model = (await fetch("api", "contents", path, params={"content": "1"})).json()
    return [bool(cell["metadata"].get("trusted")) for cell in model["content"]["cells"]]


# -- saving and asking ----------------------------------------------------------------------


async def test_the_owners_trusted_notebook_is_signed(fetch, signed):
    # the other tests' counterpart: what the owner saves trusted stays trusted
    assert (await put_notebook(fetch, "own.ipynb", trusted_notebook())).code == 201
    assert signed("own.ipynb")
    assert await owner_sees_trusted(fetch, "own.ipynb") == [True]


@pytest.mark.parametrize("level", ["edit", "full"])
async def test_a_notebook_a_guest_saves_is_stored_unsigned(level, fetch, make_link, signed):
    _, token = await make_link(level)
    saved = await put_notebook(fetch, "guest.ipynb", trusted_notebook(), token=token)
    assert saved.code == 201, saved.body
    assert not signed("guest.ipynb")
    assert await owner_sees_trusted(fetch, "guest.ipynb") == [False]

    # saved again, copied, renamed by the guest: still not trusted anywhere
    assert (
        await put_notebook(fetch, "guest.ipynb", trusted_notebook("2"), token=token)
    ).code == 200
    copy = await fetch(
        "api",
        "contents",
        method="POST",
        body=json.dumps({"copy_from": "guest.ipynb"}),
        token=token,
    )
    assert copy.code == 201, copy.body
    copied = copy.json()["path"]
    renamed = await fetch(
        "api",
        "contents",
        copied,
        method="PATCH",
        body=json.dumps({"path": "moved.ipynb"}),
        token=token,
    )
    assert renamed.code == 200, renamed.body
    for path in ("guest.ipynb", "moved.ipynb"):
        assert not signed(path)
        assert await owner_sees_trusted(fetch, path) == [False]


async def test_a_notebook_a_guest_uploads_as_text_is_not_trusted(fetch, make_link, signed):
    _, token = await make_link("edit")
    body = json.dumps({"type": "file", "format": "text", "content": json.dumps(trusted_notebook())})
    upload = await fetch("api", "contents", "up.ipynb", method="PUT", body=body, token=token)
    assert upload.code == 201, upload.body
    assert not signed("up.ipynb")
    assert await owner_sees_trusted(fetch, "up.ipynb") == [False]


@pytest.mark.parametrize("level", ["view", "edit", "full"])
async def test_no_guest_may_trust_a_notebook(level, fetch, make_link, signed, jp_root_dir):
    (jp_root_dir / "t.ipynb").write_text(json.dumps(trusted_notebook()))
    assert not signed("t.ipynb")
    _, token = await make_link(level)
    refused = await fetch(
        "api", "contents", "t.ipynb", "trust", method="POST", body=b"", token=token
    )
    assert refused.code == 403
    assert "trust" in refused.json()["message"]
    assert not signed("t.ipynb")
    # the owner still may, deliberately
    assert (await fetch("api", "contents", "t.ipynb", "trust", method="POST", body=b"")).code == 201
    assert signed("t.ipynb")


async def test_a_guest_cannot_trust_through_the_contents_manager(
    jp_serverapp, make_link, capella, jp_root_dir
):
    """The contents manager itself refuses (another extension may call it)."""
    from tornado.web import HTTPError

    from capella_share.policy import Level, Principal
    from capella_share.principal import acting_as

    (jp_root_dir / "t.ipynb").write_text(json.dumps(trusted_notebook()))
    model, _ = await make_link("full")
    guest = Principal(Level.FULL, "guest", model["id"])
    with acting_as(guest), pytest.raises(HTTPError) as refused:
        await jp_serverapp.contents_manager.trust_notebook("t.ipynb")
    assert refused.value.status_code == 403


# -- the live document ------------------------------------------------------------------------


class Watcher:
    """Records, after every change the owner's client applies, whether any cell
    that holds the guest's script is trusted there, and every change made to the
    outputs of a cell the owner's client holds as trusted."""

    def __init__(self, client):
        self.client = client
        self.breaches: list[str] = []
        self._cells = client.doc.get("cells", type=Array)
        self._cells.observe_deep(self._changed)

    def _changed(self, events) -> None:
        for event in events:
            path = list(event.path)
            if len(path) >= 2 and path[1] == "outputs":
                cell = self._cells[path[0]]
                if bool(cell["metadata"].get("trusted")) and MARKER in json.dumps(cell.to_py()):
                    self.breaches.append(f"outputs of trusted cell {path[0]} changed to the script")
        for index, cell in enumerate(self._cells):
            value = cell.to_py()
            if MARKER in json.dumps(value) and value.get("metadata", {}).get("trusted"):
                self.breaches.append(f"cell {index} holds the script and is trusted")


def notebook_on_disk(root: Path, path: str, content: dict) -> None:
    (root / path).write_text(json.dumps(content))


async def send(guest, change) -> None:
    """Make ``change`` to the guest's copy of the document and send it."""
    before = guest.doc.get_state()
    with guest.doc.transaction():
        change(guest)
    update = guest.doc.get_update(before)
    await guest.connection.write_message(create_update_message(update), binary=True)


def html_output() -> Map:
    return Map({"output_type": "display_data", "data": {"text/html": SCRIPT}, "metadata": {}})


def cell_with_script(guest, trusted: bool = True) -> Map:
    return guest.notebook.create_ycell(
        {
            "cell_type": "code",
            "id": "planted",
            "source": "",
            "metadata": {"trusted": trusted},
            "outputs": [
                {"output_type": "display_data", "data": {"text/html": SCRIPT}, "metadata": {}}
            ],
        }
    )


async def together(rtc_open, make_link, fetch):
    """The owner's client and an edit guest's on one notebook, which the owner
    had saved trusted (signed)."""
    content = trusted_notebook()
    content["cells"][0]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": "owner's output\n"}
    ]
    assert (await put_notebook(fetch, "nb.ipynb", content)).code == 201
    owner = await rtc_open("nb.ipynb")
    _, token = await make_link("edit", label="Review team")
    guest = await rtc_open("nb.ipynb", link_headers(token))
    return owner, guest


async def test_a_cell_a_guest_inserts_is_untrusted_for_everyone(
    rtc_open, make_link, fetch, signed, room_cells
):
    owner, guest = await together(rtc_open, make_link, fetch)
    watcher = Watcher(owner)
    await send(guest, lambda g: g.notebook.ycells.append(cell_with_script(g)))
    await until(lambda: owner.notebook.cell_number == 2)
    await settle()
    assert watcher.breaches == []
    planted = owner.notebook.get_cell(1)
    assert planted["outputs"][0]["data"]["text/html"] == SCRIPT  # the guest's cell arrived
    assert planted["metadata"]["trusted"] is False
    assert (await room_cells(owner.room_id))[1]["metadata"]["trusted"] is False
    # and the guest's own copy is told so too
    await until(lambda: guest.notebook.get_cell(1)["metadata"].get("trusted") is False)
    await until(lambda: not signed("nb.ipynb"))


async def test_a_guests_trust_mark_on_a_cell_is_undone(rtc_open, make_link, fetch):
    owner, guest = await together(rtc_open, make_link, fetch)

    def plant_untrusted(g):
        g.notebook.ycells.append(cell_with_script(g, trusted=False))

    await send(guest, plant_untrusted)
    await until(lambda: owner.notebook.cell_number == 2)
    watcher = Watcher(owner)
    await send(guest, lambda g: g.notebook.ycells[1]["metadata"].__setitem__("trusted", True))
    await settle()
    assert watcher.breaches == []
    assert owner.notebook.get_cell(1)["metadata"]["trusted"] is False


async def test_a_trusted_cell_whose_outputs_a_guest_changes_is_replaced_untrusted(
    rtc_open, make_link, fetch, signed
):
    owner, guest = await together(rtc_open, make_link, fetch)
    assert owner.notebook.get_cell(0)["metadata"]["trusted"] is True  # the owner's, signed
    watcher = Watcher(owner)
    await send(guest, lambda g: g.notebook.ycells[0]["outputs"].append(html_output()))
    await until(lambda: MARKER in json.dumps(owner.notebook.get_cell(0)))
    await settle()
    assert watcher.breaches == []
    cell = owner.notebook.get_cell(0)
    assert cell["metadata"]["trusted"] is False
    assert cell["id"] == "c1" and cell["source"] == "1 + 1"  # the same cell, anew
    assert cell["outputs"][0].get("text") == "owner's output\n"
    await until(lambda: not signed("nb.ipynb"))


async def test_a_guests_source_edits_leave_the_owners_outputs_trusted(rtc_open, make_link, fetch):
    owner, guest = await together(rtc_open, make_link, fetch)
    await guest.type(" + 2")
    await until(lambda: owner.source == "1 + 1 + 2")
    await settle()
    assert owner.notebook.get_cell(0)["metadata"]["trusted"] is True


async def test_a_guest_update_waiting_for_the_owners_next_change_is_dropped(
    rtc_open, make_link, fetch, room_cells
):
    """An update built on a change the owner has not made yet would wait in the
    room and be applied, unseen, within the owner's own change: it is dropped.

    The guest forges the owner's next change (the owner's client id and next
    clock are in the document; Yjs takes a struct's id for its content) and sends
    only what it built on top: an output right after the owner's next output,
    inside the owner's trusted cell."""
    owner, guest = await together(rtc_open, make_link, fetch)
    watcher = Watcher(owner)
    forged = Doc(client_id=owner.doc.client_id)
    forged.apply_update(owner.doc.get_update())
    forged_notebook = YNotebook(forged)
    forged_notebook.ycells[0]["outputs"].append(Map({"output_type": "stream", "text": "?"}))
    guest.doc.apply_update(forged.get_update(guest.doc.get_state()))
    after_forgery = guest.doc.get_state()
    guest.notebook.ycells[0]["outputs"].append(html_output())
    built_on_it = guest.doc.get_update(after_forgery)
    await guest.connection.write_message(create_update_message(built_on_it), binary=True)
    await settle(0.3)

    # the owner's kernel really gives the cell its next output
    before = owner.doc.get_state()
    owner.notebook.ycells[0]["outputs"].append(
        Map({"output_type": "stream", "name": "stdout", "text": "2\n"})
    )
    update = owner.doc.get_update(before)
    await owner.connection.write_message(create_update_message(update), binary=True)
    await settle()
    assert watcher.breaches == []
    cells = await room_cells(owner.room_id)
    assert MARKER not in json.dumps(cells), "the update built on the forgery reached the room"


async def test_a_guest_may_not_use_forks_or_timelines(rtc_open, make_link, fetch):
    owner, _ = await together(rtc_open, make_link, fetch)
    for level in ("view", "edit", "full"):
        _, token = await make_link(level)
        headers = link_headers(token)
        fork = await fetch(
            "api",
            "collaboration",
            "fork",
            owner.room_id,
            method="PUT",
            body=json.dumps({"synchronize": True}),
            headers=headers,
        )
        assert fork.code == 403, (level, fork.body)
        timeline = await fetch(
            "api",
            "collaboration",
            "timeline",
            "nb.ipynb",
            params={"format": "json", "type": "notebook"},
            headers=headers,
        )
        assert timeline.code == 403, (level, timeline.body)
    # the owner still may
    fork = await fetch(
        "api", "collaboration", "fork", owner.room_id, method="PUT", body=json.dumps({})
    )
    assert fork.code == 201


async def test_the_owners_live_edits_keep_the_notebook_signed(rtc_open, fetch, signed, jp_root_dir):
    assert (await put_notebook(fetch, "mine.ipynb", trusted_notebook())).code == 201
    owner = await rtc_open("mine.ipynb")
    await owner.type(" + 2")
    await until(lambda: owner.source == "1 + 1 + 2")
    # saved by the room with the owner's change, signed as before
    await until(lambda: "1 + 1 + 2" in (jp_root_dir / "mine.ipynb").read_text())
    await asyncio.sleep(0.3)
    assert signed("mine.ipynb")


async def test_the_owner_is_told_which_guests_wrote_a_notebook_untrusted(
    rtc_open, make_link, fetch
):
    async def untrusted(path: str, token: str | None = None):
        return await fetch("api", "capella-share", "untrusted", params={"path": path}, token=token)

    _, token = await make_link("edit", label="Report writers")
    assert (await put_notebook(fetch, "by-api.ipynb", trusted_notebook(), token=token)).code == 201
    told = (await untrusted("by-api.ipynb")).json()
    assert [(w["label"], bool(w["at"])) for w in told["writes"]] == [("Report writers", True)]
    assert (await untrusted("by-api.ipynb", token=token)).code == 403  # the owner's to know

    owner, guest = await together(rtc_open, make_link, fetch)
    assert (await untrusted("nb.ipynb")).json()["writes"] == []
    await send(guest, lambda g: g.notebook.ycells.append(cell_with_script(g)))
    await until(lambda: owner.notebook.cell_number == 2)
    live = (await untrusted("nb.ipynb")).json()["writes"]
    assert [w["label"] for w in live][:1] == ["Review team"]
    assert (await untrusted("../outside.ipynb")).code == 400
