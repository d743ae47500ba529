"""The shares REST API: create, list, change, names, counts, the shares root."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from capella_share.shares import provider as provider_module


def tree(path: Path) -> set[str]:
    """Every path below ``path`` (relative), to show nothing else was made or removed."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            found.add(os.path.relpath(os.path.join(dirpath, name), path))
    return found


async def test_create_makes_the_folder_and_lists_it(shares_api, jp_root_dir, jp_base_url):
    assert (await shares_api()).json()["shares"] == []
    response = await shares_api("POST", body={"project": "Demo project", "model": "Sample model"})
    assert response.code == 201, response.body
    share = response.json()
    assert response.headers["Location"] == (
        f"{jp_base_url}api/capella-share/shares/demo-project/sample-model"
    )
    assert share["project"] == "demo-project"
    assert share["model"] == "sample-model"
    assert share["project_name"] == "Demo project"
    assert share["model_name"] == "Sample model"
    assert share["path"] == "demo-project/sample-model"
    assert share["permission"] == "read-write"
    assert (share["files"], share["bytes"]) == (0, 0)
    assert share["exists"] is True
    assert share["filesystem_read_only"] is False
    assert (jp_root_dir / "demo-project" / "sample-model").is_dir()
    listing = (await shares_api()).json()
    assert [s["path"] for s in listing["shares"]] == ["demo-project/sample-model"]
    assert listing["managed"] is False
    assert listing["shares_root"] == ""


async def test_a_share_that_exists_is_a_conflict(shares_api, make_share):
    await make_share("Demo", "Model")
    again = await shares_api("POST", body={"project": "demo", "model": "MODEL"})
    assert again.code == 409
    assert "exists already" in again.json()["message"]


async def test_an_existing_plain_folder_is_taken_in(shares_api, jp_root_dir):
    (jp_root_dir / "demo" / "model").mkdir(parents=True)
    (jp_root_dir / "demo" / "model" / "kept.txt").write_text("kept")
    response = await shares_api("POST", body={"project": "demo", "model": "model"})
    assert response.code == 201
    assert response.json()["files"] == 1
    assert (jp_root_dir / "demo" / "model" / "kept.txt").read_text() == "kept"


async def test_a_symbolic_link_in_the_way_is_refused(shares_api, jp_root_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (jp_root_dir / "demo").symlink_to(elsewhere)
    response = await shares_api("POST", body={"project": "demo", "model": "model"})
    assert response.code == 409
    assert "symbolic link" in response.json()["message"]
    assert list(elsewhere.iterdir()) == []


async def test_change_the_permission(shares_api, make_share):
    await make_share("Demo", "Model")
    response = await shares_api("PATCH", "demo", "model", body={"permission": "read-only"})
    assert response.code == 200
    assert response.json()["permission"] == "read-only"
    assert (await shares_api()).json()["shares"][0]["permission"] == "read-only"


@pytest.mark.parametrize(
    "body",
    [{"permission": "write"}, {"permission": None}, {}, {"permission": "read-only", "x": 1}],
)
async def test_a_bad_permission_change_is_a_400(shares_api, make_share, body):
    await make_share("Demo", "Model")
    response = await shares_api("PATCH", "demo", "model", body=body)
    assert response.code == 400
    assert response.json()["message"]


async def test_changing_an_unknown_share_is_a_404(shares_api):
    response = await shares_api("PATCH", "demo", "model", body={"permission": "read-only"})
    assert response.code == 404


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"project": "a", "model": "b", "permission": "rw"}), "permission"),
        (json.dumps({"project": "a", "model": "b", "owner": "me"}), "Unknown field"),
        (json.dumps({"model": "b"}), "must be a string"),
        (json.dumps({"project": 7, "model": "b"}), "must be a string"),
    ],
)
async def test_bad_create_requests_are_400s(shares_api, jp_root_dir, body, says):
    before = tree(jp_root_dir)
    response = await shares_api("POST", body=body)
    assert response.code == 400
    assert says in response.json()["message"]
    assert tree(jp_root_dir) == before


BAD_NAMES = {
    "empty": ("", "empty"),
    "blank": ("   ", "empty"),
    "dot-dot": ("..", "no letters or digits"),
    "dots": ("...", "no letters or digits"),
    "parent traversal": ("../escape", "path separator"),
    "absolute": ("/etc", "path separator"),
    "slash": ("a/b", "path separator"),
    "backslash": ("a\\b", "path separator"),
    "encoded slash": ("..%2Fescape", "path separator"),
    "encoded backslash": ("..%5cescape", "path separator"),
    "double encoded": ("%252e%252e%252f", "path separator"),
    "nul": ("a\x00b", "control characters"),
    "newline": ("a\nb", "control characters"),
    "too long a slug": ("x" * 64, "at most 63"),
    "too long a name": ("word " * 50, "longer than"),
    "only symbols": ("!!!", "no letters or digits"),
    "only non-latin punctuation": ("「」", "no letters or digits"),
}


@pytest.mark.parametrize("where", ["project", "model"])
@pytest.mark.parametrize(("name", "says"), BAD_NAMES.values(), ids=BAD_NAMES.keys())
async def test_bad_names_are_400s_and_make_nothing(shares_api, jp_root_dir, where, name, says):
    outside = jp_root_dir.parent
    before_outside, before_root = set(os.listdir(outside)), tree(jp_root_dir)
    body = {"project": "demo", "model": "model", where: name}
    response = await shares_api("POST", body=body)
    assert response.code == 400, response.body
    assert says in response.json()["message"]
    assert set(os.listdir(outside)) == before_outside
    assert tree(jp_root_dir) == before_root
    assert (await shares_api()).json()["shares"] == []


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Modèle été", "modele-ete"),
        ("日本語", "ri-ben-yu"),
        ("Ünïcödé Project", "unicode-project"),
        ("A__b--c", "a-b-c"),
        ("x" * 63, "x" * 63),
    ],
)
async def test_names_become_ascii_slugs(shares_api, jp_root_dir, name, slug):
    response = await shares_api("POST", body={"project": name, "model": "m"})
    assert response.code == 201, response.body
    assert response.json()["project"] == slug
    assert response.json()["project_name"] == name
    assert (jp_root_dir / slug / "m").is_dir()
    assert all(entry.isascii() for entry in os.listdir(jp_root_dir))


BAD_SLUGS = {
    "upper case": "Demo",
    "encoded slash": "a%2F..%2Fb",
    "encoded dot-dot": "%2E%2E",
    "encoded backslash": "a%5Cb",
    "non-ascii": "mod%C3%A8le",
    "double hyphen": "a--b",
    "leading hyphen": "-a",
    "space": "a%20b",
    "too long": "x" * 64,
}


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
@pytest.mark.parametrize("where", ["project", "model"])
async def test_bad_share_names_in_urls_are_400s(shares_api, make_share, jp_root_dir, slug, where):
    await make_share("demo", "model")
    parts = ("demo", slug) if where == "model" else (slug, "model")
    before = tree(jp_root_dir.parent)
    for method, body in (
        ("PATCH", {"permission": "read-only"}),
        ("DELETE", {"confirm": "/".join(parts)}),
        ("GET", None),
    ):
        suffix = ("archive",) if method == "GET" else ()
        response = await shares_api(method, *parts, *suffix, body=body)
        assert response.code == 400, (method, response.body)
        assert "lower-case ASCII" in response.json()["message"]
    assert tree(jp_root_dir.parent) == before


async def test_counts_follow_writes_through_the_contents_api(shares_api, make_share, fetch):
    await make_share("Demo", "Model")
    for name, text in (("a.txt", "12345"), ("b.txt", "1234567890")):
        body = json.dumps({"type": "file", "format": "text", "content": text})
        assert (await fetch("api", "contents", "demo/model", name, method="PUT", body=body)).code
    share = (await shares_api()).json()["shares"][0]
    assert (share["files"], share["bytes"]) == (2, 15)
    assert share["modified"].endswith("Z")


async def test_counts_leave_symbolic_links_out(shares_api, jp_root_dir, tmp_path):
    big = tmp_path / "outside"
    big.mkdir()
    (big / "secret.bin").write_bytes(b"x" * 10_000)
    folder = jp_root_dir / "demo" / "model"
    folder.mkdir(parents=True)
    (folder / "own.txt").write_text("own")
    (folder / "to-file").symlink_to(big / "secret.bin")
    (folder / "to-folder").symlink_to(big)
    response = await shares_api("POST", body={"project": "demo", "model": "model"})
    assert (response.json()["files"], response.json()["bytes"]) == (1, 3)
    share = (await shares_api()).json()["shares"][0]
    assert (share["files"], share["bytes"]) == (1, 3)


async def test_listing_does_not_wait_for_slow_counts(shares_api, make_share, capella, monkeypatch):
    """Counts are measured in a worker: a listing answers within its budget, and
    says null for what is not measured yet."""
    await make_share("Demo", "Model")
    capella.shares.stats.forget(capella.shares.os_path(capella.shares.list_shares()[0]))
    release = asyncio.Event()
    loop = asyncio.get_running_loop()
    from capella_share.shares import stats as stats_module

    real_measure = stats_module.measure

    def slow_measure(path):
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(10)
        return real_measure(path)

    monkeypatch.setattr(stats_module, "measure", slow_measure)
    capella.shares.stats_budget = 0.2
    started = loop.time()
    share = (await shares_api()).json()["shares"][0]
    assert loop.time() - started < 2
    assert share["files"] is None
    release.set()
    await asyncio.sleep(0.1)
    assert (await shares_api()).json()["shares"][0]["files"] == 0


async def test_filesystem_level_read_only_is_reported(shares_api, make_share, monkeypatch):
    await make_share("Demo", "Model")
    assert (await shares_api()).json()["shares"][0]["filesystem_read_only"] is False
    real_access = os.access

    def access(path, mode, **kwargs):
        if str(path).endswith(os.path.join("demo", "model")) and mode == os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(provider_module.os, "access", access)
    assert (await shares_api()).json()["shares"][0]["filesystem_read_only"] is True


async def test_info_lists_the_shares_feature(fetch):
    assert "shares" in (await fetch("api", "capella-share", "info")).json()["features"]


class TestSharesRootInside:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return {**jp_server_config, "CapellaShareApp": {"shares_root": "projects"}}

    async def test_shares_are_made_under_it(self, shares_api, jp_root_dir):
        response = await shares_api("POST", body={"project": "Demo", "model": "Model"})
        assert response.code == 201
        assert response.json()["path"] == "projects/demo/model"
        assert (jp_root_dir / "projects" / "demo" / "model").is_dir()
        assert (await shares_api()).json()["shares_root"] == "projects"


class TestSharesRootOutside:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return {**jp_server_config, "CapellaShareApp": {"shares_root": "../elsewhere"}}

    async def test_shares_are_off_with_a_clear_message(
        self, shares_api, fetch, jp_root_dir, capella
    ):
        assert capella.shares is None
        assert "outside the server's root directory" in capella._shares_off
        response = await shares_api()
        assert response.code == 503
        assert "outside the server's root directory" in response.json()["message"]
        posted = await shares_api("POST", body={"project": "Demo", "model": "Model"})
        assert posted.code == 503
        assert not (jp_root_dir.parent / "elsewhere").exists()
        assert "shares" not in (await fetch("api", "capella-share", "info")).json()["features"]
