"""Shares from the platform's manifest: listed and enforced, never changed here."""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
from helpers import until

from capella_share.shares import ManifestShareProvider

MANIFEST = {
    "version": 1,
    "shares": [
        {"project": "Demo project", "model": "Reference", "permission": "read-only"},
        {"project": "Demo project", "model": "Scratch", "permission": "read-write"},
        {
            "project": "Mounted",
            "model": "Data",
            "permission": "read-only",
            "path": "mnt/platform-data",
        },
    ],
}


@pytest.fixture
def manifest(tmp_path, jp_root_dir):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(MANIFEST))
    for folder in ("demo-project/reference", "demo-project/scratch", "mnt/platform-data"):
        (jp_root_dir / folder).mkdir(parents=True)
    (jp_root_dir / "demo-project" / "reference" / "given.txt").write_text("given")
    return path


@pytest.fixture
def jp_server_config(jp_server_config, manifest):
    return {**jp_server_config, "CapellaShareApp": {"manifest_path": str(manifest)}}


async def put_text(fetch, path: str, text: str = "x"):
    body = json.dumps({"type": "file", "format": "text", "content": text})
    return await fetch("api", "contents", path, method="PUT", body=body)


async def test_the_manifest_shares_are_listed(shares_api, capella):
    assert isinstance(capella.shares, ManifestShareProvider)
    listing = (await shares_api()).json()
    assert listing["managed"] is True
    assert listing["source"] == "manifest"
    shares = {(s["project"], s["model"]): s for s in listing["shares"]}
    assert shares[("demo-project", "reference")]["permission"] == "read-only"
    assert shares[("demo-project", "reference")]["files"] == 1
    assert shares[("demo-project", "scratch")]["permission"] == "read-write"
    assert shares[("mounted", "data")]["path"] == "mnt/platform-data"


async def test_the_manifest_permissions_are_enforced(fetch):
    assert (await put_text(fetch, "demo-project/reference/new.txt")).code == 403
    assert (await put_text(fetch, "mnt/platform-data/new.txt")).code == 403
    assert (await put_text(fetch, "demo-project/scratch/new.txt")).code == 201


@pytest.mark.parametrize(
    ("method", "parts", "body"),
    [
        ("POST", (), {"project": "New", "model": "Share"}),
        ("PATCH", ("demo-project", "reference"), {"permission": "read-write"}),
        ("DELETE", ("demo-project", "scratch"), {"confirm": "demo-project/scratch"}),
    ],
)
async def test_changes_are_refused(shares_api, jp_root_dir, method, parts, body):
    response = await shares_api(method, *parts, body=body)
    assert response.code == 403
    assert "managed by the platform" in response.json()["message"]
    assert (jp_root_dir / "demo-project" / "scratch").is_dir()
    assert not (jp_root_dir / "new").exists()


async def test_archive_still_works(shares_api):
    assert (await shares_api("GET", "demo-project", "reference", "archive")).code == 200


async def test_a_changed_manifest_is_picked_up(fetch, shares_api, manifest):
    changed = json.loads(json.dumps(MANIFEST))
    changed["shares"][1]["permission"] = "read-only"
    manifest.write_text(json.dumps(changed))

    async def refused() -> bool:
        return (await put_text(fetch, "demo-project/scratch/probe.txt")).code == 403

    await until(refused, 3, "the server never took the changed manifest")
    permissions = {s["model"]: s["permission"] for s in (await shares_api()).json()["shares"]}
    assert permissions["scratch"] == "read-only"


async def test_a_broken_manifest_keeps_the_last_good_one(shares_api, fetch, manifest):
    manifest.write_text("{not json")
    os.utime(manifest, (time.time() + 5, time.time() + 5))
    await asyncio.sleep(1.1)
    listing = (await shares_api()).json()
    assert "cannot be read" in listing["problem"]
    assert len(listing["shares"]) == 3
    assert (await put_text(fetch, "demo-project/reference/new.txt")).code == 403


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"shares": {}}, '"shares" list'),
        ({"version": 2, "shares": []}, "version 2"),
        ({"shares": [{"project": "../x", "model": "m"}]}, "path separator"),
        ({"shares": [{"project": "p", "model": "m", "permission": "rw"}]}, "permission"),
        ({"shares": [{"project": "p", "model": "m", "path": "../out"}]}, "relative path"),
        ({"shares": [{"project": "p", "model": "m", "path": "/etc"}]}, "relative path"),
        ({"shares": [{"project": "p", "model": "m", "owner": "x"}]}, "unknown field"),
        ({"shares": [{"project": "p", "model": "m"}, {"project": "P", "model": "M"}]}, "twice"),
    ],
)
def test_invalid_manifests_are_explained(tmp_path, document, says):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    provider = ManifestShareProvider(
        root_dir=str(tmp_path), shares_root=str(tmp_path), manifest_path=str(path)
    )
    try:
        assert provider.list_shares() == []
        assert says in provider.error
        assert str(path) in provider.error
    finally:
        provider.close()


class TestFromTheEnvironment:
    @pytest.fixture
    def jp_server_config(self, jp_server_config, manifest, monkeypatch):
        monkeypatch.setenv("CAPELLA_SHARE_MANIFEST", str(manifest))
        config = dict(jp_server_config)
        config.pop("CapellaShareApp", None)
        return config

    async def test_the_variable_names_the_manifest(self, shares_api, capella, manifest):
        assert capella.manifest_path == str(manifest)
        assert (await shares_api()).json()["managed"] is True
