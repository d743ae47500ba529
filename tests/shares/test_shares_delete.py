"""Deleting a share (irrevocable, confirmed, off the event loop) and its zip archive."""

from __future__ import annotations

import asyncio
import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from helpers import until

from capella_share.shares import deletion
from capella_share.shares.deletion import TRASH_NAME


@pytest.fixture
def filled(make_share, jp_root_dir, tmp_path, jp_asyncio_loop):
    """demo/model with files, a subfolder, and links to a file and a folder outside."""
    jp_asyncio_loop.run_until_complete(make_share("Demo", "Model"))
    folder = jp_root_dir / "demo" / "model"
    (folder / "a.ipynb").write_text("{}")
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / "sub" / "b.txt").write_bytes(b"b" * 100)
    (folder / "sub" / "deeper" / "c.txt").write_bytes(b"c" * 1000)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("do not touch")
    (folder / "link-to-file").symlink_to(outside / "precious.txt")
    (folder / "sub" / "link-to-folder").symlink_to(outside)
    (jp_root_dir / "demo" / "neighbour.txt").write_text("stays")
    return folder, outside


@pytest.mark.parametrize(
    "body",
    [None, {}, {"confirm": ""}, {"confirm": "demo"}, {"confirm": "demo/other"},
     {"confirm": "Demo/Model"}, {"confirm": ["demo", "model"]}],
)  # fmt: skip
async def test_delete_without_the_right_confirmation_is_a_400(shares_api, filled, body):
    folder, _ = filled
    response = await shares_api("DELETE", "demo", "model", body=body)
    assert response.code == 400
    assert '"confirm": "demo/model"' in response.json()["message"]
    assert (folder / "sub" / "deeper" / "c.txt").exists()
    assert len((await shares_api()).json()["shares"]) == 1


async def test_delete_removes_everything_and_nothing_else(shares_api, filled, jp_root_dir):
    folder, outside = filled
    response = await shares_api("DELETE", "demo", "model", body={"confirm": "demo/model"})
    assert response.code == 200, response.body
    assert response.json() == {"deleted_files": 3, "deleted_bytes": 2 + 100 + 1000}
    assert not folder.exists()
    assert (outside / "precious.txt").read_text() == "do not touch"
    assert (jp_root_dir / "demo" / "neighbour.txt").read_text() == "stays"
    assert not (jp_root_dir / TRASH_NAME).exists() or not os.listdir(jp_root_dir / TRASH_NAME)
    assert (await shares_api()).json()["shares"] == []
    again = await shares_api("DELETE", "demo", "model", body={"confirm": "demo/model"})
    assert again.code == 404


async def test_delete_hides_the_folder_before_removing_it(
    shares_api, filled, jp_root_dir, monkeypatch
):
    folder, _ = filled
    seen = {}
    real_remove = deletion.remove_tree

    def remove_tree(path):
        seen["visible"] = folder.exists()
        seen["in trash"] = os.path.dirname(path) == str(jp_root_dir / TRASH_NAME)
        return real_remove(path)

    monkeypatch.setattr(deletion, "remove_tree", remove_tree)
    response = await shares_api("DELETE", "demo", "model", body={"confirm": "demo/model"})
    assert response.code == 200
    assert seen == {"visible": False, "in trash": True}


async def test_removal_runs_off_the_event_loop(shares_api, fetch, filled, monkeypatch):
    real_remove = deletion.remove_tree

    def slow_remove(path):
        time.sleep(1.0)
        return real_remove(path)

    monkeypatch.setattr(deletion, "remove_tree", slow_remove)
    delete = asyncio.ensure_future(
        shares_api("DELETE", "demo", "model", body={"confirm": "demo/model"})
    )
    await asyncio.sleep(0.1)
    started = time.monotonic()
    status = await fetch("api", "status")
    assert status.code == 200
    assert time.monotonic() - started < 0.5
    assert not delete.done()
    assert (await delete).code == 200


async def test_a_share_whose_folder_is_a_link_is_unlinked_only(
    shares_api, make_share, jp_root_dir, tmp_path
):
    await make_share("Demo", "Model")
    target = tmp_path / "target"
    target.mkdir()
    (target / "kept.txt").write_text("kept")
    folder = jp_root_dir / "demo" / "model"
    folder.rmdir()
    folder.symlink_to(target)
    archive = await shares_api("GET", "demo", "model", "archive")
    assert archive.code in (404, 409)
    response = await shares_api("DELETE", "demo", "model", body={"confirm": "demo/model"})
    assert response.code == 200
    assert response.json() == {"deleted_files": 0, "deleted_bytes": 0}
    assert not folder.is_symlink() and not folder.exists()
    assert (target / "kept.txt").read_text() == "kept"


async def test_interrupted_delete_is_finished_by_clean_trash(shares_api, filled, capella):
    folder, outside = filled
    trashed = trash_path(capella.shares.move_out_of_sight("demo", "model", "demo/model"))
    # the server stops here; the folder is out of sight, the share forgotten
    assert trashed.is_dir() and not folder.exists()
    assert (await shares_api()).json()["shares"] == []
    assert capella.shares.clean_trash() == (3, 1102)
    assert not trashed.exists()
    assert (outside / "precious.txt").exists()


async def test_a_delete_killed_between_its_two_steps_is_finished(shares_api, filled, capella):
    """The folder went into the trash but the process died before the registry
    forgot the share: the next clean forgets it, so the share is entirely gone."""
    folder, outside = filled
    from capella_share.shares import deletion

    trashed = trash_path(
        deletion.move_to_trash(str(folder), capella.shares.shares_root, ("demo", "model"))
    )
    assert [s["path"] for s in (await shares_api()).json()["shares"]] == ["demo/model"]
    assert capella.shares.clean_trash() == (3, 1102)
    assert (await shares_api()).json()["shares"] == []
    assert not trashed.exists() and not folder.exists()
    assert (outside / "precious.txt").exists()


def trash_path(value: str | None) -> Path:
    assert value is not None
    return Path(value)


@pytest.fixture
def leftovers(jp_root_dir, tmp_path):
    """What a server killed in the middle of a delete leaves: before the server starts."""
    stale = jp_root_dir / TRASH_NAME / "20240101T000000-dead"
    (stale / "nested").mkdir(parents=True)
    for index in range(20):
        (stale / "nested" / f"{index}.txt").write_text("x")
    precious = tmp_path / "precious.txt"
    precious.write_text("keep")
    (stale / "link").symlink_to(precious)
    return jp_root_dir / TRASH_NAME, precious


async def test_leftovers_are_removed_at_the_next_start(leftovers, fetch):
    trash, precious = leftovers
    assert (await fetch("api", "status")).code == 200  # the server has started
    await until(lambda: not trash.exists(), 5, lambda: str(os.listdir(trash)))
    assert precious.read_text() == "keep"


async def test_archive_streams_a_zip_of_the_share(shares_api, filled):
    response = await shares_api("GET", "demo", "model", "archive")
    assert response.code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert 'filename="demo-model.zip"' in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert {"model/a.ipynb", "model/sub/b.txt", "model/sub/deeper/c.txt"} <= names
        assert not any("link" in name or "precious" in name for name in names)
        assert archive.read("model/sub/deeper/c.txt") == b"c" * 1000


async def test_archive_of_large_files_comes_in_pieces(shares_api, make_share, jp_root_dir):
    await make_share("Demo", "Big")
    payload = os.urandom(3 << 20)
    (jp_root_dir / "demo" / "big" / "random.bin").write_bytes(payload)
    response = await shares_api("GET", "demo", "big", "archive")
    assert response.code == 200
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        assert archive.read("big/random.bin") == payload


async def test_archive_of_an_unknown_share_is_a_404(shares_api):
    assert (await shares_api("GET", "demo", "model", "archive")).code == 404


def test_zip_chunks_stay_small(tmp_path):
    from capella_share.shares.archive import CHUNK, zip_chunks

    (tmp_path / "share").mkdir()
    for index in range(4):
        (tmp_path / "share" / f"{index}.bin").write_bytes(os.urandom(CHUNK))
    sizes = [len(chunk) for chunk in zip_chunks(str(tmp_path / "share"), "share")]
    assert len(sizes) >= 4
    assert max(sizes) < 2 * CHUNK + 4096
