"""Guests and project shares: link permissions apply on top of share permissions."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def two_shares(make_share, shares_api, jp_root_dir, jp_asyncio_loop):
    """demo/open (read-write) and demo/frozen (read-only), each with note.txt."""

    async def setup() -> None:
        await make_share("Demo", "Open")
        await make_share("Demo", "Frozen", "read-only")

    jp_asyncio_loop.run_until_complete(setup())
    for name in ("open", "frozen"):
        (jp_root_dir / "demo" / name / "note.txt").write_text("note")
    (jp_root_dir / "top.txt").write_text("top")


async def put_text(fetch, path: str, token: str | None = None):
    body = json.dumps({"type": "file", "format": "text", "content": "changed"})
    return await fetch("api", "contents", path, method="PUT", body=body, token=token)


async def writable(fetch, path: str, token: str | None = None) -> bool:
    response = await fetch("api", "contents", path, token=token)
    assert response.code == 200, response.body
    return response.json()["writable"]


async def test_a_view_guest_reads_everywhere_and_writes_nowhere(
    fetch, make_link, two_shares, shares_api
):
    _, token = await make_link("view")
    for path in ("top.txt", "demo/open/note.txt", "demo/frozen/note.txt"):
        assert (await put_text(fetch, path, token)).code == 403
        assert await writable(fetch, path, token) is False
    folder = (await fetch("api", "contents", "demo/open", token=token)).json()
    assert folder["writable"] is False
    assert all(child["writable"] is False for child in folder["content"])
    # the owner's view of the same files is unchanged
    assert await writable(fetch, "demo/open/note.txt") is True
    assert (await shares_api("GET", token=token)).code == 200
    assert (await shares_api("GET", "demo", "open", "archive", token=token)).code == 200


async def test_an_edit_guest_writes_only_in_read_write_shares(
    fetch, make_link, two_shares, jp_root_dir
):
    _, token = await make_link("edit")
    assert (await put_text(fetch, "demo/open/note.txt", token)).code == 200
    assert await writable(fetch, "demo/open/note.txt", token) is True
    refused = await put_text(fetch, "demo/frozen/note.txt", token)
    assert refused.code == 403
    assert "read-only project share" in refused.json()["message"]
    assert await writable(fetch, "demo/frozen/note.txt", token) is False
    assert (jp_root_dir / "demo" / "frozen" / "note.txt").read_text() == "note"
    assert (await put_text(fetch, "top.txt", token)).code == 200


@pytest.mark.parametrize("level", ["view", "edit", "full"])
async def test_only_the_owner_manages_shares(make_link, two_shares, shares_api, jp_root_dir, level):
    _, token = await make_link(level)
    for method, parts, body in (
        ("POST", (), {"project": "Guest", "model": "Share"}),
        ("PATCH", ("demo", "frozen"), {"permission": "read-write"}),
        ("DELETE", ("demo", "open"), {"confirm": "demo/open"}),
    ):
        response = await shares_api(method, *parts, body=body, token=token)
        assert response.code == 403, (level, method, response.body)
    assert not (jp_root_dir / "guest").exists()
    assert (jp_root_dir / "demo" / "open" / "note.txt").exists()
    shares = {s["model"]: s["permission"] for s in (await shares_api()).json()["shares"]}
    assert shares == {"frozen": "read-only", "open": "read-write"}


async def test_shares_need_a_login(shares_api):
    assert (await shares_api("GET", token="")).code == 403
    response = await shares_api("POST", body={"project": "a", "model": "b"}, token="")
    assert response.code == 403
