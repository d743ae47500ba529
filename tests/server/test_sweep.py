"""Every route of real servers, swept as every kind of guest.

Four real servers in subprocesses (``jupyter lab`` and ``jupyter server``, at base
URL ``/`` and ``/user/alice/``), with every server extension installed here plus
one more (``route_census``) that stands for any other extension: it adds a route
nobody classified which hands out the owner's token, and writes the server's route
table once all extensions have loaded.

Each route's path parameters are filled with values of the expected shape and with
missing and junk ones, and each resulting path is requested with GET and HEAD (and
the write verbs with a body that is not JSON) as a view, edit and full guest, by
header token and by login cookie. Every answer must:
- carry no secret: not the owner's token, the cookie secret, nor any link's token;
- carry no stack trace, and be no 5xx;
- be a refusal (403, or 405 for a verb the route lacks) wherever the policy does
  not allow the verb's action on the route's resource, and on every unclassified
  route.

Guests whose link shares one folder or one file (a scope) are swept too: every
route that cannot honour a scope must refuse them, and no answer to them may name
or hold what lies outside their scope. Each route that takes a contents path is
also asked, by them, for a path inside the scope, the scope itself, a sibling,
the parent, an encoded escape and a symbolic link leading out.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from helpers import (
    LEVELS,
    OUTSIDE,
    OUTSIDE_CONTENT,
    PATH_ROUTES,
    SCOPE_FILE,
    SCOPE_FOLDER,
    SCOPE_PROBES,
    TESTS,
    Footprint,
    GuestCell,
    Sweeper,
    SweepResult,
    grew,
    paths_for,
    shows_outside,
    sweep,
    until_blocking,
)
from live_server import LiveServer

from capella_share import policy

pytestmark = pytest.mark.timeout(600)


SERVERS = {
    "lab at /": ("jupyterlab", "/"),
    "lab at /user/alice/": ("jupyterlab", "/user/alice/"),
    "server at /": ("jupyter_server", "/"),
    "server at /user/alice/": ("jupyter_server", "/user/alice/"),
}


# -- the servers -------------------------------------------------------------------------
@dataclass
class Guest:
    level: str
    token: str
    cookie: str
    scope: str = ""

    def headers(self, by: str) -> dict[str, str]:
        return (
            {"Authorization": f"token {self.token}"} if by == "token" else {"Cookie": self.cookie}
        )


def _tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with a hash of its content. An empty
    ``.ipynb_checkpoints`` folder is left out: jupyter_server makes one when
    checkpoints are merely listed, a read any guest may do."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        for p in sorted(root.rglob("*"))
        if not (p.name == ".ipynb_checkpoints" and p.is_dir() and not any(p.iterdir()))
    }


@pytest.fixture(scope="module", params=list(SERVERS), ids=list(SERVERS))
def swept_server(request, tmp_path_factory):
    app, prefix = SERVERS[request.param]
    workdir = tmp_path_factory.mktemp("sweep")
    census = workdir / "routes.json"
    server = LiveServer(
        workdir,
        app=app,
        prefix=prefix,
        extensions={"route_census": True},
        env={
            "ROUTE_CENSUS": str(census),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
        },
    )
    (server.root / "notebook.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    (server.root / "notes.txt").write_text("some notes\n")
    # what scoped guests are given, and what lies beside it
    (server.root / "project").mkdir()
    (server.root / SCOPE_FILE).write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    (server.root / OUTSIDE).write_text(f"{OUTSIDE} holds {OUTSIDE_CONTENT}\n")
    (server.root / "project" / "link-out").symlink_to("..", target_is_directory=True)
    server.start()
    try:
        until_blocking(census.exists, 30, server.log)
        yield server, json.loads(census.read_text())
    finally:
        server.stop()


def _guest(server: LiveServer, level: str, scope: str = "") -> Guest:
    response = server.request(
        "POST",
        "api/capella-share/links",
        json={"permission": level, "expires_in": None, "scope": scope},
    )
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    login = requests.get(
        f"{server.base_url}/api/capella-share/session", params={"token": token}, timeout=30
    )
    assert login.status_code == 200, login.text
    cookie = "; ".join(f"{c.name}={c.value}" for c in login.cookies)
    assert "-guest=" in cookie, cookie
    return Guest(level, token, cookie, scope)


def _secrets(server: LiveServer, guests: list[Guest]) -> dict[str, bytes]:
    cookie_secret = (server.workdir / "runtime" / "jupyter_cookie_secret").read_bytes().strip()
    found = {"the owner's token": server.token.encode(), "the cookie secret": cookie_secret}
    found.update({f"the {g.level} link's token": g.token.encode() for g in guests})
    return found


#: The activity trail's folder (in the data folder): it grows with what guests do,
#: by design; test_every_route_as_every_guest bounds each of its records instead.
TRAIL = "activity"
#: The largest record the trail may hold, however long what a guest sent.
MAX_RECORD = 4096


def footprint(server: LiveServer) -> Footprint:
    """What the server holds: its resident memory and the size of its folders
    (root, data, runtime; not the activity trail), in bytes."""

    trail = server.workdir / "data" / "capella_share" / TRAIL

    def measure() -> tuple[int, int]:
        status = Path(f"/proc/{server.process.pid}/status").read_text()
        memory = next(
            int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")
        )
        disk = sum(
            p.stat().st_size
            for folder in (server.root, server.workdir / "data", server.workdir / "runtime")
            for p in folder.rglob("*")
            if p.is_file() and not p.is_relative_to(trail)
        )
        return memory, disk

    return measure


def probe_scopes(
    sweeper: Sweeper,
    routes: list[dict],
    guests: dict[str, GuestCell],
    prefix: str,
) -> SweepResult:
    """Ask each route of PATH_ROUTES, as each scoped guest, for each SCOPE_PROBES
    path: what lies outside the scope is refused (and never shown), what lies
    inside is served."""
    result = SweepResult()
    for template, (what, path, folder_may, file_may), (name, cell_guest) in itertools.product(
        PATH_ROUTES, SCOPE_PROBES, guests.items()
    ):
        _, headers, scope = cell_guest
        url = (prefix.rstrip("/") + template.format(path)).replace("//", "/").rstrip("/")
        if not any(re.match(r["pattern"], url) for r in routes):
            continue  # a route this server does not have
        may = folder_may if scope == SCOPE_FOLDER else file_may
        verb = "PUT" if "collaboration" in template else "GET"
        body = (
            json.dumps({"format": "json", "type": "notebook"}).encode() if verb == "PUT" else None
        )
        status, _, content = sweeper.request(verb, url, headers, body)
        result.requests += 1
        cell = f"{verb} {url} ({what}) as {name} -> {status}"
        if shows_outside(status, content):
            result.problems.append(f"{cell}: names or holds {OUTSIDE}")
        if not may and 200 <= status < 300:
            result.problems.append(f"{cell}: outside {scope!r}, yet served")
        if not may:
            result.refused += 1
        elif status == 403 and b"shares only" in content:
            # inside, yet refused for its scope
            result.problems.append(f"{cell}: inside {scope!r}, yet refused")
    return result


#: Requests of one kind a view guest repeats, and what they may add to the server
#: in all: what stays behind after each request shows as growth with their number.
REPEATS = 50
MAX_MEMORY_GROWTH = 8 * 1024 * 1024
MAX_DISK_GROWTH = 16 * 1024


def repeat(
    sweeper: Sweeper, routes: list[dict], headers: dict[str, str], measure: Footprint
) -> dict[str, tuple[int, int]]:
    """Each route a view guest may use, asked REPEATS times with a long name never
    asked before in its last path parameter; what the server grew by, per route."""
    viewer = policy.Principal(policy.Level.VIEW)
    grown: dict[str, tuple[int, int]] = {}
    for route in routes:
        paths = paths_for(route["pattern"])
        if not paths or route["resource"] is None:
            continue
        verbs = [
            verb
            for verb in ("GET", "PUT", "POST")
            if policy.allows(
                viewer, policy.method_action(verb, route["handler"]), route["resource"]
            )
        ]
        if not verbs:
            continue
        body = json.dumps({"format": "text", "type": "file"}).encode()
        before = measure()
        for i in range(REPEATS):
            path = paths[-1] + f"{i}-" + "n" * 200
            for verb in verbs:
                sweeper.request(verb, path, headers, None if verb == "GET" else body)
        grown[route["handler"]] = grew(before, measure())
    return grown


def test_every_route_as_every_guest(swept_server, report):
    server, routes = swept_server
    guests = [_guest(server, level) for level in LEVELS] + [
        _guest(server, "view", SCOPE_FOLDER),
        _guest(server, "edit", SCOPE_FILE),
        _guest(server, "full", SCOPE_FOLDER),
    ]
    secrets = _secrets(server, guests)
    before = _tree(server.root)

    # The stand-in for another extension's careless route really leaks to the
    # owner: the checks below would see it if it reached a guest.
    owner_view = server.request("GET", "api/other-extension/secret")
    assert owner_view.status_code == 200 and server.token in owner_view.text

    unclassified = sorted({r["handler"] for r in routes if r["resource"] is None})
    assert "route_census.SecretHandler" in unclassified
    assert all(r["vetted"] for r in routes), [r for r in routes if not r["vetted"]]

    measure = footprint(server)
    sweeper = Sweeper(server)
    swept = sweep(
        sweeper,
        routes,
        {
            f"{guest.level}{f' scoped to {guest.scope}' if guest.scope else ''} by {by}": (
                guest.level,
                guest.headers(by),
                guest.scope,
            )
            for guest in guests
            for by in ("token", "cookie")
        },
        secrets,
        owner={"Authorization": f"token {server.token}"},
        measure=measure,
    )
    assert _tree(server.root) == before, "a guest's request changed the server's files"
    probed = probe_scopes(
        sweeper,
        routes,
        {
            f"{guest.level} scoped to {guest.scope} by {by}": (
                guest.level,
                guest.headers(by),
                guest.scope,
            )
            for guest in guests
            if guest.scope
            for by in ("token", "cookie")
        },
        server.prefix,
    )
    swept.problems += probed.problems
    repeated = repeat(sweeper, routes, guests[0].headers("token"), measure)
    assert _tree(server.root) == before, "a guest's request changed the server's files"
    assert swept.ok > 100, swept  # the guests really got in where allowed
    report(
        "route sweep",
        f"{server.prefix} ({server.app}): {len(routes)} routes, {swept.requests} route x verb "
        f"x guest requests, {swept.refused} of them cells the policy refuses; "
        f"unclassified: {', '.join(unclassified)}; upstream handlers answering 500 to junk "
        f"for the owner too: {', '.join(sorted(swept.upstream_errors)) or 'none'}; "
        f"scoped guests' contents paths probed: {probed.requests}, {probed.refused} of them "
        "outside their scope",
    )

    def biggest(growth: dict[str, tuple[int, int]], which: int) -> str:
        top = sorted(growth.items(), key=lambda item: -item[1][which])[:3]
        return ", ".join(
            f"{name.rsplit('.', 1)[-1]} {grown[which] / 1024:+.0f} KiB" for name, grown in top
        )

    report(
        "route sweep: what the server grew by, per route",
        f"{server.prefix} ({server.app}): the sweep (every verb and guest): memory "
        f"{biggest(swept.growth, 0)}; disk {biggest(swept.growth, 1)}. {REPEATS} new names "
        f"asked by a view guest on each of {len(repeated)} routes: memory "
        f"{biggest(repeated, 0)}; disk {biggest(repeated, 1)}",
    )
    swept.problems += [
        f"{handler}: {REPEATS} requests of a view guest left {memory / 1024:.0f} KiB of memory "
        f"and {disk / 1024:.0f} KiB on disk behind"
        for handler, (memory, disk) in repeated.items()
        if memory > MAX_MEMORY_GROWTH or disk > MAX_DISK_GROWTH
    ]
    swept.problems += [
        f"a trail record of {len(line)} bytes: {line[:200]!r}"
        for path in (server.workdir / "data").rglob("activity*.jsonl")
        for line in path.read_bytes().splitlines()
        if len(line) > MAX_RECORD
    ]
    assert not swept.problems, f"{len(swept.problems)} problems:\n" + "\n".join(swept.problems[:60])
