"""A server killed (SIGKILL) in the middle of deleting a large share.

After a restart the share is entirely gone (it had been moved out of sight before
its files were removed), every other share and file is as it was, and what the
interrupted delete left in the trash is removed.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
import requests
from helpers import until_blocking
from live_server import LiveServer

from capella_share.shares.deletion import TRASH_NAME

FOLDERS, FILES_PER_FOLDER = 300, 200  # 60,000 files: removing them takes about a second
#: Kill once this many of the folders are left: a third of the delete is done.
KILL_AT = 200


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file below ``folder``."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def shares_of(server: LiveServer) -> dict[tuple[str, str], str]:
    response = server.request("GET", "api/capella-share/shares")
    assert response.status_code == 200, response.text
    return {(s["project"], s["model"]): s["permission"] for s in response.json()["shares"]}


def count_files(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path)
    try:
        yield live
    finally:
        live.stop()


@pytest.mark.timeout(300)
def test_a_kill_in_the_middle_of_a_delete_loses_nothing_else(server):
    root = server.root
    server.start()
    for project, model, permission in [
        ("crash", "big", "read-write"),
        ("crash", "neighbour", "read-only"),
        ("other", "model", "read-write"),
    ]:
        body = {"project": project, "model": model, "permission": permission}
        assert server.request("POST", "api/capella-share/shares", json=body).status_code == 201
    for project, model in [("crash", "neighbour"), ("other", "model")]:
        folder = root / project / model
        (folder / "sub").mkdir()
        (folder / "notebook.ipynb").write_text('{"cells": [], "metadata": {}}')
        (folder / "sub" / "data.bin").write_bytes(os.urandom(4096))
    (root / "crash" / "outside-the-share.txt").write_text("kept")
    big = root / "crash" / "big"
    for index in range(FOLDERS):
        folder = big / f"d{index:03}"
        folder.mkdir()
        for number in range(FILES_PER_FOLDER):
            (folder / f"{number}.txt").write_bytes(b"0123456789")
    before = {path: snapshot(root / path) for path in ("crash/neighbour", "other/model")}
    shares_before = shares_of(server)

    answer: dict[str, object] = {}

    def delete() -> None:
        try:
            answer["response"] = server.request(
                "DELETE", "api/capella-share/shares/crash/big", json={"confirm": "crash/big"}
            )
        except requests.ConnectionError as error:
            answer["error"] = error

    deleting = threading.Thread(target=delete)
    deleting.start()
    trash = root / TRASH_NAME
    entry = None
    left = FOLDERS
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and "response" not in answer:
            if entry is None:
                entries = os.listdir(trash) if trash.is_dir() else []
                entry = trash / entries[0] if entries else None
                continue
            try:
                left = len(os.listdir(entry))
            except FileNotFoundError:
                break
            if left <= KILL_AT:
                server.kill()
                break
            time.sleep(0.001)
    finally:
        server.kill()
        deleting.join(60)

    assert "response" not in answer, "the delete finished before the server was killed"
    assert entry is not None, "the share never reached the trash"
    remaining = count_files(entry)
    assert 0 < remaining < FOLDERS * FILES_PER_FOLDER, remaining
    assert not big.exists(), "the share was visible while being deleted"

    server.start()
    # entirely gone: not listed, no folder, and the trash is emptied in the background
    shares_after = shares_of(server)
    assert ("crash", "big") not in shares_after
    assert shares_after == {k: v for k, v in shares_before.items() if k != ("crash", "big")}
    assert not big.exists()
    until_blocking(lambda: not trash.exists(), 60, lambda: str(os.listdir(trash)))
    # nothing else touched
    assert {path: snapshot(root / path) for path in before} == before
    assert (root / "crash" / "outside-the-share.txt").read_text() == "kept"
    assert "finished an interrupted share delete" in server.log()
