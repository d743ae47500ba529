"""What deleting a share leaves behind: nothing. Its project folder goes with
the project's last share, the files it had open live stop being watched (each
poll logged an error with a traceback), and its zip holds the share's files,
not the Lab's checkpoints of them."""

from __future__ import annotations

import asyncio
import io
import logging
import zipfile

import pytest
from helpers import with_collaboration, write_notebook

from capella_share.shares.stats import measure


async def _delete(shares_api, key: str):
    project, model = key.split("/")
    response = await shares_api("DELETE", project, model, body={"confirm": key})
    assert response.code == 200, response.body
    return response


async def test_the_project_folder_goes_with_its_last_share(shares_api, make_share, jp_root_dir):
    await make_share("Demo", "First")
    await make_share("Demo", "Second")
    await _delete(shares_api, "demo/first")
    assert (jp_root_dir / "demo").is_dir()  # its other share is still in it
    await _delete(shares_api, "demo/second")
    assert not (jp_root_dir / "demo").exists()
    listing = await shares_api()
    assert listing.json()["shares"] == []


async def test_a_project_folder_with_other_files_stays(shares_api, make_share, jp_root_dir):
    await make_share("Demo", "Only")
    (jp_root_dir / "demo" / "notes.txt").write_text("the owner's own")
    await _delete(shares_api, "demo/only")
    assert (jp_root_dir / "demo" / "notes.txt").read_text() == "the owner's own"


async def test_the_checkpoints_are_neither_zipped_nor_counted(
    shares_api, make_share, jp_root_dir, fetch
):
    await make_share("Demo", "Model")
    write_notebook(jp_root_dir, "demo/model/a.ipynb")
    # the Lab's first save of a file makes a checkpoint of it
    assert (await fetch("api", "contents", "demo", "model", "a.ipynb", "checkpoints",
                        method="POST", body="")).code == 201  # fmt: skip
    assert (jp_root_dir / "demo" / "model" / ".ipynb_checkpoints").is_dir()
    response = await shares_api("GET", "demo", "model", "archive")
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        names = archive.namelist()
    assert "model/a.ipynb" in names
    assert not [name for name in names if ".ipynb_checkpoints" in name], names
    # nor are they counted as the share's files, listed or deleted
    stats = measure(str(jp_root_dir / "demo" / "model"))
    assert stats is not None and stats.files == 1
    deleted = await _delete(shares_api, "demo/model")
    assert deleted.json()["deleted_files"] == 1
    assert not (jp_root_dir / "demo").exists()


class TestLive:
    @pytest.fixture
    def jp_server_config(self, jp_server_config, jp_root_dir, jp_data_dir):
        return with_collaboration(jp_server_config, jp_root_dir, jp_data_dir)

    async def test_files_open_live_are_no_longer_watched_once_deleted(
        self, shares_api, make_share, rtc_open, caplog
    ):
        await make_share("Demo", "Model")
        client = await rtc_open("demo/model/live.ipynb")
        assert client is not None
        caplog.set_level(logging.INFO)
        await _delete(shares_api, "demo/model")
        # a few polls (every 0.2 s in these tests)
        await asyncio.sleep(1.5)
        errors = [r.getMessage() for r in caplog.records if "Error watching file" in r.getMessage()]
        assert errors == []
