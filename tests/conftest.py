"""Fixtures: a real in-process Jupyter server with authentication on, and helpers
to act as the owner or as a guest holding a link."""

from __future__ import annotations

import json
import typing as t

import pytest
from tornado.httpclient import HTTPClientError

pytest_plugins = ("pytest_jupyter.jupyter_server",)

LEVELS = ("view", "edit", "full")


@pytest.fixture
def jp_server_config(jp_server_config):
    return {
        "ServerApp": {
            "jpserver_extensions": {
                "capella_share": True,
                "jupyter_server_terminals": True,
                "jupyterlab": True,
            },
            # every endpoint must require authentication
            "allow_unauthenticated_access": False,
        }
    }


class Response(t.NamedTuple):
    code: int
    body: bytes
    headers: t.Any

    def json(self) -> t.Any:
        return json.loads(self.body)


@pytest.fixture
def fetch(jp_fetch):
    """jp_fetch that returns error responses instead of raising them."""

    async def _fetch(*parts, token: str | None = None, **kwargs) -> Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token is not None:
            headers["Authorization"] = f"token {token}" if token else ""
        try:
            response = await jp_fetch(*parts, headers=headers, **kwargs)
        except HTTPClientError as error:
            response = error.response
            assert response is not None, error
        return Response(response.code, response.body or b"", response.headers)

    return _fetch


@pytest.fixture
def make_link(fetch):
    """Create a link as the owner; return (model, token)."""

    async def _make(permission: str = "view", **fields) -> tuple[dict, str]:
        body = {"permission": permission, "expires_in": None, **fields}
        response = await fetch(
            "api", "capella-share", "links", method="POST", body=json.dumps(body)
        )
        assert response.code == 201, response.body
        model = response.json()
        return model, model["token"]

    return _make


@pytest.fixture
def capella(jp_serverapp):
    """The loaded CapellaShareApp."""
    apps = jp_serverapp.extension_manager.extension_apps["capella_share"]
    return next(iter(apps))
