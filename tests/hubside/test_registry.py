"""capella-share-registry as a hub-managed service of a real JupyterHub, on SQLite
and on a real PostgreSQL: the role matrix of every endpoint, group roles, the last
manager, the audit log, bad input, XSRF on cookie writes, and deletes that remove a
share's data exactly once. The store's crash recovery and the Kubernetes requests
are checked on their own below.

Principals: alice (hub admin, member of nothing), bob (project creator, manager),
carol (read-write through the group "reviewers"), dave (read-only), erin (no
member), and anonymous requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import typing as t
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from helpers import REPO, until
from hypothesis import strategies as st
from live_hub import proxy_command
from live_postgres import LivePostgres, missing_reason
from live_registry import PREFIX, LiveRegistryHub
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from capella_share.hubside.registry.activity import ActivityLog
from capella_share.hubside.registry.handlers import registry_handlers
from capella_share.hubside.registry.storage import (
    KubernetesStorage,
    LocalStorage,
    ShareRef,
    delete_options,
    share_id,
    volume_name,
)
from capella_share.hubside.registry.store import (
    HubUser,
    RegistryError,
    RegistryStore,
    make_engine,
)
from capella_share.shares import deletion

pytestmark = pytest.mark.timeout(600)
SPEC = REPO / "docs" / "registry-openapi.yaml"
BACKENDS = ("sqlite", "postgresql")
needs_proxy = pytest.mark.skipif(
    proxy_command() is None, reason="configurable-http-proxy is missing"
)


# -- databases --------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres():
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = LivePostgres()
    try:
        server.start()
        yield server
    finally:
        server.stop()


_databases = iter(range(1_000_000))


@pytest.fixture(scope="module", params=BACKENDS)
def database(request) -> t.Callable[[Path], str]:
    """A maker of empty registry databases, SQLite or PostgreSQL."""
    if request.param == "sqlite":
        return lambda folder: f"sqlite:///{folder}/registry.sqlite"
    server = request.getfixturevalue("postgres")
    return lambda _folder: server.create_database(f"registry{next(_databases)}")


# -- the registry in a hub ----------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory, database):
    if proxy_command() is None:
        pytest.skip("configurable-http-proxy is missing")
    workdir = tmp_path_factory.mktemp("registry-hub")
    live = LiveRegistryHub(workdir, database(workdir))
    try:
        live.start()
        yield live
        log = live.log_path.read_text(errors="replace")
    finally:
        live.stop()
    registry_log = [line for line in log.splitlines() if "Traceback" in line]
    assert not registry_log, log[-6000:]


def ok(response: requests.Response, status: int) -> t.Any:
    assert response.status_code == status, (response.status_code, response.text)
    if status == 204:
        return None
    body = response.json()
    if status >= 400:
        assert isinstance(body.get("message"), str) and body["message"], body
    return body


def make_project(hub: LiveRegistryHub, name: str, shares: t.Sequence[str] = ()) -> str:
    """A project bob manages, carol read-write (her group), dave read-only."""
    slug = ok(hub.registry("POST", "projects", "bob", json={"name": name}), 201)["slug"]
    members = (("group", "reviewers", "read-write"), ("user", "dave", "read-only"))
    for kind, member, role in members:
        path = f"projects/{slug}/members/{kind}/{member}"
        ok(hub.registry("PUT", path, "bob", json={"role": role}), 200)
    for model in shares:
        ok(hub.registry("POST", f"projects/{slug}/shares", "bob", json={"model": model}), 201)
    return slug


PRINCIPALS = ("alice", "bob", "carol", "dave", "erin", None)


def expect(admin, manager, read_write, read_only, outsider, anonymous=403) -> dict:
    return dict(
        zip(PRINCIPALS, (admin, manager, read_write, read_only, outsider, anonymous), strict=True)
    )


def test_role_matrix(hub):
    """Every endpoint as every hub user: who may, and what the others get."""
    slug = make_project(hub, "Matrix Project", ["Fixed"])
    spare = {who: make_project(hub, f"Spare {who}") for who in ("alice", "bob")}
    folder = hub.storage_root / slug / "fixed"
    (folder / "notes.txt").write_text("keep me")
    cells: list[tuple[str, t.Callable[[str | None], requests.Response], dict]] = []

    def cell(label, call, statuses):
        cells.append((label, call, statuses))

    def req(method, path, **kwargs):
        return lambda who: hub.registry(
            method, path(who) if callable(path) else path, who, **kwargs
        )

    cell("GET me", req("GET", "me"), expect(200, 200, 200, 200, 200))
    cell("GET projects", req("GET", "projects"), expect(200, 200, 200, 200, 200))
    cell(
        "POST projects",
        lambda who: hub.registry("POST", "projects", who, json={"name": f"Made by {who}"}),
        expect(201, 201, 403, 403, 403),
    )
    cell("GET project", req("GET", f"projects/{slug}"), expect(200, 200, 200, 200, 404))

    def member(who):
        return f"projects/{slug}/members/user/frank-{who}"

    cell(
        "PUT member",
        req("PUT", member, json={"role": "read-only"}),
        expect(200, 200, 403, 403, 404),
    )
    cell("DELETE member", req("DELETE", member), expect(204, 204, 403, 403, 404))
    cell(
        "POST share",
        lambda who: hub.registry(
            "POST", f"projects/{slug}/shares", who, json={"model": f"model {who}"}
        ),
        expect(201, 201, 403, 403, 404),
    )

    def delete_share(who):
        model = f"model-{who}" if who in ("alice", "bob") else "fixed"
        body = {"confirm": f"{slug}/{model}"}
        return hub.registry("DELETE", f"projects/{slug}/shares/{model}", who, json=body)

    cell("DELETE share", delete_share, expect(200, 200, 403, 403, 404))

    def delete_project(who):
        target = spare.get(who, slug)
        return hub.registry("DELETE", f"projects/{target}", who, json={"confirm": target})

    cell("DELETE project", delete_project, expect(200, 200, 403, 403, 404))
    cell(
        "GET own shares",
        lambda who: hub.registry("GET", f"users/{who or 'erin'}/shares", who),
        expect(200, 200, 200, 200, 200),
    )
    cell("GET carol's shares", req("GET", "users/carol/shares"), expect(200, 403, 200, 403, 403))
    cell("GET project audit", req("GET", f"audit?project={slug}"), expect(200, 200, 403, 403, 404))
    cell("GET audit", req("GET", "audit"), expect(200, 200, 200, 200, 200))

    failures = []
    for label, call, statuses in cells:
        for who in PRINCIPALS:
            response = call(who)
            if response.status_code != statuses[who]:
                failures.append((label, who, statuses[who], response.status_code, response.text))
            elif response.status_code >= 400:
                assert response.json()["message"], (label, who)
    assert not failures, "\n".join(map(str, failures))

    # what the refused tried changed nothing
    project = ok(hub.registry("GET", f"projects/{slug}", "bob"), 200)
    assert [s["model"] for s in project["shares"]] == ["fixed"]
    assert (folder / "notes.txt").read_text() == "keep me"
    assert {(m["kind"], m["name"], m["role"]) for m in project["members"]} == {
        ("user", "bob", "manager"),
        ("group", "reviewers", "read-write"),
        ("user", "dave", "read-only"),
    }
    # non-members never see the project listed; admins see all
    for who, sees in (("erin", False), ("alice", True), ("dave", True)):
        listed = ok(hub.registry("GET", "projects", who), 200)["projects"]
        assert (slug in {p["slug"] for p in listed}) is sees, who
    # a read-only member's audit holds nothing of the project; its manager's does
    assert slug not in {
        e["project"] for e in ok(hub.registry("GET", "audit", "dave"), 200)["entries"]
    }
    assert slug in {e["project"] for e in ok(hub.registry("GET", "audit", "bob"), 200)["entries"]}


def shares_of(hub: LiveRegistryHub, user: str, slug: str) -> list[tuple[str, str, str]]:
    listed = ok(hub.registry("GET", f"users/{user}/shares", user), 200)["shares"]
    return [(s["model"], s["role"], s["permission"]) for s in listed if s["project"] == slug]


def test_group_roles(hub):
    """A user's role is the highest of their own and their groups'."""
    slug = make_project(hub, "Group Project", ["Engine"])
    path = f"projects/{slug}/members"
    assert shares_of(hub, "carol", slug) == [("engine", "read-write", "read-write")]
    ok(hub.registry("PUT", f"{path}/group/reviewers", "bob", json={"role": "read-only"}), 200)
    assert shares_of(hub, "carol", slug) == [("engine", "read-only", "read-only")]
    # her own role is higher than her group's
    ok(hub.registry("PUT", f"{path}/user/carol", "bob", json={"role": "read-write"}), 200)
    assert shares_of(hub, "carol", slug) == [("engine", "read-write", "read-write")]
    # her group made manager: she manages
    ok(hub.registry("PUT", f"{path}/group/reviewers", "bob", json={"role": "manager"}), 200)
    assert shares_of(hub, "carol", slug) == [("engine", "manager", "read-write")]
    ok(hub.registry("PUT", f"{path}/user/erin", "carol", json={"role": "read-only"}), 200)
    assert shares_of(hub, "erin", slug) == [("engine", "read-only", "read-only")]
    # the group gone, her own role stays
    ok(hub.registry("DELETE", f"{path}/group/reviewers", "bob"), 204)
    assert shares_of(hub, "carol", slug) == [("engine", "read-write", "read-write")]
    ok(hub.registry("PUT", f"{path}/user/erin", "carol", json={"role": "manager"}), 403)
    # an admin lists another user's shares with the groups the hub gives
    listed = ok(hub.registry("GET", "users/dave/shares", "alice"), 200)["shares"]
    assert ("engine", "read-only", "read-only") in [
        (s["model"], s["role"], s["permission"]) for s in listed if s["project"] == slug
    ]
    ok(hub.registry("GET", "users/nobody-here/shares", "alice"), 404)


def test_the_last_manager_stays(hub):
    slug = make_project(hub, "Last Manager")
    path = f"projects/{slug}/members"
    ok(hub.registry("DELETE", f"{path}/user/bob", "bob"), 409)
    ok(hub.registry("PUT", f"{path}/user/bob", "bob", json={"role": "read-only"}), 409)
    ok(hub.registry("DELETE", f"{path}/user/bob", "alice"), 409)  # admins too
    ok(hub.registry("PUT", f"{path}/group/designers", "bob", json={"role": "manager"}), 200)
    ok(hub.registry("PUT", f"{path}/user/bob", "bob", json={"role": "read-only"}), 200)
    # bob is read-only now: the group's managers (dave) decide
    ok(hub.registry("DELETE", f"{path}/user/bob", "bob"), 403)
    ok(hub.registry("DELETE", f"{path}/user/bob", "dave"), 204)
    ok(hub.registry("DELETE", f"{path}/group/designers", "dave"), 409)
    members = ok(hub.registry("GET", f"projects/{slug}", "dave"), 200)["members"]
    assert [m for m in members if m["role"] == "manager"] == [
        {"kind": "group", "name": "designers", "role": "manager"}
    ]
    assert "bob" not in {m["name"] for m in members}


def test_every_change_is_audited(hub):
    slug = make_project(hub, "Audited", ["Pump"])
    ok(
        hub.registry(
            "PUT", f"projects/{slug}/members/user/erin", "alice", json={"role": "read-only"}
        ),
        200,
    )
    ok(hub.registry("DELETE", f"projects/{slug}/members/user/erin", "bob"), 204)
    confirm = {"confirm": f"{slug}/pump"}
    ok(hub.registry("DELETE", f"projects/{slug}/shares/pump", "bob", json=confirm), 200)
    ok(hub.registry("DELETE", f"projects/{slug}", "alice", json={"confirm": slug}), 200)
    entries = ok(hub.registry("GET", "audit?limit=1000", "alice"), 200)["entries"]
    mine = [(e["actor"], e["action"], e["target"]) for e in entries if e["project"] == slug]
    assert mine == [  # newest first
        ("alice", "project.delete", slug),
        ("bob", "share.delete", "pump"),
        ("bob", "member.remove", "user:erin"),
        ("alice", "member.set", "user:erin"),
        ("bob", "share.create", "pump"),
        ("bob", "member.set", "user:dave"),
        ("bob", "member.set", "group:reviewers"),
        ("bob", "project.create", slug),
    ]
    detail = {e["action"]: e["detail"] for e in entries if e["project"] == slug}
    assert detail["share.delete"] == {"deleted_files": 0, "deleted_bytes": 0}
    assert detail["member.set"] == {"role": "read-write", "previous": None}
    assert all(e["at"].endswith("Z") for e in entries)
    # the project is gone: its manager no longer reads its log, an admin does
    ok(hub.registry("GET", f"audit?project={slug}", "bob"), 404)


BAD_INPUT = [
    ("POST", "projects", b"{", 400),
    ("POST", "projects", b"[]", 400),
    ("POST", "projects", b"\xff\xfe", 400),
    ("POST", "projects", b'{"name": "half \\ud800"}', 400),
    ("POST", "projects", b'{"name": 3}', 400),
    ("POST", "projects", b'{"name": ""}', 400),
    ("POST", "projects", b'{"name": "a/b"}', 400),
    ("POST", "projects", b'{"name": "ok", "extra": 1}', 400),
    ("POST", "projects", b"{}", 400),
    ("POST", "projects", json.dumps({"name": "x" * 201}).encode(), 400),
    ("GET", "projects/Not_A_Slug", None, 400),
    ("GET", "projects/a%00b", None, 400),
    ("PUT", "projects/{slug}/members/robot/x", b'{"role": "manager"}', 400),
    ("PUT", "projects/{slug}/members/user/x", b'{"role": "owner"}', 400),
    ("PUT", "projects/{slug}/members/user/x", b'{"role": null}', 400),
    ("PUT", "projects/{slug}/members/user/x", b"{}", 400),
    ("PUT", "projects/{slug}/members/user/%20x", b'{"role": "read-only"}', 400),
    ("PUT", "projects/{slug}/members/user/a%00b", b'{"role": "read-only"}', 400),
    ("PUT", "projects/{slug}/members/user/" + "x" * 256, b'{"role": "read-only"}', 400),
    ("DELETE", "projects/{slug}/members/user/nobody", None, 404),
    ("POST", "projects/{slug}/shares", b'{"model": "../up"}', 400),
    ("POST", "projects/{slug}/shares", b'{"model": ["x"]}', 400),
    ("POST", "projects/{slug}/shares", b'{"model": "Kept"}', 409),
    ("DELETE", "projects/{slug}/shares/NOPE", b'{"confirm": "x"}', 400),
    ("DELETE", "projects/{slug}/shares/missing", b'{"confirm": "x"}', 404),
    ("DELETE", "projects/{slug}", b'{"confirm": "{slug}"}', 409),
    ("DELETE", "projects/{slug}", b'{"confirm": "wrong"}', 400),
    ("POST", "projects", b'{"name": "Bad Input"}', 409),
    ("GET", "audit?limit=0", None, 400),
    ("GET", "audit?limit=abc", None, 400),
    ("GET", "audit?limit=100000", None, 400),
    ("GET", "audit?project=..", None, 400),
    ("GET", "users/%20x/shares", None, 400),
    ("PATCH", "projects", b"{}", 405),
]


def test_bad_input_is_a_clear_4xx(hub):
    slug = make_project(hub, "Bad Input", ["Kept"])
    for method, path, body, status in BAD_INPUT:
        path = path.replace("{slug}", slug)
        data = body.replace(b"{slug}", slug.encode()) if body else body
        response = hub.registry(method, path, "bob", data=data)
        assert response.status_code == status, (method, path, body, response.text)
        assert response.json()["message"], (method, path)
    project = ok(hub.registry("GET", f"projects/{slug}", "bob"), 200)
    assert [s["model"] for s in project["shares"]] == ["kept"]
    assert (hub.storage_root / slug / "kept").is_dir()


def fill(folder: Path) -> tuple[int, int]:
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "model.aird").write_bytes(b"x" * 1000)
    (folder / "sub" / "notes.txt").write_bytes(b"y" * 234)
    os.symlink("/etc/passwd", folder / "outside")  # removed as a link, never followed
    return 2, 1234


def test_delete_needs_the_confirmation_and_removes_once(hub):
    slug = make_project(hub, "Delete Me", ["Brewer"])
    folder = hub.storage_root / slug / "brewer"
    assert folder.is_dir()
    files, size = fill(folder)
    path = f"projects/{slug}/shares/brewer"
    for body in (None, {}, {"confirm": "brewer"}, {"confirm": f"{slug}/other"}, {"confirm": 1},
                 {"confirm": None}, {"confirm": f"{slug}/brewer "}):  # fmt: skip
        ok(hub.registry("DELETE", path, "bob", json=body), 400)
        assert (folder / "model.aird").exists(), body
    ok(hub.registry("DELETE", path, "carol", json={"confirm": f"{slug}/brewer"}), 403)
    assert (folder / "model.aird").exists()

    removed = ok(hub.registry("DELETE", path, "bob", json={"confirm": f"{slug}/brewer"}), 200)
    assert removed == {"deleted_files": files, "deleted_bytes": size}
    assert not folder.exists()
    assert Path("/etc/passwd").exists()
    trash = hub.storage_root / deletion.TRASH_NAME
    assert not trash.exists() or not os.listdir(trash)
    ok(hub.registry("DELETE", path, "bob", json={"confirm": f"{slug}/brewer"}), 404)
    assert shares_of(hub, "carol", slug) == []


def test_concurrent_deletes_remove_the_data_once(hub):
    slug = make_project(hub, "Race", ["Twice"])
    files, size = fill(hub.storage_root / slug / "twice")
    results: list[requests.Response] = []
    barrier = threading.Barrier(4)

    def delete(who: str) -> None:
        barrier.wait()
        body = {"confirm": f"{slug}/twice"}
        results.append(hub.registry("DELETE", f"projects/{slug}/shares/twice", who, json=body))

    threads = [threading.Thread(target=delete, args=(who,)) for who in ("bob", "alice") * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 404, 404, 404], [r.text for r in results]
    done = next(r for r in results if r.status_code == 200).json()
    assert done == {"deleted_files": files, "deleted_bytes": size}
    entries = ok(hub.registry("GET", f"audit?project={slug}", "bob"), 200)["entries"]
    assert [e["action"] for e in entries].count("share.delete") == 1


def test_cookie_writes_need_the_page_xsrf_token(hub):
    anonymous = requests.get(hub.registry_url, allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302
    assert "/hub/api/oauth2/authorize" in anonymous.headers["Location"]

    browser = hub.browser("bob")
    page = browser.get(hub.registry_url, timeout=30)
    assert 'name="capella-share-xsrf"' in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    xsrf = browser.cookies.get("_xsrf", path=PREFIX)
    assert xsrf and xsrf in page.text
    api = f"{hub.registry_url}api/"
    assert browser.get(f"{api}me", timeout=30).json()["name"] == "bob"
    forged = browser.post(f"{api}projects", json={"name": "Forged"}, timeout=30)
    assert forged.status_code == 403, forged.text
    wrong = browser.post(
        f"{api}projects", json={"name": "Forged"}, headers={"X-XSRFToken": "x"}, timeout=30
    )
    assert wrong.status_code == 403, wrong.text
    names = {p["slug"] for p in ok(hub.registry("GET", "projects", "alice"), 200)["projects"]}
    assert "forged" not in names
    made = browser.post(
        f"{api}projects", json={"name": "From The Page"}, headers={"X-XSRFToken": xsrf}, timeout=30
    )
    assert made.status_code == 201, made.text
    static = requests.get(
        f"{hub.registry_url}static/registry.js", allow_redirects=False, timeout=30
    )
    assert static.status_code in (302, 403)
    assert browser.get(f"{hub.registry_url}static/registry.js", timeout=30).status_code == 200


def test_a_server_token_reaches_the_registry_as_its_user(hub):
    """The spawner hook and the Lab ask with the single-user server's own token:
    it carries the registry's access scope (docs/jupyterhub_registry_config.py)."""
    model = hub.api("GET", "users/erin").json()
    assert model["name"] == "erin"
    # the token a server gets: the same scopes server_token_scopes requests
    response = hub.api(
        "POST",
        "users/erin/tokens",
        json={"scopes": ["users:activity!user", "access:servers!server=erin/",
                         "access:services!service=capella-share-registry"]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    me = requests.get(
        f"{hub.registry_url}api/users/erin/shares",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert me.status_code == 200, me.text
    assert me.json()["user"] == "erin"
    other = requests.get(
        f"{hub.registry_url}api/users/bob/shares",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert other.status_code == 403


# -- activity trails sent by servers, kept per project ---------------------------------


def trail_records(*paths: str | None, start: int = 1) -> list[dict]:
    """Records as a server's trail holds them (with the project the server names)."""
    return [
        {
            "seq": start + number,
            "at": f"2025-01-01T10:00:{number:02d}.000Z",
            "action": "file.save" if path else "guest.arrived",
            "link": "0123456789ab",
            "level": "edit",
            "user": "guest-0123456789ab-api",
            "name": "Editors",
            **({"path": path} if path else {}),
            "hash": f"{start + number:064x}",
        }
        for number, path in enumerate(paths)
    ]


def test_a_servers_trail_is_kept_per_project_for_its_managers(hub):
    slug = make_project(hub, "Audit Trail", ["Model"])
    records = trail_records(None, f"{slug}/model/notes.txt", f"{slug}/model/data.csv")
    for record in records:
        record["project"] = slug if record.get("path") else None
    sent = ok(
        hub.registry("POST", "activity", "bob", json={"server": "bob/", "records": records}), 200
    )
    assert sent == {"received": 3, "added": 3}
    # sent again (a retry): kept once
    again = ok(
        hub.registry("POST", "activity", "bob", json={"server": "bob/", "records": records}), 200
    )
    assert again == {"received": 3, "added": 0}

    page = ok(hub.registry("GET", f"activity?project={slug}", "bob"), 200)
    assert [r["path"] for r in page["records"]] == [
        f"{slug}/model/data.csv",
        f"{slug}/model/notes.txt",
    ]
    assert {r["server"] for r in page["records"]} == {"bob/"}
    assert page["records"][0]["hash"] == records[2]["hash"]
    ok(hub.registry("GET", f"activity?project={slug}", "alice"), 200)  # hub admin
    ok(hub.registry("GET", f"activity?project={slug}", "dave"), 403)  # read-only member
    ok(hub.registry("GET", f"activity?project={slug}", "erin"), 404)  # not a member
    ok(hub.registry("GET", f"activity?project={slug}"), 403)  # nobody
    own = ok(hub.registry("GET", "activity?server=bob/&limit=2", "bob"), 200)
    assert len(own["records"]) == 2 and own["next"] is not None
    ok(hub.registry("GET", "activity?server=bob/", "carol"), 403)

    # nobody puts records into a project that is not theirs, nor sends for another's server
    outsider = trail_records(f"{slug}/model/x.txt", start=10)
    outsider[0]["project"] = slug
    ok(hub.registry("POST", "activity", "erin", json={"server": "erin/", "records": outsider}), 200)
    assert all(
        r["hash"] != outsider[0]["hash"]
        for r in ok(hub.registry("GET", f"activity?project={slug}", "bob"), 200)["records"]
    )
    mine = ok(hub.registry("GET", "activity", "erin"), 200)["records"]
    assert mine[0]["project"] is None
    ok(hub.registry("POST", "activity", "erin", json={"server": "bob/", "records": outsider}), 403)


@pytest.mark.parametrize(
    "body",
    [
        {"server": "bob/", "records": []},
        {"server": "bob", "records": trail_records(None)},
        {"server": "bob/", "records": [{"seq": 1}]},
        {"server": "bob/", "records": [{**trail_records(None)[0], "seq": 2**40}]},
        {"server": "bob/", "records": [{**trail_records(None)[0], "hash": "nothex"}]},
        {"server": "bob/", "records": [{**trail_records(None)[0], "at": "soon"}]},
        {"server": "bob/", "records": [{**trail_records(None)[0], "link": "../x"}]},
        {"server": "bob/", "records": "all of them"},
        {"server": "bob/", "records": trail_records(None), "more": 1},
    ],
)
def test_bad_records_are_a_clear_400(hub, body):
    ok(hub.registry("POST", "activity", "bob", json=body), 400)


@pytest.fixture
def shipping(jp_server_config, hub):
    """A Jupyter server (in this process) sending its trail to the hub's registry as
    bob's server, as a spawned one does with its own token."""
    jp_server_config["CapellaShareApp"] = {"activity_to_registry": True}
    jp_server_config["RegistryShipper"] = {
        "registry_url": f"{hub.registry_url}api/",
        "api_token": hub.tokens["bob"],
        "server": "bob/shipping",
        "interval": 0.2,
    }
    return jp_server_config


async def test_a_server_sends_its_trail_and_the_registry_keeps_it_per_project(
    shipping, hub, fetch, make_link, make_share, capella
):
    slug = make_project(hub, "Shipped", ["Model"])
    share = await make_share("Shipped", "Model")
    assert share["project"] == slug
    _, token = await make_link("edit", label="Editors")
    text = json.dumps({"type": "file", "format": "text", "content": "x"})
    for path in (f"{share['path']}/notes.txt", "outside.txt"):
        assert (
            await fetch("api", "contents", path, method="PUT", body=text, token=token)
        ).code == 201

    async def registry(path: str, user: str) -> requests.Response:
        return await asyncio.to_thread(hub.registry, "GET", path, user)

    async def kept() -> bool:
        # both writes are sent, maybe in two batches: wait for the later one too
        page = (await registry(f"activity?project={slug}", "bob")).json()
        mine = (await registry("activity?server=bob/shipping&limit=1000", "bob")).json()
        return any(r.get("path") == f"{share['path']}/notes.txt" for r in page["records"]) and any(
            r.get("path") == "outside.txt" for r in mine["records"]
        )

    await until(kept, timeout=20)
    project = (await registry(f"activity?project={slug}", "bob")).json()["records"]
    assert [(r["action"], r["path"]) for r in project] == [
        ("file.create", f"{share['path']}/notes.txt"),
        ("share.create", share["path"]),
    ]
    assert project[0]["name"] == "Editors" and project[0]["server"] == "bob/shipping"
    assert (await registry(f"activity?project={slug}", "dave")).status_code == 403
    everything = (await registry("activity?server=bob/shipping&limit=1000", "bob")).json()[
        "records"
    ]
    actions = [r["action"] for r in reversed(everything)]
    assert actions[:3] == ["trail.start", "share.create", "link.create"]
    assert {r["path"]: r["project"] for r in everything if r.get("path")} == {
        share["path"]: slug,
        f"{share['path']}/notes.txt": slug,
        "outside.txt": None,
    }
    await until(lambda: capella.shipper.sent == capella.activity.writer.last_seq)
    sent = Path(capella.activity.folder, "registry-sent").read_text()
    assert int(sent) == capella.activity.writer.last_seq


def test_the_activity_log_on_its_own(store_url, tmp_path):
    store = new_store(store_url, tmp_path / "shares")
    log = ActivityLog(store)
    store.create_project(BOB, "Alone")
    records = trail_records("alone/model/a.txt", "theirs/model/b.txt")
    records[0]["project"], records[1]["project"] = "alone", "theirs"
    assert log.add(BOB, "bob/lab", records) == {"received": 2, "added": 2}
    # the second named a project bob is no member of: kept for his server only
    assert [r["path"] for r in log.read(BOB, project="alone")["records"]] == ["alone/model/a.txt"]
    mine = log.read(BOB, server="bob/lab")
    assert [r["project"] for r in mine["records"]] == [None, "alone"]
    assert mine["next"] is None
    with pytest.raises(RegistryError) as refused:
        log.read(HubUser("erin"), project="alone")
    assert refused.value.status == 404
    store.close()


# -- schemathesis against docs/registry-openapi.yaml ----------------------------------

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: (valid, invalid) generated requests per operation and hub user.
EXAMPLES = (12, 8)


def test_every_route_is_in_the_spec():
    schema = schemathesis.openapi.from_path(str(SPEC))
    described = {(r.ok().method.upper(), "/api" + r.ok().path) for r in schema.get_all_operations()}
    served = set()
    for pattern, handler, _ in registry_handlers("/", None, None, "."):  # type: ignore[arg-type]
        if not pattern.startswith("/api/"):
            continue
        for verb in ("get", "post", "put", "patch", "delete"):
            if verb in vars(handler):
                served.add((verb.upper(), pattern))
    normalized = {(m, p.replace("([^/]+)", "{}")) for m, p in served}
    assert normalized == {(m, re.sub(r"\{[a-z]+\}", "{}", p)) for m, p in described}


def fuzz(hub, operation, mode, examples, headers, statuses) -> None:
    """Send ``examples`` generated requests of ``operation``; check each answer."""
    key = f"{operation.method.upper()} {operation.path}"
    session = requests.Session()

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode), aim=st.booleans())
    def send(case, aim):
        if aim and "project" in (case.path_parameters or {}):
            case.path_parameters["project"] = "fuzz"  # some at a real project
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(base_url=f"{hub.registry_url}api", headers=headers, session=session)
        counter = statuses.setdefault(key, {})
        counter[response.status_code] = counter.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    send()


@pytest.mark.parametrize("who", ["alice", "bob", "dave", "erin"])
def test_the_api_conforms_to_its_spec(hub, who, report):
    existing = {p["slug"] for p in ok(hub.registry("GET", "projects", "alice"), 200)["projects"]}
    if "fuzz" not in existing:
        make_project(hub, "Fuzz", ["Keep"])
    schema = schemathesis.openapi.from_path(str(SPEC))
    headers = {"Authorization": f"token {hub.tokens[who]}"}
    statuses: dict[str, dict[int, int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        fuzz(hub, operation, GenerationMode.POSITIVE, EXAMPLES[0], headers, statuses)
        fuzz(hub, operation, GenerationMode.NEGATIVE, EXAMPLES[1], headers, statuses)
    assert len(statuses) == 13, statuses
    report(
        "capella-share-registry OpenAPI conformance (schemathesis: status codes)",
        f"{who:5} "
        + "  ".join(f"{k} {dict(sorted(v.items()))}" for k, v in sorted(statuses.items())),
    )
    # what members without the right tried changed nothing
    if who in ("dave", "erin"):
        assert (hub.storage_root / "fuzz" / "keep").is_dir()


# -- the store alone: crash recovery and replicas, on SQLite and PostgreSQL ------------


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.sqlite"
    server = request.getfixturevalue("postgres")
    return server.create_database(f"store{next(_databases)}")


BOB = HubUser("bob")


def new_store(url: str, root: Path) -> RegistryStore:
    storage = LocalStorage(root=str(root))
    return RegistryStore(make_engine(url), storage, project_creators=["bob"])


def test_a_delete_stopped_after_the_rename_is_finished_at_start(store_url, tmp_path):
    root = tmp_path / "shares"
    store = new_store(store_url, root)
    store.create_project(BOB, "Crash")
    store.create_share(BOB, "crash", "Model")
    fill(root / "crash" / "model")
    # the registry stopped right after moving the folder out of sight
    deletion.move_to_trash(str(root / "crash" / "model"), str(root), ("crash", "model"))
    store.close()
    again = new_store(store_url, root)
    asyncio.run(again.recover())
    assert again.project(BOB, "crash")["shares"] == []
    assert (
        not os.listdir(root / deletion.TRASH_NAME)
        if (root / deletion.TRASH_NAME).exists()
        else True
    )
    entries = again.audit(BOB, "crash")["entries"]
    assert (
        entries[0]["action"] == "share.delete" and entries[0]["actor"] == "capella-share-registry"
    )
    again.close()


def test_a_pending_purge_is_done_at_start_exactly_once(store_url, tmp_path):
    root = tmp_path / "shares"
    store = new_store(store_url, root)
    store.create_project(BOB, "Pending")
    store.create_share(BOB, "pending", "Model")
    files, size = fill(root / "pending" / "model")
    # forgotten and detached; the registry stopped before the purge
    store._forget_share(BOB, "pending", "model", "pending/model")
    assert not (root / "pending" / "model").exists()
    store.close()
    again = new_store(store_url, root)
    asyncio.run(again.recover())
    entry = again.audit(BOB, "pending")["entries"][0]
    assert entry["detail"] == {"deleted_files": files, "deleted_bytes": size}
    assert asyncio.run(again.retry_purges()) == 0  # nothing left to do
    with pytest.raises(RegistryError) as refused:
        asyncio.run(again.delete_share(BOB, "pending", "model", "pending/model"))
    assert refused.value.status == 404
    again.close()


# -- Kubernetes: the names and the request, without a cluster --------------------------


def test_volume_names():
    assert (
        volume_name(share_id("coffee-machine", "brewer")) == "capella-share-coffee-machine--brewer"
    )
    long = share_id("p" * 63, "m" * 63)
    name = volume_name(long)
    assert len(name) == 63 and name.startswith("capella-share-ppp")
    assert name != volume_name(share_id("p" * 63, "m" * 62))


def test_the_volume_claim_delete_request(tmp_path):
    from kubernetes_asyncio.client import ApiClient

    async def serialized() -> t.Any:
        async with ApiClient() as client:
            return client.sanitize_for_serialization(delete_options())

    body = asyncio.run(serialized())
    assert body == {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
    storage = KubernetesStorage(namespace="shares")
    ref = ShareRef(share_id("coffee-machine", "brewer"), "coffee-machine", "brewer")
    assert storage.detach(ref) == "capella-share-coffee-machine--brewer"
