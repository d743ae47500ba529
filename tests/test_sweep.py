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
import http.client
import itertools
import json
import os
import re
import re._constants as sre_constants
import re._parser as sre_parser
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from live_server import LiveServer

from capella_share import policy

pytestmark = pytest.mark.timeout(600)

TESTS = Path(__file__).parent
LEVELS = ("view", "edit", "full")
READ_VERBS = ("GET", "HEAD")
WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE")
#: Values every path parameter is also tried with: missing, and junk.
JUNK = ("", "x", "does-not-exist.txt", "%252e%252e", "%2e%2e%2fx", "..%5cx")
#: At most this many paths per route (shaped values first), and per write verb.
PATHS_PER_ROUTE = 5
WRITE_PATHS_PER_ROUTE = 2
NOT_JSON = b"{not json"

SERVERS = {
    "lab at /": ("jupyterlab", "/"),
    "lab at /user/alice/": ("jupyterlab", "/user/alice/"),
    "server at /": ("jupyter_server", "/"),
    "server at /user/alice/": ("jupyter_server", "/user/alice/"),
}


# -- paths from route patterns ---------------------------------------------------------
def _char_allowed(items: list, char: str) -> bool:
    """Whether ``char`` is in a regex character class (as ``re._parser`` parsed it)."""
    code, negate, found = ord(char), False, False
    for op, value in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            found |= value == code
        elif op is sre_constants.RANGE:
            found |= value[0] <= code <= value[1]
        elif op is sre_constants.CATEGORY:
            found |= (
                re.fullmatch(
                    {
                        sre_constants.CATEGORY_WORD: r"\w",
                        sre_constants.CATEGORY_DIGIT: r"\d",
                        sre_constants.CATEGORY_SPACE: r"\s",
                    }.get(value, r"(?!)"),
                    char,
                )
                is not None
            )
    return found != negate


def _node_examples(op: t.Any, value: t.Any) -> list[str]:
    if op is sre_constants.LITERAL:
        return [chr(value)]
    if op is sre_constants.NOT_LITERAL:
        return ["y" if chr(value) == "x" else "x"]
    if op is sre_constants.ANY:
        return ["x"]
    if op is sre_constants.IN:
        return [next((c for c in "xa0-._~" if _char_allowed(value, c)), "x")]
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        low, _, sub = value
        once = _examples(sub)
        return ([""] if low == 0 else []) + [e * max(low, 1) for e in once]
    if op is sre_constants.SUBPATTERN:
        # a path parameter: its shaped values, then missing and junk ones
        return [*_examples(value[-1]), *JUNK, *("/" + junk for junk in JUNK if junk)]
    if op is sre_constants.BRANCH:
        return [e for branch in value[1] for e in _examples(branch)]
    return [""]  # anchors and the like


def _examples(nodes: t.Any) -> list[str]:
    results = [""]
    for op, value in nodes:
        results = [r + e for r in results for e in _node_examples(op, value)][:400]
    return results


def paths_for(pattern: str) -> list[str]:
    """Request paths the route ``pattern`` matches: shaped values first, then junk."""
    regex = re.compile(pattern)
    paths: list[str] = []
    for example in _examples(sre_parser.parse(pattern)):
        path = example if example.startswith("/") else "/" + example
        if regex.fullmatch(path) and path not in paths:
            paths.append(path)
    rest = paths[2:]
    return paths[:2] + rest[:: max(1, len(rest) // (PATHS_PER_ROUTE - 2))][: PATHS_PER_ROUTE - 2]


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


class Sweeper:
    """One kept-alive connection to a server on 127.0.0.1."""

    def __init__(self, server: t.Any):
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def request(self, method: str, path: str, headers: dict, body: bytes | None = None):
        """(status, headers, body); status 0 when the server closed the connection
        without an answer (twice: a kept-alive connection may just have expired)."""
        for _ in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
        return 0, [], b""


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
        deadline = time.monotonic() + 30
        while not census.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert census.exists(), server.log()
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


def _route_of(routes: list[dict], path: str) -> dict:
    """The route tornado serves ``path`` with: the first whose pattern matches."""
    return next(r for r in routes if re.match(r["pattern"], path))


@dataclass
class SweepResult:
    requests: int = 0
    refused: int = 0
    ok: int = 0
    problems: list[str] = field(default_factory=list)
    upstream_errors: set[str] = field(default_factory=set)
    #: route handler -> (memory, disk) the server grew by while it was swept, in bytes
    growth: dict[str, tuple[int, int]] = field(default_factory=dict)


Footprint = t.Callable[[], tuple[int, int]]


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


def _grew(before: tuple[int, int], after: tuple[int, int]) -> tuple[int, int]:
    return after[0] - before[0], after[1] - before[1]


#: Scoped guests' share, and the file beside it whose name and content they must
#: never see.
SCOPE_FOLDER, SCOPE_FILE, OUTSIDE = "project", "project/inside.ipynb", "outside-the-scope.txt"
#: Where a scoped guest's contents paths point: (what, path, whether a guest of
#: the folder scope may read it, of the file scope).
SCOPE_PROBES = (
    ("inside", SCOPE_FILE, True, True),
    ("the scope", SCOPE_FOLDER, True, True),  # the file scope's folder: the way down
    ("a sibling", OUTSIDE, False, False),
    ("the parent", "", True, True),
    ("an escape", "project/%2e%2e/" + OUTSIDE, False, False),
    ("a link out", "project/link-out/" + OUTSIDE, False, False),
)
#: Routes taking a contents path, as URL templates.
PATH_ROUTES = (
    "/api/contents/{}",
    "/api/contents/{}/checkpoints",
    "/files/{}",
    "/view/{}",
    "/nbconvert/html/{}",
    "/api/collaboration/session/{}",
)

#: What the file outside the scope holds.
OUTSIDE_CONTENT = "what no scoped guest may read"

GuestCell = tuple  # (level, headers) or (level, headers, scope)


def _shows_outside(status: int, content: bytes) -> bool:
    """Whether an answer to a scoped guest holds the file outside its scope, or
    names it in something served (a refusal may repeat the path it was asked)."""
    return OUTSIDE_CONTENT.encode() in content or (
        200 <= status < 300 and OUTSIDE.encode() in content
    )


def sweep(
    sweeper: Sweeper,
    routes: list[dict],
    guests: dict[str, GuestCell],
    secrets: dict[str, bytes],
    owner: dict[str, str],
    measure: Footprint | None = None,
) -> SweepResult:
    """Request every route's paths with every verb as each guest; ``guests`` maps a
    name ("view by token") to (level, headers) or (level, headers, scope). What
    must hold is in the module's docstring; every breach is a line of the result's
    ``problems``. With ``measure``, what the server grew by is recorded per route."""
    result = SweepResult()
    for route in routes:
        before = measure() if measure else (0, 0)
        _sweep_route(sweeper, routes, route, guests, secrets, owner, result)
        if measure:
            grown = _grew(before, measure())
            old = result.growth.get(route["handler"], (0, 0))
            result.growth[route["handler"]] = (old[0] + grown[0], old[1] + grown[1])
    return result


def _sweep_route(
    sweeper: Sweeper,
    routes: list[dict],
    route: dict,
    guests: dict[str, GuestCell],
    secrets: dict[str, bytes],
    owner: dict[str, str],
    result: SweepResult,
) -> None:
    for index, path in enumerate(paths_for(route["pattern"])):
        served_by = _route_of(routes, path)
        verbs = READ_VERBS + (WRITE_VERBS if index < WRITE_PATHS_PER_ROUTE else ())
        for verb, (name, cell_guest) in itertools.product(verbs, guests.items()):
            level, headers, *rest = cell_guest
            scope = rest[0] if rest else ""
            body = NOT_JSON if verb in WRITE_VERBS else None
            status, got_headers, content = sweeper.request(verb, path, headers, body)
            if status in (502, 503, 504):  # a proxy in front that lost the server once
                time.sleep(0.2)
                status, got_headers, content = sweeper.request(verb, path, headers, body)
            result.requests += 1
            result.ok += 200 <= status < 300
            cell = f"{verb} {path} as {name} -> {status}"
            text = content + b"\n".join(
                f"{k}: {v}".encode("latin-1", "replace") for k, v in got_headers
            )
            result.problems += [f"{cell}: carries {s}" for s, v in secrets.items() if v in text]
            if scope and _shows_outside(status, content):
                result.problems.append(f"{cell}: names or holds {OUTSIDE}, outside {scope!r}")
            if b"Traceback (most recent call last)" in content:
                result.problems.append(f"{cell}: a stack trace")
            if status >= 500 or status == 0:
                # ours must never fail; an upstream handler that fails the same
                # way for the owner is upstream's (and reported)
                if served_by["handler"].startswith("capella_share") or (
                    0 < sweeper.request(verb, path, owner, body)[0] < 500
                ):
                    result.problems.append(f"{cell}: server error {content[:200]!r}")
                result.upstream_errors.add(f"{verb} {served_by['handler']}")
            resource = served_by["resource"]
            action = policy.method_action(verb, served_by["handler"])
            principal = policy.Principal(policy.Level(level), scope=scope)
            closed = scope and not policy.honours_scope(served_by["handler"])
            if resource is None or not policy.allows(principal, action, resource) or closed:
                result.refused += 1
                if status not in (0, 403, 405):
                    result.problems.append(
                        f"{cell}: {served_by['handler']} ({resource}) must refuse"
                    )


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
        if _shows_outside(status, content):
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
        grown[route["handler"]] = _grew(before, measure())
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
