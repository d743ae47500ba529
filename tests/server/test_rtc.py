"""Real-time collaboration through share links, with read-only enforced inside RTC.

Clients here speak the Yjs sync protocol (pycrdt) over the document websocket of
jupyter-collaboration, as JupyterLab does, with authentication on.
"""

from __future__ import annotations

import json

import pytest
from helpers import (
    ORIGINAL,
    link_headers,
    saved_source,
    settle,
    until,
    with_collaboration,
    write_notebook,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def jp_server_config(jp_server_config, jp_root_dir, jp_data_dir):
    return with_collaboration(jp_server_config, jp_root_dir, jp_data_dir)


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
