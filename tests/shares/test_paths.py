"""Never a 500 for a path: every malformed path answers 4xx with a message and writes nothing.

Requests are sent with their paths exactly as written here (no client-side escaping),
so double-encoded forms reach the server as an attacker would send them.
"""

from __future__ import annotations

import json
import os
import urllib.parse

import pytest
from helpers import Response, snapshot
from tornado.httpclient import HTTPClientError

#: Malformed paths as sent in a URL (``{ro}``: a read-only share, ``{rw}``: a
#: read-write one). A body carries the same path decoded once, as the server sees it.
FORMS = {
    "double-encoded dot-dot": "{ro}/%252e%252e/x.txt",
    "double-encoded dot-dot out of the root": "{ro}/%252e%252e/%252e%252e/%252e%252e/x.txt",
    "double-encoded dot-dot alone": "{ro}/%252e%252e",
    "double-encoded slash": "{ro}/%252e%252e%252fx.txt",
    "double-encoded backslash": "{ro}/%252e%252e%255cx.txt",
    "double-encoded NUL": "{ro}/x%2500.txt",
    "encoded dot-dot": "{ro}/%2e%2e/x.txt",
    "encoded dot-dot alone": "{ro}/%2e%2e",
    "encoded slash and dot-dot": "{ro}/..%2fx.txt",
    "dot-dot": "{ro}/../x.txt",
    "dot-dot back into the share": "{ro}/../frozen/data.txt",
    "dot-dot alone": "{ro}/..",
    "dot": "{ro}/./data.txt",
    "backslash": "{ro}/..%5cx.txt",
    "backslashes out of the root": "{ro}/%5c..%5c..%5c..%5cx.txt",
    "NUL": "{ro}/x%00.txt",
    "NUL after a real name": "{ro}/data.txt%00",
    "overlong name": "{ro}/" + "n" * 300 + ".txt",
    "overlong path": "{ro}/" + "/".join(["d" * 200] * 25) + "/x.txt",
    "trailing dot": "{ro}/data.txt.",
    "trailing dot on the share folder": "alpha/frozen./x.txt",
    "trailing space on the share folder": "alpha/frozen%20/x.txt",
    "control character": "{ro}/x%0a.txt",
    "dot-dot in a read-write share": "{rw}/../x.txt",
    "encoded dot-dot in a read-write share": "{rw}/%2e%2e/%2e%2e/x.txt",
    "trailing dot in a read-write share": "{rw}/new.txt.",
    "backslash in a read-write share": "{rw}/a%5cb.txt",
    "control character in a read-write share": "{rw}/new%0d.txt",
}

TEXT = {"type": "file", "format": "text", "content": "written"}

#: How a path is used: (method, URL path, body); ``{p}`` is the path as sent in a
#: URL, ``{d}`` the same path decoded once.
VARIANTS = {
    "GET": ("GET", "api/contents/{p}", None),
    "GET files": ("GET", "files/{p}", None),
    "PUT": ("PUT", "api/contents/{p}", TEXT),
    "PUT a folder": ("PUT", "api/contents/{p}", {"type": "directory"}),
    "POST new": ("POST", "api/contents/{p}", {"type": "file"}),
    "POST copy from": ("POST", "api/contents/{rw}", {"copy_from": "{d}"}),
    "GET checkpoints": ("GET", "api/contents/{p}/checkpoints", None),
    "POST checkpoint": ("POST", "api/contents/{p}/checkpoints", None),
    "POST restore checkpoint": ("POST", "api/contents/{p}/checkpoints/checkpoint", None),
    "DELETE checkpoint": ("DELETE", "api/contents/{p}/checkpoints/checkpoint", None),
    "PATCH rename from": ("PATCH", "api/contents/{p}", {"path": "{rw}/moved.txt"}),
    "PATCH rename to": ("PATCH", "api/contents/outside.txt", {"path": "{d}"}),
    "DELETE": ("DELETE", "api/contents/{p}", None),
}


@pytest.fixture
def jp_server_config(jp_server_config):
    config = dict(jp_server_config)
    config["FileContentsManager"] = {"delete_to_trash": False, "always_delete_dir": True}
    return config


@pytest.fixture
def tree(make_share, shares_api, jp_root_dir, jp_asyncio_loop):
    """alpha/frozen (read-only) and beta/open (read-write), each with files, and
    files beside them; returns the share paths."""

    async def setup() -> dict[str, str]:
        frozen = await make_share("Alpha", "Frozen")
        opened = await make_share("Beta", "Open")
        for share in (frozen, opened):
            folder = jp_root_dir / share["path"]
            (folder / "data.txt").write_text("data")
            (folder / "sub").mkdir()
            (folder / "sub" / "inner.txt").write_text("inner")
        (jp_root_dir / "alpha" / "x.txt").write_text("beside the share")
        (jp_root_dir / "outside.txt").write_text("outside")
        response = await shares_api("PATCH", "alpha", "frozen", body={"permission": "read-only"})
        assert response.code == 200, response.body
        return {"ro": frozen["path"], "rw": opened["path"]}

    return jp_asyncio_loop.run_until_complete(setup())


@pytest.fixture
def raw_fetch(http_server_client, jp_base_url, jp_auth_header):
    """Send a request with its path exactly as given; errors are returned, not raised."""

    async def _fetch(method: str, path: str, body: dict | None, headers: dict) -> Response:
        try:
            response = await http_server_client.fetch(
                f"{jp_base_url}{path}",
                method=method,
                body=None if body is None and method != "POST" else json.dumps(body or {}),
                headers={**jp_auth_header, **headers},
                allow_nonstandard_methods=True,
                request_timeout=20,
            )
        except HTTPClientError as error:
            response = error.response
            assert response is not None, error
        return Response(response.code, response.body or b"", response.headers)

    return _fetch


def _fill(value, names: dict[str, str]):
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    if isinstance(value, str):
        return value.format(**names)
    return value


async def _refused(raw_fetch, tree, jp_root_dir, form: str, variant: str, headers: dict):
    sent = form.format(**tree)
    names = {**tree, "p": sent, "d": urllib.parse.unquote(sent)}
    method, path, body = VARIANTS[variant]
    before = snapshot(jp_root_dir)
    response = await raw_fetch(method, _fill(path, names), _fill(body, names), headers)
    assert 400 <= response.code < 500, (response.code, response.body[:300])
    if path.startswith("api/"):
        assert _message(response), response.body[:300]
    assert snapshot(jp_root_dir) == before


def _message(response: Response) -> str:
    """The error's message: JSON, or the plain text of jupyter_server's contents 404
    (sent as application/json all the same)."""
    try:
        return response.json()["message"]
    except ValueError:
        return response.body.decode()


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
async def test_a_bad_path_is_refused_and_writes_nothing(
    raw_fetch, tree, jp_root_dir, form, variant
):
    await _refused(raw_fetch, tree, jp_root_dir, form, variant, {})


@pytest.mark.parametrize("variant", ["PUT", "POST copy from", "PATCH rename to", "DELETE"])
@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
async def test_a_bad_path_from_an_edit_guest_is_refused_and_writes_nothing(
    raw_fetch, make_link, tree, jp_root_dir, form, variant
):
    _, token = await make_link("edit")
    await _refused(raw_fetch, tree, jp_root_dir, form, variant, {"Authorization": f"token {token}"})


@pytest.mark.parametrize(
    "path",
    [None, 5, ["a"], {"a": 1}, "", "/", "//"],
    ids=["null", "number", "list", "object", "empty", "slash", "slashes"],
)
async def test_a_rename_to_something_that_is_no_path_is_refused(raw_fetch, tree, jp_root_dir, path):
    before = snapshot(jp_root_dir)
    response = await raw_fetch("PATCH", "api/contents/outside.txt", {"path": path}, {})
    assert 400 <= response.code < 500, (response.code, response.body[:300])
    assert response.json()["message"]
    assert snapshot(jp_root_dir) == before


@pytest.mark.parametrize(
    "copy_from", [5, ["a"], {"a": 1}, True], ids=["number", "list", "object", "true"]
)
async def test_a_copy_from_something_that_is_no_path_is_refused(
    raw_fetch, tree, jp_root_dir, copy_from
):
    before = snapshot(jp_root_dir)
    response = await raw_fetch("POST", "api/contents", {"copy_from": copy_from}, {})
    assert 400 <= response.code < 500, (response.code, response.body[:300])
    assert response.json()["message"]
    assert snapshot(jp_root_dir) == before


async def test_good_paths_still_work(raw_fetch, tree, jp_root_dir):
    """The checks refuse forms, not names: odd but plain names are fine."""
    rw = tree["rw"]
    for name in ("100%25 done.txt", "résumé.txt", "a.b.c.txt", "x..y.txt"):
        sent = f"api/contents/{rw}/{urllib.parse.quote(name)}"
        response = await raw_fetch("PUT", sent, TEXT, {})
        assert response.code == 201, (name, response.body)
        assert (jp_root_dir / rw / name).read_text() == "written"
    listing = await raw_fetch("GET", f"api/contents/{rw}", None, {})
    assert listing.code == 200
    renamed = await raw_fetch(
        "PATCH", f"api/contents/{rw}/data.txt", {"path": f"{rw}/sub/data.txt"}, {}
    )
    assert renamed.code == 200, renamed.body
    assert (jp_root_dir / rw / "sub" / "data.txt").read_text() == "data"


async def test_plain_mistakes_are_4xx_not_500(raw_fetch, tree, jp_root_dir):
    """Saving into a folder that is not there, or a file over a folder, and
    checkpoints of nothing: jupyter_server answers these with a 500."""
    rw = tree["rw"]
    before = snapshot(jp_root_dir)
    cases = [
        ("PUT", f"api/contents/{rw}/missing/x.txt", TEXT, 404),
        ("PUT", f"api/contents/{rw}/missing/x.ipynb", {"type": "notebook", "content": {}}, 404),
        ("PUT", f"api/contents/{rw}/missing/sub", {"type": "directory"}, 404),
        ("PUT", f"api/contents/{rw}/sub", TEXT, 409),
        ("POST", f"api/contents/{rw}/data.txt/checkpoints/nope", None, 404),
        ("PATCH", "api/contents/outside.txt", {"path": "a\ud800.txt"}, 400),
    ]
    for method, path, body, code in cases:
        response = await raw_fetch(method, path, body, {})
        assert response.code == code, (method, path, response.code, response.body[:300])
        assert response.json()["message"]
    # looking a file's checkpoints up makes their (empty) folder: jupyter_server's way
    assert _without_checkpoints(snapshot(jp_root_dir)) == before


def _without_checkpoints(found: dict[str, bytes | None]) -> dict[str, bytes | None]:
    return {path: data for path, data in found.items() if ".ipynb_checkpoints" not in path}


async def test_odd_names_made_on_disk_are_listed_and_can_be_cleaned_up(
    raw_fetch, tree, jp_root_dir
):
    """A name made from a terminal that the API would refuse to create must not
    break its folder's listing, and can still be renamed or deleted."""
    rw = tree["rw"]
    for name in ("trailing.", "back\\slash", "%2e%2e", "tab\there"):
        (jp_root_dir / rw / name).write_text("odd")
    listing = await raw_fetch("GET", f"api/contents/{rw}", None, {})
    assert listing.code == 200, listing.body
    names = {child["name"] for child in listing.json()["content"]}
    assert {"trailing.", "back\\slash", "%2e%2e", "tab\there"} <= names
    fixed = await raw_fetch(
        "PATCH", f"api/contents/{rw}/trailing.", {"path": f"{rw}/trailing.txt"}, {}
    )
    assert fixed.code == 200, fixed.body
    removed = await raw_fetch("DELETE", f"api/contents/{rw}/tab%09here", None, {})
    assert removed.code == 204, removed.body
    left = {p.name for p in (jp_root_dir / rw).iterdir()} - {".ipynb_checkpoints"}
    assert left == {"%2e%2e", "back\\slash", "data.txt", "sub", "trailing.txt"}


async def test_files_still_serves_guests_and_refuses_bad_paths(
    raw_fetch, make_link, tree, jp_root_dir
):
    _, token = await make_link("view")
    guest = {"Authorization": f"token {token}"}
    served = await raw_fetch("GET", f"files/{tree['ro']}/data.txt", None, guest)
    assert served.code == 200 and served.body == b"data"
    for form in ("x%00.txt", "..%2fx.txt", "%2e%2e/x.txt", "./data.txt"):
        refused = await raw_fetch("GET", f"files/{tree['ro']}/{form}", None, guest)
        assert refused.code == 400, (form, refused.code, refused.body[:200])


def test_real_path_agrees_with_realpath(tmp_path):
    """The kernel's answer for a path is realpath's, through links and for missing ones."""
    from capella_share.shares.provider import real_path

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "file.txt").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "a")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for name in (
        "a/b/file.txt",
        "link/b/file.txt",
        "link/b/../b",
        "a/missing/deeper",
        "dangling",
        "dangling/x",
        "link/b/file.txt/..",
    ):
        path = str(tmp_path / name)
        assert real_path(path) == os.path.realpath(path), name
