"""Every reach into Jupyter's internals is checked at start (capella_share.upstream).

On the installed versions every touchpoint is in place. When one is not (an
upgrade renamed or moved what it relies on, simulated here by removing the name),
guest access is off: links are refused, a live link's token is nobody, ``GET info``
and the log say which touchpoint and which versions; the owner's use goes on.
"""

from __future__ import annotations

import json

import pytest
from helpers import with_collaboration

from capella_share import routeguard, upstream


async def test_every_touchpoint_is_in_place_on_the_installed_versions(fetch, capella):
    info = (await fetch("api", "capella-share", "info")).json()
    assert info["upstream"] == [] and info["guests_off"] is None
    assert "links" in info["features"]
    assert upstream.problems(capella.serverapp) == []
    assert len(upstream.CHECKS) >= 8


async def test_a_guest_is_let_in_while_all_is_in_place(fetch, make_link):
    _, token = await make_link("view")
    response = await fetch("api", "contents", token=token)
    assert response.code == 200


def _without_fork_rooms(monkeypatch):
    from jupyter_server_ydoc import handlers

    monkeypatch.delattr(handlers, "FORK_ROOMS")


def _without_v1_decoder(monkeypatch):
    from jupyter_server.services.kernels.connection import base

    monkeypatch.delattr(base, "deserialize_msg_from_ws_v1")


def _document_socket_renamed(monkeypatch):
    # as if jupyter-collaboration renamed the class the RTC guard wraps: the
    # guard's name no longer matches any route while its package serves others
    name = "jupyter_server_ydoc.handlers.YDocWebSocketHandler"
    guards = {k.replace(name, name + "V2"): v for k, v in routeguard.GUARDS.items()}
    monkeypatch.setattr(routeguard, "GUARDS", guards)


def _room_path_gone(monkeypatch):
    from jupyter_server_ydoc.handlers import YDocWebSocketHandler

    monkeypatch.delattr(YDocWebSocketHandler, "path")


def _workspaces_manager_moved(monkeypatch):
    from jupyterlab_server.workspaces_handler import WorkspacesHandler

    def initialize(self, name, **kwargs):  # no manager passed in any more
        super(WorkspacesHandler, self).initialize(name)

    monkeypatch.setattr(WorkspacesHandler, "initialize", initialize)


def _settings_dir_moved(monkeypatch):
    from jupyterlab_server.settings_handler import SettingsHandler
    from tornado import web

    @web.authenticated
    def put(self, schema_name):  # user settings kept some other way
        self.set_status(204)

    monkeypatch.setattr(SettingsHandler, "put", put)


MOVED = {
    "RTC documents": _without_fork_rooms,
    "kernel messages": _without_v1_decoder,
    "routes": _document_socket_renamed,
    "RTC documents (room id)": _room_path_gone,
    "Lab pages, workspaces and settings": _workspaces_manager_moved,
    "Lab pages, workspaces and settings (settings)": _settings_dir_moved,
}


class TestAMovedShape:
    @pytest.fixture(params=sorted(MOVED))
    def moved(self, request, monkeypatch):
        """The touchpoint whose upstream shape is gone (before the server starts)."""
        MOVED[request.param](monkeypatch)
        return request.param.partition(" (")[0]

    @pytest.fixture
    def errors(self, capfd):
        """What the server writes to stderr, from before it starts (its log)."""
        return capfd

    @pytest.fixture
    def jp_server_config(self, moved, errors, jp_server_config, jp_root_dir, jp_data_dir):
        return with_collaboration(jp_server_config, jp_root_dir, jp_data_dir)

    async def test_turns_guest_access_off(self, moved, errors, fetch, capella):
        info = (await fetch("api", "capella-share", "info")).json()
        assert [p["touchpoint"] for p in info["upstream"]] == [moved]
        assert info["guests_off"] and moved in info["guests_off"]
        assert "jupyter_server " in info["guests_off"]  # the installed versions are named
        assert "links" not in info["features"]
        assert info["links_unavailable"] == info["guests_off"]

        # no new link
        body = json.dumps({"permission": "view", "expires_in": None})
        refused = await fetch("api", "capella-share", "links", method="POST", body=body)
        assert refused.code == 403
        assert "Guest access is off" in refused.json()["message"]

        # a link made anyway (in the registry itself) lets nobody in, by header or URL
        _, token = capella.links.create("full")
        assert (await fetch("api", "contents", token=token)).code == 403
        assert (await fetch("api", "capella-share", "session", token=token)).code == 403
        page = await fetch("lab", params={"token": token}, token="", follow_redirects=False)
        assert page.code in (302, 403) and not any(
            "-guest=" in c for c in page.headers.get_list("Set-Cookie")
        )

        # the owner works as before
        assert (await fetch("api", "contents")).code == 200
        assert (await fetch("lab")).code == 200

        # said once, at start, naming the touchpoint and the versions
        capella._check_upstream()
        logged = errors.readouterr().err.splitlines()
        said = [line for line in logged if line.startswith("[E ") and moved in line]
        assert len(said) == 1, said
        assert "Installed: tornado " in said[0]
