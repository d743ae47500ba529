"""The tests' fixtures, as a pytest plugin: a real in-process Jupyter server with
authentication on, and fixtures to act as the owner or as a guest holding a link,
over HTTP, websockets and RTC."""

from __future__ import annotations

import gc
import json
import threading
import typing as t
import urllib.parse
import uuid

import pytest
from helpers import V1, KernelClient, Response, Terminal, YClient, write_notebook
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect


@pytest.fixture
def jp_server_config(jp_server_config, tmp_path):
    return {
        # each test's own Lab workspaces, not the user's (shared by every test)
        "LabApp": {"workspaces_dir": str(tmp_path / "lab-workspaces")},
        "ServerApp": {
            "jpserver_extensions": {
                "capella_share": True,
                "jupyter_server_terminals": True,
                "jupyterlab": True,
            },
            # every endpoint must require authentication
            "allow_unauthenticated_access": False,
        },
    }


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


#: Figures tests report for the run's summary (e.g. revoke -> websocket close times).
_REPORT: dict[str, list[str]] = {}


def pytest_terminal_summary(terminalreporter):
    for title, lines in _REPORT.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def report():
    """Record a line for the end-of-run summary: ``report(section, line)``."""

    def _report(section: str, line: str) -> None:
        _REPORT.setdefault(section, []).append(line)

    return _report


@pytest.fixture
def browser_host(jp_http_port):
    """The Host a browser would send. Login cookies are named after the host, and
    jp_ws_fetch connects to ``localhost``, so cookie tests use that name throughout."""
    return f"localhost:{jp_http_port}"


@pytest.fixture
def guest_login(fetch, browser_host):
    """Open ``lab?token=<link token>`` as a browser would; return the headers that
    browser sends afterwards: its cookies, and no Authorization header."""

    async def _login(token: str) -> dict[str, str]:
        response = await fetch(
            "lab", params={"token": token}, token="", headers={"Host": browser_host}
        )
        assert response.code == 200, response.code
        cookies = [c.split(";", 1)[0] for c in response.headers.get_list("Set-Cookie")]
        assert any("-guest=" in cookie for cookie in cookies), cookies
        return {"Authorization": "", "Host": browser_host, "Cookie": "; ".join(cookies)}

    return _login


@pytest.fixture
def ws_connect(jp_ws_fetch):
    """Open a websocket as the owner (default), with a token, or with given headers."""

    async def _connect(*parts, token: str | None = None, headers=None, **kwargs):
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"token {token}" if token else ""
        return await jp_ws_fetch(*parts, headers=headers, **kwargs)

    return _connect


@pytest.fixture
def ws_status(ws_connect):
    """101 if the websocket opens (it is closed again at once), else the HTTP code."""

    async def _status(*parts, **kwargs) -> int:
        try:
            connection = await ws_connect(*parts, **kwargs)
        except HTTPClientError as error:
            return error.code
        connection.close()
        return 101

    return _status


# -- project shares ---------------------------------------------------------------------
@pytest.fixture
def shares_api(fetch):
    """Call ``api/capella-share/shares[/...]``: ``await shares_api("POST", body={...})``,
    ``await shares_api("DELETE", "demo", "model", body={"confirm": ...}, token=...)``."""

    async def _call(method: str = "GET", *parts: str, body: t.Any = None, **kwargs) -> Response:
        if body is not None:
            kwargs["body"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["allow_nonstandard_methods"] = True
        return await fetch("api", "capella-share", "shares", *parts, method=method, **kwargs)

    return _call


@pytest.fixture
def make_share(shares_api):
    """Create a share as the owner; return its model."""

    async def _make(project: str, model: str, permission: str = "read-write") -> dict:
        response = await shares_api(
            "POST", body={"project": project, "model": model, "permission": permission}
        )
        assert response.code == 201, response.body
        return response.json()

    return _make


def pytest_unconfigure(config):
    """Let the interpreter exit. AnyIO stops its worker threads when their event
    loop's root task ends; a test server's loop closed another way leaves them
    waiting for work, and Python waits for such threads at exit (a run was seen
    to hang after its summary). A None in a worker's queue is its stop command."""
    for thread in threading.enumerate():
        work = getattr(thread, "queue", None)
        if thread.name == "AnyIO worker thread" and work is not None:
            work.put(None)


# -- real-time collaboration ----------------------------------------------------------------
@pytest.fixture
def collect_documents():
    """Collect, on the test's own thread, the documents a test leaves behind once
    the server that held their rooms has stopped. Requested first, so that it ends
    last. A document of jupyter_ydoc holds an undo manager that pycrdt (before
    0.14) refuses to drop on another thread; left as cyclic garbage, it would be
    collected wherever the collector next runs (a server's worker thread)."""
    yield
    gc.collect()


@pytest.fixture
def room_socket(collect_documents, jp_http_port, jp_base_url, jp_auth_header):
    """Open a room's websocket as the owner, or with the given headers. The room id
    goes into the URL as JupyterLab sends it (``:`` not escaped: an escaped id names
    another, transient room)."""

    async def _connect(room_id: str, session_id: str, headers: dict | None = None):
        url = f"ws://localhost:{jp_http_port}{jp_base_url}api/collaboration/room/{room_id}"
        request = HTTPRequest(
            f"{url}?{urllib.parse.urlencode({'sessionId': session_id})}",
            headers={**jp_auth_header, **(headers or {})},
        )
        return await websocket_connect(request)

    return _connect


@pytest.fixture
def rtc_open(collect_documents, fetch, room_socket, jp_root_dir):
    """Open ``path`` as a collaborator (the owner, or with the given headers);
    return a synced YClient."""
    clients: list[YClient] = []

    async def _open(path: str, headers: dict | None = None, wrap=lambda c: c) -> YClient:
        if not (jp_root_dir / path).exists():
            write_notebook(jp_root_dir, path)
        session = await fetch(
            "api",
            "collaboration",
            "session",
            path,
            method="PUT",
            body=json.dumps({"format": "json", "type": "notebook"}),
            headers=headers,
        )
        assert session.code in (200, 201), session.body
        model = session.json()
        room_id = f"json:notebook:{model['fileId']}"
        connection = await room_socket(room_id, model["sessionId"], headers)
        client = YClient(wrap(connection), room_id)
        clients.append(client)
        await client.sync()
        return client

    yield _open
    for client in clients:
        client.close()


@pytest.fixture
def room_source(jp_serverapp):
    """The first cell's source in the server's copy of a room's document."""

    async def _source(room_id: str) -> str:
        ydoc_app = next(iter(jp_serverapp.extension_manager.extension_apps["jupyter_server_ydoc"]))
        document = await ydoc_app.get_document(room_id=room_id, copy=True)
        return document.get_cell(0)["source"]

    return _source


@pytest.fixture
def room_cells(jp_serverapp):
    """The cells of the server's copy of a room's document."""

    async def _cells(room_id: str) -> list[dict]:
        ydoc_app = next(iter(jp_serverapp.extension_manager.extension_apps["jupyter_server_ydoc"]))
        document = await ydoc_app.get_document(room_id=room_id, copy=True)
        return [document.get_cell(i) for i in range(document.cell_number)]

    return _cells


# -- kernels and terminals -------------------------------------------------------------------
@pytest.fixture
def start_kernel(fetch):
    """Start a kernel through POST api/kernels or api/sessions, as ``token``'s
    holder (the owner by default); return its id."""

    async def _start(via: str = "kernels", token: str | None = None) -> str:
        if via == "kernels":
            body = {"name": "python3"}
        else:
            name = f"{uuid.uuid4().hex[:8]}.ipynb"
            body = {"path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}}
        response = await fetch("api", via, method="POST", body=json.dumps(body), token=token)
        assert response.code == 201, response.body
        model = response.json()
        return model["id"] if via == "kernels" else model["kernel"]["id"]

    return _start


@pytest.fixture
def kernel_client(ws_connect):
    """Open a kernel's websocket as ``token``'s holder (the owner by default)."""
    opened: list[t.Any] = []

    async def _open(kernel_id: str, token: str | None = None, v1: bool = False) -> KernelClient:
        connection = await ws_connect(
            "api",
            "kernels",
            kernel_id,
            "channels",
            token=token,
            subprotocols=[V1] if v1 else None,
        )
        opened.append(connection)
        assert (connection.selected_subprotocol == V1) is v1
        return KernelClient(connection, v1)

    yield _open
    for connection in opened:
        connection.close()


@pytest.fixture
def terminal(fetch, ws_connect):
    """Create a terminal as ``token``'s holder (or use terminal ``name``) and open
    its websocket."""
    opened: list[t.Any] = []

    async def _open(token: str | None = None, name: str | None = None) -> tuple[str, Terminal]:
        if name is None:
            response = await fetch("api", "terminals", method="POST", body="{}", token=token)
            assert response.code == 200, response.body
            name = response.json()["name"]
        connection = await ws_connect("terminals", "websocket", name, token=token)
        opened.append(connection)
        return name, Terminal(connection)

    yield _open
    for connection in opened:
        connection.close()
