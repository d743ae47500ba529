"""The activity trail's API and its guarantees on a real server: pages, filters
and the CSV download for the owner only, bad queries answered 400, a trail that
cannot be written refusing guests until it can, a guest's refusals kept from
flooding it, its folder out of guests' reach, departures by logging out or by a
link's expiry, and a server that records nothing when told so."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
from helpers import until

from capella_share.activity import manager
from capella_share.activity.manager import ActivityTrail
from capella_share.activity.trail import records_forwards, verify
from capella_share.events import ACTIVITY
from capella_share.links import LinkManager

pytestmark = pytest.mark.timeout(60)


async def activity(fetch, **query: str):
    return await fetch("api", "capella-share", "activity", params=query)


async def reads(fetch, token: str, jp_root_dir, count: int, prefix: str = "f") -> list[str]:
    paths = []
    for number in range(count):
        path = f"{prefix}{number}.txt"
        (jp_root_dir / path).write_text("x")
        assert (await fetch("api", "contents", path, token=token)).code == 200
        paths.append(path)
    return paths


async def test_pages_filters_and_the_csv_download(fetch, make_link, jp_root_dir):
    first, first_token = await make_link("view", label="=HYPERLINK(1)")
    second, second_token = await make_link("edit", label="Second")
    await reads(fetch, first_token, jp_root_dir, 12, "a")
    await reads(fetch, second_token, jp_root_dir, 3, "b")

    page = (await activity(fetch, link=first["id"], limit="5")).json()
    assert [r["path"] for r in page["records"]] == [f"a{n}.txt" for n in (11, 10, 9, 8, 7)]
    assert page["recording"] is True and page["problem"] is None
    older = (await activity(fetch, link=first["id"], limit="5", before=str(page["next"]))).json()
    assert [r["path"] for r in older["records"]] == [f"a{n}.txt" for n in (6, 5, 4, 3, 2)]
    last = (await activity(fetch, link=first["id"], limit="5", before=str(older["next"]))).json()
    assert [r["action"] for r in last["records"]] == [
        "file.open",
        "file.open",
        "guest.arrived",
        "link.create",
    ]
    assert last["next"] is None

    # what a view that follows the trail asks for: what came after the newest it shows
    newest = page["records"][0]["seq"]
    await reads(fetch, first_token, jp_root_dir, 2, "c")
    after = (await activity(fetch, link=first["id"], after=str(newest))).json()
    assert [r["path"] for r in after["records"]] == ["c1.txt", "c0.txt"]
    assert after["next"] is None and all(r["seq"] > newest for r in after["records"])
    capped = (await activity(fetch, after=str(newest), limit="1")).json()
    assert [r["path"] for r in capped["records"]] == ["c1.txt"] and capped["next"] is None
    latest = after["records"][0]["seq"]
    assert (await activity(fetch, link=first["id"], after=str(latest))).json()["records"] == []

    everything = (await activity(fetch, limit="1000")).json()["records"]
    cut = everything[2]["at"]
    since = (await activity(fetch, since=cut, limit="1000")).json()["records"]
    assert since == [r for r in everything if r["at"] >= cut]
    assert {r.get("link") for r in since} <= {first["id"], second["id"]}

    download = await activity(fetch, link=first["id"], format="csv")
    assert download.code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert f"capella-share-activity-{first['id']}.csv" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.body.decode())))
    assert rows[0] == [
        "seq",
        "at",
        "action",
        "level",
        "link",
        "user",
        "name",
        "path",
        "to",
        "details",
    ]
    assert [row[2] for row in rows[1:3]] == ["link.create", "guest.arrived"]
    assert len(rows) == 1 + 2 + 14
    # a guest's name is never a formula for the spreadsheet that opens the file
    assert rows[2][6] == "'=HYPERLINK(1)"
    assert json.loads(rows[1][9])["label"] == "=HYPERLINK(1)"


@pytest.mark.parametrize(
    "query",
    [
        {"link": "nope"},
        {"link": "ABCDEF012345"},
        {"since": "yesterday"},
        {"since": "0001-01-01T00:00:00+05:00"},
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "-1"},
        {"limit": "\uff11\uff10"},  # digits, but not ASCII ones
        {"before": "x"},
        {"after": "-1"},
        {"after": "1.5"},
        {"format": "xml"},
    ],
)
async def test_a_bad_query_is_a_400_that_says_why(fetch, query):
    response = await activity(fetch, **query)
    assert response.code == 400, response.body
    assert next(iter(query)) in response.json()["message"]


async def test_only_the_owner_reads_the_trail(fetch, make_link):
    for level in ("view", "edit", "full"):
        _, token = await make_link(level)
        refused = await fetch("api", "capella-share", "activity", token=token)
        assert refused.code == 403
        refused = await fetch(
            "api", "capella-share", "activity", params={"format": "csv"}, token=token
        )
        assert refused.code == 403


async def test_guests_are_refused_while_the_trail_cannot_be_written(
    fetch, make_link, capella, jp_root_dir, monkeypatch
):
    monkeypatch.setattr(manager, "RETRY_SECONDS", 0.2)
    link, token = await make_link("view", label="Disk")
    (jp_root_dir / "a.txt").write_text("x")
    writer = capella.activity.writer
    append = writer.append

    def full_disk(record):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "append", full_disk)
    # this request came in before the trail failed on its arrival; the next do not
    await fetch("api", "contents", "a.txt", token=token)
    assert (await fetch("api", "contents", "a.txt", token=token)).code == 403
    made = await fetch("api", "capella-share", "links", method="POST", body="{}")
    assert made.code == 403
    assert "activity trail cannot be written" in made.json()["message"]
    page = (await activity(fetch)).json()
    assert "No space left" in page["problem"]

    monkeypatch.setattr(writer, "append", append)  # room again
    await until(lambda: not capella.activity.problem)
    assert (await fetch("api", "contents", "a.txt", token=token)).code == 200
    actions = [
        r["action"]
        for r in records_forwards(capella.activity.folder)
        if r.get("link") == link["id"]
    ]
    assert actions == ["link.create", "guest.arrived", "file.open", "file.open"]
    assert verify(capella.activity.folder).intact


async def test_a_guests_refusals_cannot_flood_the_trail(fetch, make_link, capella):
    capella.activity.refusals_per_minute = 3
    link, token = await make_link("view")
    for _ in range(5):
        assert (await fetch("api", "kernels", method="POST", body="{}", token=token)).code == 403
    refusals = [
        r
        for r in (await activity(fetch, link=link["id"])).json()["records"]
        if r["action"] == "refused"
    ]
    assert len(refusals) == 3
    # a minute later: the ones not recorded are counted, then they are recorded again
    for window in capella.activity._refusals.values():
        window.since -= 61
    assert (await fetch("api", "kernels", method="POST", body="{}", token=token)).code == 403
    latest = (await activity(fetch, link=link["id"], limit="2")).json()["records"]
    assert latest[1]["suppressed"] == 2
    assert latest[0]["what"].endswith("/api/kernels")


@pytest.fixture
def trail_in_root(jp_server_config, jp_root_dir):
    jp_server_config["CapellaShareApp"] = {"activity_dir": str(jp_root_dir / ".trail")}
    jp_server_config["ContentsManager"] = {"allow_hidden": True}
    return jp_server_config


async def test_no_guest_reaches_the_trails_folder(
    trail_in_root, fetch, make_link, capella, jp_root_dir
):
    assert capella.activity.folder.startswith(str(jp_root_dir / ".trail"))
    _, token = await make_link("full")
    path = ".trail/server/activity.jsonl"
    assert (await fetch("api", "contents", path)).code == 200  # the owner's own folder
    for method, body in (
        ("GET", None),
        ("PUT", json.dumps({"type": "file", "format": "text", "content": ""})),
        ("DELETE", None),
    ):
        refused = await fetch("api", "contents", path, method=method, body=body, token=token)
        assert refused.code == 404, (method, refused.body)
    moved = await fetch(
        "api", "contents", ".trail", method="PATCH", body=json.dumps({"path": "mine"}), token=token
    )
    assert moved.code == 404
    assert (await fetch("files", path, token=token)).code == 404
    assert (await fetch("files", path)).code == 200
    assert verify(capella.activity.folder).intact


async def test_guests_leave_by_logging_out_or_when_their_link_expires(
    fetch, make_link, guest_login, ws_connect, capella
):
    link, token = await make_link("view", label="Leaving")
    browser = await guest_login(token)
    await fetch("logout", headers=browser)
    short, short_token = await make_link("edit", expires_in=1, label="Short")
    assert (await fetch("api", "contents", token=short_token)).code == 200
    await until(
        lambda: any(
            r["action"] == "link.end" and r["link"] == short["id"]
            for r in capella.activity.latest()
        ),
        timeout=5,
    )
    mine = [
        (r["action"], r.get("why"))
        for r in (await activity(fetch, link=link["id"])).json()["records"]
    ]
    assert mine[:2] == [("guest.left", "logged-out"), ("guest.arrived", None)]
    ended = [r for r in (await activity(fetch, link=short["id"])).json()["records"]]
    assert [(r["action"], r.get("reason") or r.get("why")) for r in ended[:2]] == [
        ("guest.left", "expired"),
        ("link.end", "expired"),
    ]
    assert "level" not in ended[1]  # nobody ended it: it expired


def test_a_second_server_on_the_same_folder_takes_another(tmp_path, jp_asyncio_loop):
    first = ActivityTrail(str(tmp_path), LinkManager())
    second = ActivityTrail(str(tmp_path), LinkManager())
    first.open()
    second.open()
    try:
        assert first.folder == str(tmp_path / "server")
        assert second.folder == str(tmp_path / "server-2")
        assert not first.problem and not second.problem
    finally:
        first.close()
        second.close()


@pytest.fixture
def unwritable(jp_server_config, tmp_path):
    (tmp_path / "a-file").write_text("")
    jp_server_config["CapellaShareApp"] = {"activity_dir": str(tmp_path / "a-file" / "activity")}
    return jp_server_config


async def test_a_trail_that_cannot_be_made_keeps_guests_out(unwritable, fetch, capella):
    made = await fetch("api", "capella-share", "links", method="POST", body="{}")
    assert made.code == 403
    assert "activity trail cannot be written" in made.json()["message"]
    info = (await fetch("api", "capella-share", "info")).json()
    assert "activity trail" in info["guests_off"]


@pytest.fixture
def no_trail(jp_server_config):
    jp_server_config["CapellaShareApp"] = {"activity_trail": False}
    return jp_server_config


async def test_a_server_told_to_record_nothing_records_nothing(
    no_trail, fetch, make_link, jp_data_dir
):
    _, token = await make_link("view")
    assert (await fetch("api", "contents", token=token)).code == 200
    page = (await activity(fetch)).json()
    assert page == {"records": [], "next": None, "recording": False, "problem": None}
    assert not (jp_data_dir / "capella_share" / "activity").exists()
    await asyncio.sleep(0)


async def test_the_sandbox_hides_the_trails_folder(trail_in_root, capella):
    """Kept inside the root, the trail is still hidden from code guests run."""
    plan = capella.sandbox.plan("")
    assert capella.activity.base_dir in plan.hidden


async def test_no_record_grows_with_what_a_guest_sends(fetch, make_link, capella):
    _, token = await make_link("view")
    long = "n" * 20_000
    refused = await fetch("api", "contents", long, method="PUT", body="{}", token=token)
    assert refused.code == 403
    (record,) = [r for r in capella.activity.latest() if r["action"] == "refused"]
    assert len(record["what"]) == 512 and record["what"].endswith("…")
    assert (
        max(
            len(line)
            for line in Path(capella.activity.folder, "activity.jsonl").read_bytes().splitlines()
        )
        < 4096
    )


async def test_without_an_operators_event_handler_no_record_is_emitted(capella, jp_serverapp):
    # no c.EventLogger.handlers here: the trail hands its records to nobody, and
    # the event stream Labs subscribe to does not even know their schema
    assert capella.activity.emit is None
    assert ACTIVITY not in jp_serverapp.event_logger.schemas.schema_ids
