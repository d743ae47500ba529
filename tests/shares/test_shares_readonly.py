"""Read-only project shares are enforced by the server, for every write of the Contents API."""

from __future__ import annotations

import base64
import json

import pytest
from helpers import snapshot, until

from capella_share.shares import LocalShareProvider

NOTEBOOK = {
    "cells": [{"id": "title", "cell_type": "markdown", "metadata": {}, "source": "# Model"}],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}
EDITED = {**NOTEBOOK, "metadata": {"edited": True}}


@pytest.fixture
def jp_server_config(jp_server_config):
    config = dict(jp_server_config)
    # deleting for real (not to the desktop trash) keeps the tests' filesystem to itself
    config["FileContentsManager"] = {"delete_to_trash": False, "always_delete_dir": True}
    return config


async def put(fetch, path: str, model: dict, **kwargs):
    return await fetch("api", "contents", path, method="PUT", body=json.dumps(model), **kwargs)


async def populate(fetch, share: str) -> str:
    """A notebook, a text file, a subfolder and a checkpoint; the checkpoint's id."""
    for path, model in (
        (f"{share}/model.ipynb", {"type": "notebook", "format": "json", "content": NOTEBOOK}),
        (f"{share}/data.txt", {"type": "file", "format": "text", "content": "v1"}),
        (f"{share}/sub", {"type": "directory"}),
        (f"{share}/sub/inner.txt", {"type": "file", "format": "text", "content": "inner"}),
        (f"{share}/empty", {"type": "directory"}),
    ):
        response = await put(fetch, path, model)
        assert response.code in (200, 201), response.body
    checkpoint = await fetch(
        "api", "contents", f"{share}/data.txt", "checkpoints", method="POST", body=""
    )
    assert checkpoint.code == 201, checkpoint.body
    # changed after the checkpoint, so restoring it changes the file
    assert (await put(fetch, f"{share}/data.txt", _text("v1b"))).code == 200
    return checkpoint.json()["id"]


@pytest.fixture
def layout(fetch, make_share, shares_api, jp_root_dir, jp_asyncio_loop):
    """alpha/frozen: read-only; beta/open: read-write; both with the same files.
    Returns the id of a checkpoint of data.txt in each."""

    async def setup() -> dict[str, str]:
        await make_share("Alpha", "Frozen")
        await make_share("Beta", "Open")
        checkpoints = {
            "alpha/frozen": await populate(fetch, "alpha/frozen"),
            "beta/open": await populate(fetch, "beta/open"),
        }
        (jp_root_dir / "outside.txt").write_text("outside")
        response = await shares_api("PATCH", "alpha", "frozen", body={"permission": "read-only"})
        assert response.code == 200 and response.json()["permission"] == "read-only"
        return checkpoints

    return jp_asyncio_loop.run_until_complete(setup())


def _text(content: str) -> dict:
    return {"type": "file", "format": "text", "content": content}


#: (name, how, success code) — ``how(fetch, share, project, checkpoint)`` makes one write.
WRITES = [
    ("save a notebook", lambda f, s, p, c: put(
        f, f"{s}/model.ipynb", {"type": "notebook", "format": "json", "content": EDITED}
    ), 200),
    ("save a text file", lambda f, s, p, c: put(f, f"{s}/data.txt", _text("v2")), 200),
    ("create a file by name", lambda f, s, p, c: put(f, f"{s}/new.txt", _text("new")), 201),
    ("create a folder by name", lambda f, s, p, c: put(f, f"{s}/newdir", {"type": "directory"}),
     201),
    ("new untitled notebook", lambda f, s, p, c: f(
        "api", "contents", s, method="POST", body=json.dumps({"type": "notebook"})
    ), 201),
    ("new untitled folder", lambda f, s, p, c: f(
        "api", "contents", s, method="POST", body=json.dumps({"type": "directory"})
    ), 201),
    ("new untitled file in a subfolder", lambda f, s, p, c: f(
        "api", "contents", f"{s}/sub", method="POST", body=json.dumps({"ext": ".py"})
    ), 201),
    ("upload", lambda f, s, p, c: put(f, f"{s}/upload.bin", {
        "type": "file", "format": "base64", "content": base64.b64encode(b"\x00\x01").decode()
    }), 201),
    ("chunked upload", lambda f, s, p, c: put(f, f"{s}/big.bin", {
        "type": "file", "format": "base64", "chunk": 1,
        "content": base64.b64encode(b"part").decode(),
    }), 201),
    ("rename inside", lambda f, s, p, c: f(
        "api", "contents", f"{s}/data.txt", method="PATCH",
        body=json.dumps({"path": f"{s}/renamed.txt"}),
    ), 200),
    ("rename out of", lambda f, s, p, c: f(
        "api", "contents", f"{s}/data.txt", method="PATCH", body=json.dumps({"path": "moved.txt"})
    ), 200),
    ("rename into", lambda f, s, p, c: f(
        "api", "contents", "outside.txt", method="PATCH",
        body=json.dumps({"path": f"{s}/outside.txt"}),
    ), 200),
    ("rename the share folder", lambda f, s, p, c: f(
        "api", "contents", s, method="PATCH", body=json.dumps({"path": f"{s}-moved"})
    ), 200),
    ("rename the project folder", lambda f, s, p, c: f(
        "api", "contents", p, method="PATCH", body=json.dumps({"path": f"{p}-moved"})
    ), 200),
    ("copy into", lambda f, s, p, c: f(
        "api", "contents", s, method="POST", body=json.dumps({"copy_from": "outside.txt"})
    ), 201),
    ("copy inside", lambda f, s, p, c: f(
        "api", "contents", f"{s}/sub", method="POST",
        body=json.dumps({"copy_from": f"{s}/data.txt"}),
    ), 201),
    ("delete a file", lambda f, s, p, c: f("api", "contents", f"{s}/data.txt", method="DELETE"),
     204),
    ("delete an empty folder", lambda f, s, p, c: f("api", "contents", f"{s}/empty",
                                                     method="DELETE"), 204),
    ("delete a folder", lambda f, s, p, c: f("api", "contents", f"{s}/sub", method="DELETE"), 204),
    ("delete the share folder", lambda f, s, p, c: f("api", "contents", s, method="DELETE"), 204),
    ("delete the project folder", lambda f, s, p, c: f("api", "contents", p, method="DELETE"),
     204),
    ("create a checkpoint", lambda f, s, p, c: f(
        "api", "contents", f"{s}/data.txt", "checkpoints", method="POST", body=""
    ), 201),
    ("restore a checkpoint", lambda f, s, p, c: f(
        "api", "contents", f"{s}/data.txt", "checkpoints", c, method="POST", body=""
    ), 204),
    ("delete a checkpoint", lambda f, s, p, c: f(
        "api", "contents", f"{s}/data.txt", "checkpoints", c, method="DELETE"
    ), 204),
]  # fmt: skip


@pytest.mark.parametrize(("how", "success"), [w[1:] for w in WRITES], ids=[w[0] for w in WRITES])
async def test_every_write_is_refused_in_a_read_only_share(
    fetch, layout, jp_root_dir, how, success
):
    before = snapshot(jp_root_dir)
    response = await how(fetch, "alpha/frozen", "alpha", layout["alpha/frozen"])
    assert response.code == 403, response.body
    assert "read-only project share" in response.json()["message"]
    assert snapshot(jp_root_dir) == before


@pytest.mark.parametrize(("how", "success"), [w[1:] for w in WRITES], ids=[w[0] for w in WRITES])
async def test_every_write_is_allowed_in_a_read_write_share(
    fetch, layout, jp_root_dir, how, success
):
    before = snapshot(jp_root_dir)
    response = await how(fetch, "beta/open", "beta", layout["beta/open"])
    assert response.code == success, response.body
    assert snapshot(jp_root_dir) != before


async def test_models_under_a_read_only_share_are_not_writable(fetch, layout):
    notebook = (await fetch("api", "contents", "alpha/frozen/model.ipynb")).json()
    assert notebook["writable"] is False
    folder = (await fetch("api", "contents", "alpha/frozen")).json()
    assert folder["writable"] is False
    assert folder["content"] and all(child["writable"] is False for child in folder["content"])
    project = (await fetch("api", "contents", "alpha")).json()
    assert project["writable"] is True
    assert [c["writable"] for c in project["content"] if c["name"] == "frozen"] == [False]
    open_notebook = (await fetch("api", "contents", "beta/open/model.ipynb")).json()
    assert open_notebook["writable"] is True
    assert all(
        c["writable"] for c in (await fetch("api", "contents", "beta/open")).json()["content"]
    )


async def test_reading_and_copying_out_of_a_read_only_share_still_work(fetch, layout):
    model = await fetch("api", "contents", "alpha/frozen/data.txt")
    assert model.code == 200 and model.json()["content"] == "v1b"
    raw = await fetch("files", "alpha/frozen/data.txt")
    assert raw.code == 200 and raw.body == b"v1b"
    copied = await fetch(
        "api",
        "contents",
        "",
        method="POST",
        body=json.dumps({"copy_from": "alpha/frozen/data.txt"}),
    )
    assert copied.code == 201, copied.body


async def test_writing_through_a_symbolic_link_into_a_read_only_share_is_refused(
    fetch, layout, jp_root_dir
):
    (jp_root_dir / "shortcut").symlink_to(jp_root_dir / "alpha" / "frozen")
    refused = await put(fetch, "shortcut/sneaky.txt", _text("x"))
    assert refused.code == 403, refused.body
    assert not (jp_root_dir / "alpha" / "frozen" / "sneaky.txt").exists()
    assert (await fetch("api", "contents", "shortcut/data.txt")).json()["writable"] is False


async def test_switching_back_to_read_write_allows_writes_again(fetch, layout, shares_api):
    assert (await put(fetch, "alpha/frozen/data.txt", _text("v2"))).code == 403
    response = await shares_api("PATCH", "alpha", "frozen", body={"permission": "read-write"})
    assert response.code == 200
    assert (await put(fetch, "alpha/frozen/data.txt", _text("v2"))).code == 200
    assert (await fetch("api", "contents", "alpha/frozen/data.txt")).json()["writable"] is True


async def test_a_permission_set_from_the_cli_applies_to_the_running_server(
    fetch, make_share, capella, jp_root_dir
):
    await make_share("Gamma", "Cli")
    assert (await put(fetch, "gamma/cli/a.txt", _text("a"))).code == 201
    other = LocalShareProvider(
        root_dir=capella.shares.root_dir,
        shares_root=capella.shares.shares_root,
        db_path=capella.shares.db_path,
    )
    try:
        other.set_permission("gamma", "cli", "read-only")
    finally:
        other.close()

    # the server looks at the registry at most once a second
    async def read_only() -> bool:
        return not (await fetch("api", "contents", "gamma/cli/a.txt")).json()["writable"]

    await until(read_only, 3, "the server never saw the change")
    assert (await put(fetch, "gamma/cli/a.txt", _text("b"))).code == 403
    assert (jp_root_dir / "gamma" / "cli" / "a.txt").read_text() == "a"


class TestWithTheSynchronousContentsManager:
    """The guard composes with the (deprecated) synchronous managers too."""

    pytestmark = pytest.mark.filterwarnings(
        "ignore:The synchronous ContentsManager classes are deprecated:DeprecationWarning"
    )

    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        config = dict(jp_server_config)
        config["ServerApp"] = {
            **config["ServerApp"],
            "contents_manager_class": "jupyter_server.services.contents.filemanager."
            "FileContentsManager",
        }
        return config

    async def test_writes_are_refused_and_models_marked(self, fetch, layout, jp_serverapp):
        assert "FileContentsManager" in type(jp_serverapp.contents_manager).__name__
        assert (await put(fetch, "alpha/frozen/data.txt", _text("v2"))).code == 403
        assert (await fetch("api", "contents", "alpha/frozen/sub", method="DELETE")).code == 403
        rename = await fetch(
            "api", "contents", "outside.txt", method="PATCH",
            body=json.dumps({"path": "alpha/frozen/outside.txt"}),
        )  # fmt: skip
        assert rename.code == 403
        assert (await fetch("api", "contents", "alpha/frozen/data.txt")).json()["writable"] is False
        assert (await put(fetch, "beta/open/data.txt", _text("v2"))).code == 200
