"""The Lab page's config: a guest's page never carries the owner's token."""

from __future__ import annotations

import json
import re

import pytest

from capella_share.app import DISABLED_PLUGINS

CONFIG_DATA = re.compile(
    r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S
)


def _page_config(html: bytes) -> dict:
    match = CONFIG_DATA.search(html.decode())
    assert match, "the Lab page carries no config data"
    return json.loads(match.group(1))


@pytest.fixture
def owner_token(jp_serverapp):
    token = jp_serverapp.identity_provider.token
    assert token
    return token


async def test_the_owners_page_carries_the_owners_token(fetch, owner_token):
    response = await fetch("lab")
    assert response.code == 200
    assert owner_token in response.body.decode()
    config = _page_config(response.body)
    assert config["token"] == owner_token
    assert config["terminalsAvailable"] is True
    assert set(DISABLED_PLUGINS) <= set(config["disabledExtensions"])


@pytest.mark.parametrize("level", ["view", "edit", "full"])
@pytest.mark.parametrize("how", ["query", "header", "cookie"])
async def test_a_guests_page_never_carries_the_owners_token(
    level, how, fetch, make_link, guest_login, owner_token
):
    _, token = await make_link(level)
    if how == "query":
        response = await fetch("lab", token="", params={"token": token})
    elif how == "header":
        response = await fetch("lab", token=token)
    else:
        response = await fetch("lab", headers=await guest_login(token))
    assert response.code == 200
    html = response.body.decode()
    assert owner_token not in html
    config = _page_config(response.body)
    assert config["token"] == ""
    assert config["terminalsAvailable"] is (level == "full")
    assert set(DISABLED_PLUGINS) <= set(config["disabledExtensions"])


async def test_the_hook_does_not_change_the_shared_page_config(fetch, make_link, owner_token):
    """jupyterlab_server hands every page the same dict: a guest's page must not
    change what the owner's page (or the next guest's) gets."""
    _, token = await make_link("view")
    for _ in range(2):
        guest = _page_config((await fetch("lab", token=token)).body)
        owner = _page_config((await fetch("lab")).body)
        assert guest["token"] == "" and owner["token"] == owner_token
        assert owner["terminalsAvailable"] is True
        assert len(owner["disabledExtensions"]) == len(set(owner["disabledExtensions"]))
        assert len(guest["disabledExtensions"]) == len(set(guest["disabledExtensions"]))


async def test_a_guest_page_for_a_file_has_no_owner_token(
    fetch, make_link, jp_create_notebook, owner_token
):
    jp_create_notebook("n.ipynb")
    model, _ = await make_link("view", path="n.ipynb")
    query = model["url"].split("?", 1)[1]
    response = await fetch("lab", "tree", "n.ipynb", token="", params=dict([query.split("=")]))
    assert response.code == 200
    assert owner_token not in response.body.decode()
