"""Links that share one folder or one file: a scoped guest reaches nothing outside
its scope, by any route, in any form, by token or by cookie; the kernels and
terminals it starts see the scope alone; the link follows its scope when the
owner moves it and ends when it is deleted.

The root of each test server holds, for every test:

    project/                the folder scope
        analysis.ipynb      the file scope
        data.csv
        sub/deep.txt
        escape -> ../secret (a symbolic link leading out of the scope)
    secret/keys.txt         a sibling of the scope
    top.txt                 a file in the scope's parent
"""

from __future__ import annotations

import asyncio
import json

import pytest
from helpers import until, wait_closed, with_collaboration, write_notebook
from tornado.httpclient import HTTPClientError

from capella_share import policy

pytestmark = pytest.mark.timeout(120)

LEVELS = ("view", "edit", "full")
FOLDER, FILE = "project", "project/analysis.ipynb"
SECRET = "the-sibling-s-secret-content"


@pytest.fixture
def jp_server_config(jp_server_config, jp_root_dir, jp_data_dir):
    return with_collaboration(jp_server_config, jp_root_dir, jp_data_dir)


@pytest.fixture(autouse=True)
def tree(jp_root_dir):
    project = jp_root_dir / "project"
    write_notebook(jp_root_dir, FILE)
    (project / "data.csv").write_text("a,b\n1,2\n")
    (project / "sub").mkdir()
    (project / "sub" / "deep.txt").write_text("deep")
    (jp_root_dir / "secret").mkdir()
    (jp_root_dir / "secret" / "keys.txt").write_text(SECRET)
    (jp_root_dir / "top.txt").write_text(SECRET)
    (project / "escape").symlink_to("../secret", target_is_directory=True)
    return jp_root_dir


@pytest.fixture(params=["token", "cookie"])
def by(request):
    return request.param


@pytest.fixture
def scoped(make_link, guest_login, by):
    """A guest of a link of ``level`` sharing ``scope``: (its link, the fetch
    arguments that authenticate it by header token or by cookie)."""

    async def _scoped(level: str, scope: str) -> tuple[dict, dict]:
        link, token = await make_link(level, scope=scope)
        if by == "token":
            return link, {"token": token}
        headers = await guest_login(token)
        xsrf = next(
            cookie.split("=", 1)[1]
            for cookie in headers["Cookie"].split("; ")
            if cookie.startswith("_xsrf=")
        )
        # as the Lab sends them: its XSRF token, and a Referer of the same origin
        # (file downloads ask for one)
        headers.update({"X-XSRFToken": xsrf, "Referer": f"http://{headers['Host']}/lab"})
        return link, {"headers": headers}

    return _scoped


def contents(*path: str) -> tuple[str, ...]:
    return ("api", "contents", *[p for part in path for p in part.split("/") if p])


def put_text(content: str = "x") -> dict:
    return {
        "method": "PUT",
        "body": json.dumps({"type": "file", "format": "text", "content": content}),
    }


# -- making scoped links ----------------------------------------------------------------------


async def test_a_scoped_link_names_its_scope_and_lands_in_it(fetch, make_link):
    link, _ = await make_link("edit", scope="project/")
    assert link["scope"] == FOLDER and link["path"] == FOLDER
    assert link["url"].split("?")[0].endswith("/lab/tree/project")
    listed = (await fetch("api", "capella-share", "links")).json()["links"]
    assert [entry["scope"] for entry in listed] == [FOLDER]
    whole, _ = await make_link("view")
    assert whole["scope"] == ""


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"scope": "missing"}, 404, "no file or folder"),
        ({"scope": "../outside"}, 400, "relative path"),
        ({"scope": "project/%2e%2e"}, 404, "no file or folder"),
        ({"scope": 7}, 400, "scope must be a string"),
        ({"scope": ".hidden"}, 400, "hidden"),
        ({"scope": FOLDER, "path": "top.txt"}, 400, "outside the scope"),
    ],
)
async def test_a_bad_scope_is_a_clear_4xx(fetch, jp_root_dir, body, status, says):
    (jp_root_dir / ".hidden").mkdir()
    request = {"permission": "view", "expires_in": None, **body}
    made = await fetch("api", "capella-share", "links", method="POST", body=json.dumps(request))
    assert made.code == status, made.body
    assert says in made.json()["message"]


# -- files: the matrix ------------------------------------------------------------------------

#: (path asked, whether a guest of the folder scope may read it, of the file scope)
READS = [
    (FILE, True, True),
    ("project/data.csv", True, False),
    ("project/sub/deep.txt", True, False),
    ("secret/keys.txt", False, False),
    ("top.txt", False, False),
    ("project/escape/keys.txt", False, False),  # a symbolic link out of the scope
    ("project/../secret/keys.txt", False, False),
    ("project/%2e%2e/secret/keys.txt", False, False),
]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("scope", [FOLDER, FILE])
async def test_a_scoped_guest_reads_only_inside_its_scope(level, scope, scoped, fetch):
    _, auth = await scoped(level, scope)
    for path, folder_may, file_may in READS:
        may = folder_may if scope == FOLDER else file_may
        for route in (contents(path), ("files", *path.split("/"))):
            got = await fetch(*route, **auth)
            cell = f"{level} scoped to {scope}: GET {'/'.join(route)}"
            if may:
                assert got.code == 200, f"{cell} -> {got.code} {got.body[:200]!r}"
            else:
                assert got.code in (400, 403, 404), f"{cell} -> {got.code}"
                assert SECRET.encode() not in got.body, cell


@pytest.mark.parametrize("scope", [FOLDER, FILE])
async def test_folders_above_the_scope_show_only_the_way_down(scope, scoped, fetch):
    _, auth = await scoped("view", scope)
    root = (await fetch("api", "contents", **auth)).json()
    assert [entry["name"] for entry in root["content"]] == ["project"]
    project = (await fetch(*contents(FOLDER), **auth)).json()
    names = sorted(entry["name"] for entry in project["content"])
    if scope == FOLDER:
        # the whole folder; its link out of the scope is listed, and leads nowhere
        assert names == ["analysis.ipynb", "data.csv", "escape", "sub"]
    else:
        assert names == ["analysis.ipynb"]
        assert project["writable"] is False


@pytest.mark.parametrize("level", ["edit", "full"])
@pytest.mark.parametrize("scope", [FOLDER, FILE])
async def test_a_scoped_guest_writes_only_inside_its_scope(level, scope, scoped, fetch, tree):
    _, auth = await scoped(level, scope)
    notebook = json.loads((tree / FILE).read_text())
    saved = await fetch(
        *contents(FILE),
        method="PUT",
        body=json.dumps({"type": "notebook", "content": notebook}),
        **auth,
    )
    assert saved.code == 200, saved.body
    inside = await fetch(*contents("project/new.txt"), **put_text(), **auth)
    assert inside.code == (201 if scope == FOLDER else 403), inside.body
    refused = [
        ("PUT", contents("secret/planted.txt"), put_text()),
        ("PUT", contents("planted.txt"), put_text()),
        ("PUT", contents("project/escape/planted.txt"), put_text()),
        ("PATCH", contents("project/data.csv"), {"body": json.dumps({"path": "moved.csv"})}),
        ("PATCH", contents(FOLDER), {"body": json.dumps({"path": "renamed"})}),
        ("DELETE", contents(FOLDER), {}),
        ("POST", contents("secret"), {"body": json.dumps({"copy_from": "project/data.csv"})}),
        ("POST", contents("project"), {"body": json.dumps({"copy_from": "secret/keys.txt"})}),
        ("POST", contents(""), {"body": json.dumps({"type": "directory"})}),
    ]
    if scope == FILE:
        refused += [
            ("DELETE", contents(FILE), {}),
            ("PATCH", contents(FILE), {"body": json.dumps({"path": "project/other.ipynb"})}),
            ("POST", contents("project"), {"body": json.dumps({"type": "file"})}),
        ]
    for method, route, kwargs in refused:
        kwargs = {"method": method, **kwargs}
        if method == "DELETE":
            kwargs.pop("body", None)
        got = await fetch(*route, **kwargs, **auth)
        assert got.code in (400, 403, 404), f"{method} {'/'.join(route)} -> {got.code}"
    assert not (tree / "secret" / "planted.txt").exists()
    assert not (tree / "planted.txt").exists()
    assert not (tree / "moved.csv").exists() and (tree / "project" / "data.csv").exists()
    assert sorted(p.name for p in (tree / "secret").iterdir()) == ["keys.txt"]
    assert (tree / FOLDER).is_dir() and (tree / FILE).is_file()


async def test_checkpoints_and_downloads_stay_inside(scoped, fetch):
    _, auth = await scoped("edit", FILE)
    made = await fetch(*contents(FILE), "checkpoints", method="POST", body="", **auth)
    assert made.code == 201, made.body
    for route in (
        (*contents("project/data.csv"), "checkpoints"),
        ("nbconvert", "html", "secret", "keys.txt"),
        ("view", "top.txt"),
        ("files", "top.txt"),
    ):
        got = await fetch(*route, params={"download": "1"}, **auth)
        assert got.code in (403, 404), f"{'/'.join(route)} -> {got.code}"
        assert SECRET.encode() not in got.body


async def test_an_unscoped_guest_still_reads_everything(make_link, fetch):
    _, token = await make_link("view")
    assert (await fetch(*contents("secret/keys.txt"), token=token)).code == 200


# -- routes that cannot honour a scope --------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [
        ("api", "fileid", "id"),
        ("api", "fileid", "path"),
        ("api", "resolvePath"),
    ],
)
async def test_routes_blind_to_scopes_are_closed_to_scoped_guests(route, scoped, fetch, make_link):
    _, auth = await scoped("full", FOLDER)
    got = await fetch(*route, params={"path": "secret/keys.txt", "id": "x"}, **auth)
    assert got.code == 403, got.body
    assert "shares only 'project'" in got.json()["message"]
    # the same route is not closed to a guest of the whole session
    _, token = await make_link("full")
    assert (await fetch(*route, params={"path": "top.txt"}, token=token)).code != 403


# -- sessions, kernels, terminals -------------------------------------------------------------


async def start_session(fetch, path: str, **auth) -> dict:
    body = {"path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}}
    made = await fetch("api", "sessions", method="POST", body=json.dumps(body), **auth)
    return {"code": made.code, **(made.json() if made.body else {})}


async def test_a_scoped_guest_sees_only_sessions_inside(fetch, scoped, start_kernel):
    owners_inside = await start_session(fetch, FILE)
    owners_outside = await start_session(fetch, "secret/other.ipynb")
    assert owners_inside["code"] == owners_outside["code"] == 201
    _, auth = await scoped("view", FOLDER)
    listed = (await fetch("api", "sessions", **auth)).json()
    assert [s["path"] for s in listed] == [FILE]
    outside = await fetch("api", "sessions", owners_outside["id"], **auth)
    assert outside.code == 404
    # kernels: none but those started for the scope (the owner's sees everything)
    assert (await fetch("api", "kernels", **auth)).json() == []
    kernel = owners_inside["kernel"]["id"]
    assert (await fetch("api", "kernels", kernel, **auth)).code == 404
    assert (
        await fetch("api", "kernels", kernel, "interrupt", method="POST", body="", **auth)
    ).code in (403, 404)


async def test_a_scoped_edit_guest_runs_code_in_its_own_kernel_only(
    fetch, make_link, kernel_client, tree
):
    owners = await start_session(fetch, FILE)
    _, token = await make_link("edit", scope=FOLDER)
    with pytest.raises(HTTPClientError) as refused:
        await kernel_client(owners["kernel"]["id"], token=token)
    assert refused.value.code == 403
    # its Lab is told so, and does not try
    kernels = (await fetch("api", "capella-share", "session", token=token)).json()["you"]["kernels"]
    assert "sees more than this link shares" in kernels["off"][owners["kernel"]["id"]]
    assert kernels["ask"] is True
    # outside the scope it may not start one
    assert (await start_session(fetch, "secret/mine.ipynb", token=token))["code"] == 403
    body = json.dumps({"name": "python3", "path": "secret"})
    assert (await fetch("api", "kernels", method="POST", body=body, token=token)).code == 403
    # its own session's kernel sees the scope and nothing beside it
    mine = await start_session(fetch, "project/sub/mine.ipynb", token=token)
    assert mine["code"] == 201, mine
    kernel_id = mine["kernel"]["id"]
    listed = {k["id"] for k in (await fetch("api", "kernels", token=token)).json()}
    assert listed == {kernel_id}
    guest = await kernel_client(kernel_id, token=token)
    code = f"""
import os, json
found = {{}}
for name, path in {{"sibling": {str(tree / "secret" / "keys.txt")!r},
                     "parent": {str(tree / "top.txt")!r},
                     "inside": {str(tree / "project" / "data.csv")!r}}}.items():
    try:
        found[name] = open(path).read()
    except OSError as error:
        found[name] = type(error).__name__
found["cwd"] = os.getcwd()
print(json.dumps(found))
"""
    found = json.loads(await guest.run(code))
    assert found["inside"] == "a,b\n1,2\n"
    assert SECRET not in (found["sibling"], found["parent"]), found
    assert found["cwd"] == str(tree / "project" / "sub")


async def test_a_kernel_started_without_a_path_starts_in_the_scope(
    fetch, make_link, kernel_client, start_kernel, tree
):
    _, token = await make_link("edit", scope=FILE)
    guest = await kernel_client(await start_kernel(token=token), token=token)
    code = f"""
import os
print(os.getcwd())
try:
    open({str(tree / "project" / "data.csv")!r}).read()
    print("folder readable")
except OSError:
    print("folder hidden")
for path, what in (({str(tree / FILE)!r}, "file"), ({str(tree / "project" / "x.txt")!r}, "folder")):
    try:
        open(path, "a").close()
        print(what, "writable")
    except OSError:
        print(what, "read-only")
"""
    lines = (await guest.run(code)).split()
    # a single file's kernel works in its folder, shown read-only, the file writable
    assert lines[0] == str(tree / "project")
    assert "writable" in " ".join(lines[1:]).split("file ")[1].split()[0]
    assert not (tree / "project" / "x.txt").exists()


async def test_a_scoped_full_guests_terminal_starts_in_the_scope(fetch, make_link, terminal, tree):
    owners_name, _ = await terminal()
    _, token = await make_link("full", scope=FOLDER)
    name, shell = await terminal(token=token)
    listed = [t["name"] for t in (await fetch("api", "terminals", token=token)).json()]
    assert listed == [name] and owners_name not in listed
    shell.send("pwd; cat ../secret/keys.txt ../top.txt 2>/dev/null | wc -c; echo DONE")
    match = await shell.expect(r"(\S+)\s+(\d+)\s+DONE")
    assert match.group(1) == str(tree / "project")
    assert match.group(2) == "0"
    outside = await fetch(
        "api", "terminals", method="POST", body=json.dumps({"cwd": "secret"}), token=token
    )
    assert outside.code == 403, outside.body


# -- events and project shares ----------------------------------------------------------------


async def test_a_scoped_guest_hears_only_events_about_its_scope(fetch, make_link, ws_connect):
    _, token = await make_link("view", scope=FOLDER)
    theirs = await ws_connect("api", "events", "subscribe", token=token)
    mine = await ws_connect("api", "events", "subscribe")
    for path in ("secret/new.txt", "project/new.txt"):
        assert (await fetch(*contents(path), **put_text())).code == 201
    heard = []
    while len(heard) < 2:
        event = json.loads(await asyncio.wait_for(mine.read_message(), 5))
        if event.get("action") == "save":
            heard.append(event["path"])
    assert heard == ["secret/new.txt", "project/new.txt"]
    seen = []
    with pytest.raises(asyncio.TimeoutError):
        while True:
            seen.append(json.loads(await asyncio.wait_for(theirs.read_message(), 1)))
    assert seen and {event.get("path") for event in seen} == {"project/new.txt"}, seen
    theirs.close()
    mine.close()


async def test_a_scoped_guest_lists_only_the_shares_it_meets(make_share, shares_api, make_link):
    inside = await make_share("Project", "Inside", "read-only")
    other = await make_share("Elsewhere", "Model", "read-write")
    _, token = await make_link("view", scope=inside["path"])
    listed = (await shares_api("GET", token=token)).json()["shares"]
    assert [s["path"] for s in listed] == [inside["path"]]
    archive = await shares_api("GET", other["project"], other["model"], "archive", token=token)
    assert archive.code == 403


# -- documents --------------------------------------------------------------------------------


async def test_a_scoped_guest_opens_only_documents_inside(fetch, make_link, room_socket, rtc_open):
    owner_outside = await rtc_open("secret/doc.ipynb")
    _, token = await make_link("edit", scope=FOLDER)
    headers = {"Authorization": f"token {token}"}
    # asking for the room of a file outside
    asked = await fetch(
        "api",
        "collaboration",
        "session",
        "secret",
        "doc.ipynb",
        method="PUT",
        body=json.dumps({"format": "json", "type": "notebook"}),
        headers=headers,
    )
    assert asked.code == 403, asked.body
    # joining that room by its id, learnt elsewhere
    with pytest.raises(HTTPClientError) as refused:
        await room_socket(owner_outside.room_id, "x", headers)
    assert refused.value.code == 403
    # the session-wide awareness room
    with pytest.raises(HTTPClientError) as refused:
        await room_socket("JupyterLab:globalAwareness", "x", headers)
    assert refused.value.code == 403
    # a document inside: edited together
    owner = await rtc_open(FILE)
    guest = await rtc_open(FILE, headers)
    await guest.type(" # scoped")
    await until(lambda: owner.source.endswith(" # scoped"))


# -- the scope moves or goes ------------------------------------------------------------------


async def test_the_link_follows_its_scope_when_the_owner_moves_it(fetch, make_link, tree):
    _, token = await make_link("view", scope=FOLDER)
    moved = await fetch(*contents(FOLDER), method="PATCH", body=json.dumps({"path": "renamed"}))
    assert moved.code == 200, moved.body
    listed = (await fetch("api", "capella-share", "links")).json()["links"]
    assert listed[0]["scope"] == "renamed" and listed[0]["path"] == "renamed"
    assert (await fetch(*contents("renamed/data.csv"), token=token)).code == 200
    assert (await fetch(*contents("secret/keys.txt"), token=token)).code == 403


async def test_the_link_ends_when_its_scope_is_deleted(fetch, make_link, ws_connect):
    link, token = await make_link("view", scope="project/data.csv")
    socket = await ws_connect("api", "capella-share", "session", "ws", token=token)
    assert (await fetch(*contents("project/data.csv"), method="DELETE")).code == 204
    code, reason = await wait_closed(socket)
    assert code == 4003 and "deleted" in reason
    assert (await fetch(*contents("project/data.csv"), token=token)).code == 403
    links = (await fetch("api", "capella-share", "links")).json()["links"]
    assert link["id"] not in [entry["id"] for entry in links]
    # a guest who reloads is told why, not sent to a login page
    page = await fetch("lab", token=token, headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.code == 403 and "shared was deleted" in page.body.decode()


async def test_the_session_tells_a_guest_its_scope(fetch, make_link):
    _, token = await make_link("edit", scope=FILE)
    you = (await fetch("api", "capella-share", "session", token=token)).json()["you"]
    assert you["scope"] == FILE
    assert (await fetch("api", "capella-share", "session")).json()["you"]["scope"] == ""


def test_every_route_open_to_scoped_guests_is_a_classified_one():
    assert policy.SCOPED_ROUTES.issubset(policy.ROUTES)
    closed = sorted(set(policy.ROUTES) - policy.SCOPED_ROUTES)
    # what cannot honour a scope, besides what no guest may use at all
    assert "jupyter_server_fileid.handler.FileIDHandler" in closed
    assert "jupyter_lsp.handlers.LanguageServerWebSocketHandler" in closed
    assert "jupyter_server.services.api.handlers.PathResolverHandler" in closed
