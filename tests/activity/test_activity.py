"""Who did what through each link: the activity trail of a real server.

A view, an edit and a full guest each do what a guest does: arrive through the
link (a browser's login cookie, or the token in a header), read, download and
archive files, write, create, upload, rename, copy and delete them, edit a
notebook live (a Yjs client), start a kernel and run a cell through its
websocket, interrupt it, open and close a terminal, and are refused what their
link does not allow; the owner revokes a link. The owner's ``GET activity`` and
the trail's file must then hold every action once, in order, with its actor; a
guest's forged event on the event bus must not be among them; and no secret or
content may be in the trail.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import shutil
import urllib.parse
from pathlib import Path

import pytest
from helpers import (
    link_headers,
    saved_source,
    until,
    wait_closed,
    with_collaboration,
    write_notebook,
)

from capella_share.activity.trail import CURRENT, records_forwards
from capella_share.cli import main
from capella_share.events import ACTIVITY

pytestmark = pytest.mark.timeout(120)

#: Written into files, printed by kernels and terminals: never to be in the trail.
CONTENT = "CONTENT-7f3a9c-in-a-file"
OUTPUT = "OUTPUT-51bd02-of-a-kernel"
TYPED = "TYPED-c0ffee-in-a-terminal"
#: What a forged event carries.
FORGED = "FORGED-e1e1e1-event"


@pytest.fixture
def jp_server_config(jp_server_config, jp_root_dir, jp_data_dir, shipped):
    config = with_collaboration(jp_server_config, jp_root_dir, jp_data_dir)
    config["EventLogger"] = {"handlers": [shipped]}
    return config


class Shipped(logging.Handler):
    """A platform's event handler (as one that ships events to a SIEM): every
    event it was handed."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(dict(record.msg))  # type: ignore[call-overload]


@pytest.fixture
def shipped() -> Shipped:
    return Shipped()


def body(value: object) -> str:
    return json.dumps(value)


async def activity(fetch, **query: str) -> dict:
    response = await fetch("api", "capella-share", "activity", params=query)
    assert response.code == 200, response.body
    return response.json()


async def chronological(fetch, link: str | None = None) -> list[dict]:
    query = {"limit": "1000"}
    if link:
        query["link"] = link
    return list(reversed((await activity(fetch, **query))["records"]))


def summary(record: dict, *fields: str) -> tuple:
    return (record["action"], *(record.get(field) for field in fields))


@pytest.fixture
def browser(guest_login):
    """A browser that opened a link: the headers it sends, its _xsrf token added."""

    async def _login(token: str) -> dict[str, str]:
        headers = await guest_login(token)
        cookies = dict(part.split("=", 1) for part in headers["Cookie"].split("; "))
        headers["X-XSRFToken"] = urllib.parse.unquote(cookies.get("_xsrf", ""))
        return headers

    return _login


async def test_every_action_of_every_guest_is_in_the_trail_once_in_order(
    fetch,
    make_link,
    make_share,
    browser,
    ws_connect,
    rtc_open,
    kernel_client,
    terminal,
    capella,
    jp_root_dir,
    jp_serverapp,
    shipped,
):
    write_notebook(jp_root_dir, "shared.ipynb")
    (jp_root_dir / "data.csv").write_text(f"a,b\n{CONTENT},2\n")
    share = await make_share("Demo", "Model")
    (jp_root_dir / share["path"] / "notes.txt").write_text(CONTENT)
    owner_events = await ws_connect("api", "events", "subscribe")
    owner_room = await rtc_open("shared.ipynb")

    view, view_token = await make_link("view", label="Viewers")
    edit, edit_token = await make_link("edit", label="Editors")
    full, full_token = await make_link("full", label="Full team")

    # -- a view guest, in a browser -------------------------------------------------------
    viewer = await browser(view_token)
    view_events = await ws_connect("api", "events", "subscribe", headers=viewer)
    line = await ws_connect("api", "capella-share", "session", "ws", headers=viewer)
    assert (await fetch("api", "contents", "data.csv", headers=viewer)).code == 200
    assert (await fetch("files", "data.csv", headers=viewer)).code == 200
    archive = await fetch(
        "api", "capella-share", "shares", "demo", "model", "archive", headers=viewer
    )
    assert archive.code == 200
    view_room = await rtc_open("shared.ipynb", viewer)
    await view_room.type(" # by a view guest")  # dropped
    refused = await fetch(
        "api",
        "contents",
        "data.csv",
        method="PUT",
        headers=viewer,
        body=body({"type": "file", "format": "text", "content": "x"}),
    )
    assert refused.code == 403
    refused = await fetch("api", "kernels", method="POST", headers=viewer, body=body({}))
    assert refused.code == 403
    line.close()
    await until(lambda: all(link != view["id"] for link, _ in capella.activity._present))

    # -- an edit guest, a script with the link's token ----------------------------------------
    assert (await fetch("api", "contents", token=edit_token)).code == 200
    text = {"type": "file", "format": "text", "content": "a,b\n1,2\n"}
    assert (
        await fetch("api", "contents", "data.csv", method="PUT", body=body(text), token=edit_token)
    ).code == 200
    made = await fetch(
        "api",
        "contents",
        method="POST",
        body=body({"type": "file", "ext": ".txt"}),
        token=edit_token,
    )
    assert made.code == 201 and made.json()["path"] == "untitled.txt"
    upload = {"type": "file", "format": "base64", "content": base64.b64encode(b"\x00\x01").decode()}
    assert (
        await fetch(
            "api", "contents", "upload.bin", method="PUT", body=body(upload), token=edit_token
        )
    ).code == 201
    renamed = await fetch(
        "api",
        "contents",
        "untitled.txt",
        method="PATCH",
        body=body({"path": "renamed.txt"}),
        token=edit_token,
    )
    assert renamed.code == 200
    copied = await fetch(
        "api", "contents", method="POST", body=body({"copy_from": "renamed.txt"}), token=edit_token
    )
    assert copied.code == 201
    copy_path = copied.json()["path"]
    assert (
        await fetch("api", "contents", copy_path, method="DELETE", token=edit_token)
    ).code == 204
    edit_room = await rtc_open("shared.ipynb", link_headers(edit_token))
    await edit_room.type(" # by an edit guest")
    await until(lambda: saved_source(jp_root_dir, "shared.ipynb") == edit_room.source)
    await until(
        lambda: any(
            r["action"] == "file.save" and r.get("via") == "rtc" for r in capella.activity.latest()
        )
    )
    session = await fetch(
        "api",
        "sessions",
        method="POST",
        token=edit_token,
        body=body(
            {
                "path": "shared.ipynb",
                "name": "shared.ipynb",
                "type": "notebook",
                "kernel": {"name": "python3"},
            }
        ),
    )
    assert session.code == 201, session.body
    kernel_id = session.json()["kernel"]["id"]
    kernel = await kernel_client(kernel_id, token=edit_token)
    code = f"# a guest's cell\nprint('{OUTPUT[:10]}' + '{OUTPUT[10:]}')\n"
    assert OUTPUT in await kernel.run(code, metadata={"cellId": "c1"})
    assert (
        await fetch(
            "api", "kernels", kernel_id, "interrupt", method="POST", body="", token=edit_token
        )
    ).code == 204
    assert (await fetch("api", "terminals", method="POST", body="{}", token=edit_token)).code == 403

    # -- a full guest ---------------------------------------------------------------------------
    name, shell = await terminal(token=full_token)
    shell.send(f"echo {TYPED[:8]}''{TYPED[8:]}")
    await shell.expect(TYPED)
    forged = {
        "schema_id": ACTIVITY,
        "version": "1",
        "data": {
            "seq": 1,
            "at": "2025-01-01T00:00:00Z",
            "action": "file.open",
            "hash": "0" * 64,
            "path": FORGED,
        },
    }
    assert (
        await fetch("api", "events", method="POST", body=body(forged), token=full_token)
    ).code == 403
    assert (
        await fetch("api", "events", method="POST", body=body(forged))
    ).code == 403  # the owner's too
    trust = await fetch(
        "api", "contents", "shared.ipynb", "trust", method="POST", body="", token=full_token
    )
    assert trust.code == 403
    assert (await fetch("api", "terminals", name, method="DELETE", token=full_token)).code == 204

    # -- the owner ends the edit link -----------------------------------------------------------
    assert (await fetch("api", "capella-share", "links", edit["id"], method="DELETE")).code == 204
    await wait_closed(kernel.connection)

    # -- what the owner reads ----------------------------------------------------------------
    records = await chronological(fetch)
    seqs = [record["seq"] for record in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    viewer_user = _user(capella, view["id"], records)
    view_records = await chronological(fetch, view["id"])
    assert view_records == [r for r in records if r.get("link") == view["id"]]
    assert [summary(r, "path", "via") for r in view_records] == [
        ("link.create", None, None),
        ("guest.arrived", None, None),
        ("file.open", "data.csv", None),
        ("file.download", "data.csv", None),
        ("file.archive", None, None),
        ("file.open", "shared.ipynb", "rtc"),
        ("refused", "shared.ipynb", None),
        ("refused", None, None),
        ("refused", None, None),
        ("guest.left", None, None),
    ]
    create, arrived, *_, left = view_records
    assert (create["level"], create["permission"], create["label"]) == ("owner", "view", "Viewers")
    assert arrived["address"] == "127.0.0.1" and arrived["label"] == "Viewers"
    assert view_records[4]["share"] == "demo/model"
    assert view_records[6]["what"] == "edit shared.ipynb live"
    assert view_records[7]["what"].endswith("PUT /a@b/api/contents/data.csv")
    assert "view-only" in view_records[7]["reason"]
    assert view_records[8]["what"].endswith("POST /a@b/api/kernels")
    assert left["why"] == "closed"
    for record in view_records[1:]:
        assert (record["level"], record["name"], record["user"]) == ("view", "Viewers", viewer_user)

    edit_records = await chronological(fetch, edit["id"])
    assert [summary(r, "path", "to") for r in edit_records] == [
        ("link.create", None, None),
        ("guest.arrived", None, None),
        ("file.save", "data.csv", None),
        ("file.create", "untitled.txt", None),
        ("file.upload", "upload.bin", None),
        ("file.rename", "untitled.txt", "renamed.txt"),
        ("file.copy", "renamed.txt", copy_path),
        ("file.delete", copy_path, None),
        ("file.open", "shared.ipynb", None),
        ("file.save", "shared.ipynb", None),
        ("kernel.start", None, None),
        ("kernel.execute", None, None),
        ("kernel.interrupt", None, None),
        ("refused", None, None),
        ("link.end", None, None),
        ("guest.left", None, None),
    ]
    for record in edit_records[1:-2] + edit_records[-1:]:
        assert (record["level"], record["name"], record["user"]) == (
            "edit",
            "Editors",
            f"guest-{edit['id']}-api",
        )
    assert edit_records[3]["type"] == "file"
    rtc_save = edit_records[9]
    assert rtc_save["via"] == "rtc" and rtc_save["updates"] >= 1
    assert [r.get("kernel") for r in edit_records[10:13]] == [kernel_id] * 3
    assert edit_records[10]["kernel_name"] == "python3"
    execute = edit_records[11]
    assert execute["code_first_line"] == "# a guest's cell"
    import hashlib

    assert execute["code_sha256"] == hashlib.sha256(code.encode()).hexdigest()
    assert (execute["from"], execute["from_type"], execute["cell"]) == (
        "shared.ipynb",
        "notebook",
        "c1",
    )
    assert edit_records[13]["what"].endswith("POST /a@b/api/terminals")
    end = edit_records[14]
    assert (end["level"], end["by"], end["reason"]) == ("owner", "owner", "revoked")
    assert end["ended"]["sockets"] >= 2  # its document and kernel sockets
    assert end["ended"]["kernels_shut_down"] == [kernel_id]
    assert edit_records[15]["why"] == "revoked"

    full_records = await chronological(fetch, full["id"])
    assert [summary(r, "terminal") for r in full_records] == [
        ("link.create", None),
        ("guest.arrived", None),
        ("terminal.open", name),
        ("refused", None),
        ("refused", None),
        ("terminal.close", name),
    ]
    assert "emitted by the server only" in full_records[3]["reason"]
    assert full_records[4]["what"].endswith("/api/contents/shared.ipynb/trust")

    # the owner's own actions are there too, and nothing else happened
    owners = [
        summary(r, "share") for r in records if r.get("level") == "owner" and not r.get("link")
    ]
    assert owners == [("share.create", "demo/model")]
    linked = len(view_records) + len(edit_records) + len(full_records)
    assert len(records) == linked + 2  # trail.start, share.create

    # -- the file holds the same, intact -------------------------------------------------------
    folder = capella.activity.folder
    stored = list(records_forwards(folder))
    assert stored[-len(records) :] == records
    assert stored[0]["action"] == "trail.start"
    assert main(["activity", "--verify", "--dir", folder]) == 0

    # -- no forged record, no secret, no content ------------------------------------------------
    raw = b"".join(Path(path).read_bytes() for path in [f"{folder}/{CURRENT}"])
    assert FORGED.encode() not in raw
    secrets = [
        jp_serverapp.identity_provider.token,
        view_token,
        edit_token,
        full_token,
        *(part.split("=", 1)[1] for part in viewer["Cookie"].split("; ")),
        jp_serverapp.web_app.settings["cookie_secret"].hex()
        if isinstance(jp_serverapp.web_app.settings["cookie_secret"], bytes)
        else jp_serverapp.web_app.settings["cookie_secret"],
    ]
    for secret in secrets:
        assert secret and secret.encode() not in raw, secret
        assert urllib.parse.quote(secret).encode() not in raw
    for content in (CONTENT, OUTPUT, TYPED):
        assert content.encode() not in raw, content

    # -- the platform's event handler was handed every record, in order; no Lab's
    # -- event stream carried one (the owner's view asks the API) --------------------------
    stored = list(records_forwards(folder))
    carried = [event for event in shipped.events if event.get("__schema__") == ACTIVITY]
    assert [event["seq"] for event in carried] == [record["seq"] for record in stored]
    assert carried[-1]["hash"] == stored[-1]["hash"]
    assert all(FORGED not in json.dumps(event) for event in shipped.events)
    seen = await _drain(owner_events)
    assert seen, "the owner's event stream carried nothing at all"
    assert not [message for message in seen if message.get("schema_id") == ACTIVITY]
    assert all(FORGED not in json.dumps(message) for message in seen)
    guest_seen = await _drain(view_events)
    assert not [message for message in guest_seen if message.get("schema_id") == ACTIVITY]
    owner_room.close()
    view_room.close()


def _user(capella, link_id: str, records: list[dict] | None = None) -> str | None:
    """The user name of a link's browser guest."""
    for (link, user), _ in list(capella.activity._present.items()):
        if link == link_id:
            return user
    for record in records or []:
        if record.get("link") == link_id and record["action"] == "guest.arrived":
            return record["user"]
    return "-"


async def _drain(connection, wait: float = 0.5) -> list[dict]:
    """The messages a websocket has received, and those arriving within ``wait``
    (the bus keeps carrying other events: a document's file is polled)."""
    messages = []
    deadline = asyncio.get_running_loop().time() + wait
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        try:
            message = await asyncio.wait_for(connection.read_message(), left)
        except TimeoutError:
            break
        if message is None:
            break
        messages.append(json.loads(message))
    connection.close()
    return messages


async def test_the_trail_in_a_copy_reports_a_line_removed_or_edited(
    fetch, make_link, capella, tmp_path, capsys, jp_root_dir
):
    _, token = await make_link("view", label="Copy")
    for path in ("a.txt", "b.txt", "c.txt"):
        (jp_root_dir / path).write_text("x")
        assert (await fetch("api", "contents", path, token=token)).code == 200
    copy = tmp_path / "copy"
    shutil.copytree(capella.activity.folder, copy, ignore=shutil.ignore_patterns(".lock"))
    assert main(["activity", "--verify", "--dir", str(copy)]) == 0
    lines = (copy / CURRENT).read_text().splitlines()
    (copy / CURRENT).write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    assert main(["activity", "--verify", "--dir", str(copy)]) == 1
    assert "are missing" in capsys.readouterr().out
    assert '"b.txt"' in lines[4]
    lines[4] = lines[4].replace('"b.txt"', '"z.txt"')
    (copy / CURRENT).write_text("\n".join(lines) + "\n")
    assert main(["activity", "--verify", "--dir", str(copy)]) == 1
    assert "does not match its hash" in capsys.readouterr().out


async def test_a_secret_a_guest_types_is_cut_from_its_record(
    fetch, make_link, start_kernel, kernel_client, capella, jp_serverapp
):
    owner_token = jp_serverapp.identity_provider.token
    _, token = await make_link("edit", label="Careless")
    kernel_id = await start_kernel(token=token)
    kernel = await kernel_client(kernel_id, token=token)
    await kernel.run(f"secret = '{owner_token}'; link = '{token}'")
    trail = (await fetch("api", "capella-share", "activity", params={"limit": "1"})).json()
    (record,) = trail["records"]
    assert record["action"] == "kernel.execute"
    assert record["code_first_line"] == "secret = '[secret]'; link = '[secret]'"
    raw = Path(capella.activity.folder, CURRENT).read_bytes()
    assert owner_token.encode() not in raw and token.encode() not in raw
