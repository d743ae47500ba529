"""A folder's listing marks each entry writable or not as the entry's own model does,
though it judges the folder once and resolves only symbolic links and share roots."""

from __future__ import annotations

import json

import pytest
from helpers import snapshot

FROZEN = "alpha/frozen"


async def put_text(fetch, path: str, content: str, **kwargs):
    model = {"type": "file", "format": "text", "content": content}
    return await fetch("api", "contents", path, method="PUT", body=json.dumps(model), **kwargs)


@pytest.fixture
def tree(fetch, make_share, shares_api, jp_root_dir, jp_asyncio_loop):
    """alpha/frozen: a read-only share; work/: a plain read-write folder holding
    symbolic links into the share (the folder, a file in it) and out of it."""

    async def setup() -> None:
        await make_share("Alpha", "Frozen")
        await make_share("Beta", "Open")
        assert (await put_text(fetch, f"{FROZEN}/data.txt", "frozen")).code == 201
        assert (await put_text(fetch, "beta/open/notes.txt", "open")).code == 201
        response = await shares_api("PATCH", "alpha", "frozen", body={"permission": "read-only"})
        assert response.code == 200, response.body
        work = jp_root_dir / "work"
        work.mkdir()
        (work / "plain.txt").write_text("plain")
        (work / "folder").mkdir()
        (work / "into-share").symlink_to(jp_root_dir / "alpha" / "frozen")
        (work / "into-share-file").symlink_to(jp_root_dir / "alpha" / "frozen" / "data.txt")
        (work / "into-open").symlink_to(jp_root_dir / "beta" / "open")

    jp_asyncio_loop.run_until_complete(setup())


async def listing(fetch, path: str, **kwargs) -> dict[str, bool]:
    response = await fetch("api", "contents", path, **kwargs)
    assert response.code == 200, response.body
    return {entry["name"]: entry["writable"] for entry in response.json()["content"]}


async def own_models(fetch, path: str, names, **kwargs) -> dict[str, bool]:
    """Each entry's writable flag as a GET of the entry alone gives it."""
    flags = {}
    for name in names:
        response = await fetch("api", "contents", f"{path}/{name}".strip("/"), **kwargs)
        assert response.code == 200, response.body
        flags[name] = response.json()["writable"]
    return flags


async def test_a_link_into_a_read_only_share_is_listed_not_writable(fetch, tree):
    assert await listing(fetch, "work") == {
        "plain.txt": True,
        "folder": True,
        "into-share": False,
        "into-share-file": False,
        "into-open": True,
    }


async def test_writes_through_such_a_link_are_refused(fetch, tree, jp_root_dir):
    before = snapshot(jp_root_dir / "alpha")
    assert (await put_text(fetch, "work/into-share/new.txt", "x")).code == 403
    assert (await put_text(fetch, "work/into-share-file", "changed")).code == 403
    assert snapshot(jp_root_dir / "alpha") == before
    assert (await put_text(fetch, "work/into-open/new.txt", "x")).code == 201


@pytest.mark.parametrize("permission", ["owner", "edit", "view"])
@pytest.mark.parametrize("folder", ["work", "", "alpha", FROZEN, "beta/open"])
async def test_the_listing_agrees_with_each_entrys_own_model(
    fetch, make_link, tree, folder, permission
):
    kwargs = {}
    if permission != "owner":
        _, kwargs["token"] = await make_link(permission)
    listed = await listing(fetch, folder, **kwargs)
    assert listed
    assert listed == await own_models(fetch, folder, listed, **kwargs)
    if permission == "view":
        assert not any(listed.values())


async def test_a_folder_holding_a_share_is_writable_the_share_is_not(fetch, tree):
    root = await listing(fetch, "")
    assert root["alpha"] is True and root["work"] is True
    assert (await listing(fetch, "alpha")) == {"frozen": False}
