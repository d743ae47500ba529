"""The guests' own Lab workspaces: a guest never reaches the owner's layout nor
another link's, a link's workspaces go when it ends, and a guest's workspaces are
limited in size and number (the owner's are not)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from capella_share.routeguard import GUEST_WORKSPACES

pytestmark = pytest.mark.timeout(120)

LINKS = ("api", "capella-share", "links")
MiB = 1024 * 1024


# -- a guest's own workspace -------------------------------------------------------
OWNER_LAYOUT = {"layout-restorer:data": {"main": {"current": "owner.ipynb"}}}


async def _workspace(fetch, **auth):
    response = await fetch("lab", "api", "workspaces", "default", **auth)
    assert response.code == 200, response.body
    return response.json()["data"]


async def _save_workspace(fetch, data, **auth):
    body = json.dumps({"data": data, "metadata": {"id": "default"}})
    response = await fetch("lab", "api", "workspaces", "default", method="PUT", body=body, **auth)
    assert response.code == 204, response.body


async def test_guests_never_touch_the_owners_workspace(fetch, make_link, guest_login):
    await _save_workspace(fetch, OWNER_LAYOUT)
    _, view_token = await make_link("view")
    _, full_token = await make_link("full")

    assert await _workspace(fetch, token=view_token) == {}
    await _save_workspace(fetch, {"guest": "view"}, token=view_token)
    await _save_workspace(fetch, {"guest": "full"}, token=full_token)

    assert await _workspace(fetch) == OWNER_LAYOUT
    listing = (await fetch("lab", "api", "workspaces", token=view_token)).json()
    assert "owner.ipynb" not in json.dumps(listing)

    browser = await guest_login(full_token)
    xsrf = re.search(r"_xsrf=([^;]+)", browser["Cookie"]).group(1)
    writes = {**browser, "X-XSRFToken": xsrf}
    await _save_workspace(fetch, {"guest": "full"}, headers=writes)
    deleted = await fetch("lab", "api", "workspaces", "default", method="DELETE", headers=writes)
    assert deleted.code == 204
    assert await _workspace(fetch, headers=browser) == {}
    assert await _workspace(fetch) == OWNER_LAYOUT


async def test_a_links_guest_workspaces_go_when_the_link_ends(fetch, make_link, jp_serverapp):
    model, token = await make_link("view")
    _, other = await make_link("view")
    await _save_workspace(fetch, {"guest": "gone"}, token=token)
    await _save_workspace(fetch, {"guest": "kept"}, token=other)
    (lab,) = jp_serverapp.extension_manager.extension_apps["jupyterlab"]
    workspaces = Path(lab.workspaces_dir) / GUEST_WORKSPACES
    folder = workspaces / f"guest-{model['id']}-api"
    assert folder.is_dir()
    assert (await fetch(*LINKS, model["id"], method="DELETE")).code == 204
    for _ in range(50):
        if not folder.exists():
            break
        await asyncio.sleep(0.05)
    assert not folder.exists()
    assert await _workspace(fetch, token=other) == {"guest": "kept"}


async def test_a_guest_keeps_its_own_workspace(fetch, make_link, guest_login):
    _, token = await make_link("view")
    browser = await guest_login(token)
    xsrf = re.search(r"_xsrf=([^;]+)", browser["Cookie"]).group(1)
    layout = {"layout-restorer:data": {"main": {"current": "guest.ipynb"}}}
    await _save_workspace(fetch, layout, headers={**browser, "X-XSRFToken": xsrf})
    assert await _workspace(fetch, headers=browser) == layout
    _, other = await make_link("view")
    assert await _workspace(fetch, token=other) == {}


# -- limits ------------------------------------------------------------------------


def _workspace_body(space: str, data: dict) -> str:
    return json.dumps({"data": data, "metadata": {"id": f"/{space}"}})


async def _put_workspace(fetch, space: str, data: dict, **auth):
    body = _workspace_body(space, data)
    return await fetch("lab", "api", "workspaces", space, method="PUT", body=body, **auth)


@pytest.fixture
def workspaces_dir(jp_serverapp) -> Path:
    (lab,) = jp_serverapp.extension_manager.extension_apps["jupyterlab"]
    return Path(lab.workspaces_dir)


def _guest_files(workspaces_dir: Path) -> dict[str, int]:
    root = workspaces_dir / GUEST_WORKSPACES
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


async def test_a_guests_big_workspace_is_refused_and_not_written(fetch, make_link, workspaces_dir):
    _, token = await make_link("view")
    assert (await _put_workspace(fetch, "small", {"tabs": 1}, token=token)).code == 204
    before = _guest_files(workspaces_dir)

    response = await _put_workspace(fetch, "big", {"pad": "x" * (40 * MiB)}, token=token)
    assert response.code == 413, response.body[:300]
    message = response.json()["message"]
    assert "guest_workspace_max_bytes" in message and str(MiB) in message
    assert _guest_files(workspaces_dir) == before
    # re-saving the small one over with a big layout is refused too, and leaves it as it was
    response = await _put_workspace(fetch, "small", {"pad": "x" * (2 * MiB)}, token=token)
    assert response.code == 413
    assert _guest_files(workspaces_dir) == before


async def test_a_guest_keeps_at_most_ten_workspaces(fetch, make_link, workspaces_dir):
    _, token = await make_link("edit")
    for number in range(10):
        response = await _put_workspace(fetch, f"space-{number}", {"n": number}, token=token)
        assert response.code == 204, (number, response.body)

    eleventh = await _put_workspace(fetch, "space-10", {"n": 10}, token=token)
    assert eleventh.code == 413, eleventh.body
    assert "guest_workspace_max_count" in eleventh.json()["message"]
    assert len(_guest_files(workspaces_dir)) == 10

    # saving one it has still works, and deleting one makes room for another
    again = await _put_workspace(fetch, "space-3", {"n": "three"}, token=token)
    assert again.code == 204, again.body
    loaded = await fetch("lab", "api", "workspaces", "space-3", token=token)
    assert loaded.json()["data"] == {"n": "three"}
    deleted = await fetch("lab", "api", "workspaces", "space-0", method="DELETE", token=token)
    assert deleted.code == 204
    assert (await _put_workspace(fetch, "space-10", {"n": 10}, token=token)).code == 204
    # the count is each link's own
    _, other = await make_link("view")
    assert (await _put_workspace(fetch, "space-11", {}, token=other)).code == 204


def _with_xsrf(browser: dict[str, str]) -> dict[str, str]:
    """A browser's headers for a change: its cookies and the XSRF token among them."""
    xsrf = re.search(r"_xsrf=([^;]+)", browser["Cookie"])
    assert xsrf is not None, browser
    return {**browser, "X-XSRFToken": xsrf.group(1)}


async def test_opening_a_link_again_gives_no_more_workspaces(
    fetch, make_link, guest_login, workspaces_dir
):
    _, token = await make_link("edit")
    first = _with_xsrf(await guest_login(token))
    for number in range(10):
        response = await _put_workspace(fetch, f"space-{number}", {}, headers=first)
        assert response.code == 204, (number, response.body)
    second = _with_xsrf(await guest_login(token))  # the same link opened again: another guest
    assert second["Cookie"] != first["Cookie"]
    refused = await _put_workspace(fetch, "space-new", {}, headers=second)
    assert refused.code == 413, refused.body
    assert "guests of a link" in refused.json()["message"]
    assert len(_guest_files(workspaces_dir)) == 10


async def test_the_owners_workspaces_are_not_limited(fetch, workspaces_dir):
    response = await _put_workspace(fetch, "owner-big", {"pad": "x" * (8 * MiB)})
    assert response.code == 204, response.body[:300]
    for number in range(12):
        assert (await _put_workspace(fetch, f"owner-{number}", {})).code == 204
    sizes = [p.stat().st_size for p in workspaces_dir.glob("*.jupyterlab-workspace")]
    assert len(sizes) == 13 and max(sizes) > 8 * MiB
