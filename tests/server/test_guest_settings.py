"""A guest's Lab settings are its own: its theme and other preferences are kept
and used (the Lab's Settings menu works for it), and never reach the owner's
settings or another guest's; they go with their link."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from capella_share.routeguard import GUEST_WORKSPACES

THEMES = "@jupyterlab/apputils-extension:themes"


async def _theme(fetch, headers: dict[str, str] | None = None) -> str | None:
    response = await fetch("lab", "api", "settings", THEMES, headers=headers or {})
    assert response.code == 200, response.body
    return response.json()["settings"].get("theme")


async def _set_theme(fetch, theme: str, headers: dict[str, str] | None = None):
    headers = dict(headers or {})
    cookie = headers.get("Cookie", "")
    xsrf = re.search(r"_xsrf=([^;]+)", cookie)
    if xsrf:
        headers["X-XSRFToken"] = xsrf.group(1)
    body = json.dumps({"raw": json.dumps({"theme": theme})})
    return await fetch("lab", "api", "settings", THEMES, method="PUT", body=body, headers=headers)


async def test_a_view_guest_changes_its_own_theme_not_the_owners(
    fetch, make_link, guest_login, jp_serverapp
):
    assert (await _set_theme(fetch, "JupyterLab Light")).code == 204
    _, token = await make_link("view")
    guest = await guest_login(token)
    assert (await _set_theme(fetch, "JupyterLab Dark", guest)).code == 204
    assert await _theme(fetch, guest) == "JupyterLab Dark"
    # the owner's stays
    assert await _theme(fetch) == "JupyterLab Light"
    # another guest (of the same link, another browser) starts from the defaults
    other = await guest_login(token)
    assert await _theme(fetch, other) != "JupyterLab Dark"


async def test_a_guests_settings_go_with_its_link(fetch, make_link, jp_serverapp):
    model, token = await make_link("edit")
    _, other = await make_link("edit")
    guest, kept = {"Authorization": f"token {token}"}, {"Authorization": f"token {other}"}
    assert (await _set_theme(fetch, "JupyterLab Dark", guest)).code == 204
    assert (await _set_theme(fetch, "JupyterLab Dark", kept)).code == 204
    (lab,) = jp_serverapp.extension_manager.extension_apps["jupyterlab"]
    folder = Path(lab.user_settings_dir) / GUEST_WORKSPACES / f"guest-{model['id']}-api"
    assert list(folder.rglob("*.jupyterlab-settings")), "kept while the link lives"
    assert (await fetch("api", "capella-share", "links", model["id"], method="DELETE")).code == 204
    for _ in range(50):
        if not folder.exists():
            break
        await asyncio.sleep(0.05)
    assert not folder.exists()
    assert await _theme(fetch, kept) == "JupyterLab Dark"


async def test_oversized_settings_are_refused(fetch, make_link, guest_login):
    _, token = await make_link("view")
    guest = await guest_login(token)
    response = await _set_theme(fetch, "x" * (2 * 1024 * 1024), guest)
    assert response.code == 413
