"""A link opens the page it was shared from: the Lab, or Notebook 7's file
tree, notebook or editor page (the owner's Share button in Notebook 7 made
links that opened the Lab)."""

from __future__ import annotations

import json

import pytest

LINKS = ("api", "capella-share", "links")


async def _link(fetch, **fields) -> tuple[int, dict]:
    body = {"permission": "view", "expires_in": 3600, **fields}
    response = await fetch(*LINKS, method="POST", body=json.dumps(body))
    return response.code, response.json()


@pytest.mark.parametrize(
    ("fields", "opens"),
    [
        ({}, "/lab?token="),
        ({"page": "lab", "path": "a b/c.ipynb"}, "/lab/tree/a%20b/c.ipynb?token="),
        ({"page": "tree"}, "/tree?token="),
        ({"page": "tree", "path": "reports"}, "/tree/reports?token="),
        ({"page": "notebooks", "path": "a b/c.ipynb"}, "/notebooks/a%20b/c.ipynb?token="),
        ({"page": "edit", "path": "model.py"}, "/edit/model.py?token="),
    ],
)
async def test_a_link_opens_the_page_it_was_made_for(fetch, fields, opens):
    code, model = await _link(fetch, **fields)
    assert code == 201, model
    assert opens in model["url"]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"page": "console"}, "page must be one of lab, tree, notebooks, edit"),
        ({"page": "notebooks"}, "give its path"),
        ({"page": 7}, "page must be one of"),
        ({"page": "edit", "path": "../x.py"}, "relative path inside"),
    ],
)
async def test_a_page_that_cannot_be_is_a_clear_400(fetch, fields, says):
    code, model = await _link(fetch, **fields)
    assert code == 400
    assert says in model["message"]


async def test_the_session_url_is_that_of_the_page_asked_about(fetch):
    session = ("api", "capella-share", "session")
    assert (await fetch(*session)).json()["url"].endswith("/lab")
    tree = await fetch(*session, params={"page": "tree"})
    assert tree.json()["url"].endswith("/tree")
    notebook = await fetch(*session, params={"page": "notebooks", "path": "n.ipynb"})
    assert notebook.json()["url"].endswith("/notebooks/n.ipynb")
    bad = await fetch(*session, params={"page": "terminals"})
    assert bad.code == 400


class TestNotebook7:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        config = {**jp_server_config, "ServerApp": dict(jp_server_config["ServerApp"])}
        extensions = {**config["ServerApp"]["jpserver_extensions"], "notebook": True}
        config["ServerApp"]["jpserver_extensions"] = extensions
        return config

    async def test_a_guest_opens_its_tree_with_a_tree_link(self, fetch, make_link):
        _, token = await make_link("view", page="tree")
        page = await fetch("tree", params={"token": token}, token="")
        assert page.code == 200
        assert b"jupyter-config-data" in page.body
