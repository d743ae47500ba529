"""Project shares across a platform: a real JupyterHub on 127.0.0.1 running the share
registry as a hub-managed service (tests/live_registry.py), single-user servers
started by SimpleLocalProcessSpawner with capella_share.hubside.spawner's pre_spawn_hook,
each following the registry while it runs.

alice (manager) makes project "Coffee Machine" with share "Brewer" from her Lab's
REST API; bob is read-only, carol read-write. Each sees the share with the right
permission; bob's write is refused, carol's goes through and alice reads it; bob
made read-write can write without a restart; alice deletes the share with the typed
confirmation and it is gone for everyone.

The registry keeps its tables in SQLite, and in a real PostgreSQL when one can be
started here (tests/live_postgres.py).
"""

from __future__ import annotations

import json
import time
import typing as t
from pathlib import Path

import pytest
import requests
from helpers import until_blocking
from live_hub import LiveHub, proxy_command, xsrf_headers
from live_postgres import LivePostgres, missing_reason
from live_registry import LiveRegistryHub

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(proxy_command() is None, reason="configurable-http-proxy is missing"),
]

#: What jupyterhub_config.py gains for local spawners (the lines docs/shares.md gives).
HOOK_CONFIG = """
from capella_share.hubside import spawner as capella_spawner
c.Spawner.pre_spawn_hook = capella_spawner.pre_spawn_hook
c.ShareSpawnerHook.storage_root = {storage_root!r}
"""

SHARE = "shared/coffee-machine/brewer"
#: RegistryShareProvider.poll_interval's default.
POLL = 3.0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hub(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"platform-{request.param}")
    postgres = None
    if request.param == "sqlite":
        db_url = f"sqlite:///{workdir / 'registry.sqlite'}"
    else:
        reason = missing_reason()
        if reason is not None:
            pytest.skip(reason)
        postgres = LivePostgres()
        postgres.start()
        db_url = postgres.create_database("registry")
    config = HOOK_CONFIG.format(storage_root=str(workdir / "shares"))
    hub = LiveRegistryHub(workdir, db_url, config)
    try:
        hub.start()
        yield hub
    finally:
        hub.stop()
        if postgres is not None:
            postgres.stop()


class Lab:
    """A user's browser on their own server, logged in through the hub."""

    def __init__(self, hub: LiveHub, user: str):
        self.hub = hub
        self.user = user
        self.session = hub.login(user)

    def open(self) -> None:
        self.hub.start_server(self.user)
        assert self.hub.authorize(self.session, self.user).status_code == 200

    def restart(self) -> None:
        response = self.hub.api("DELETE", f"users/{self.user}/server")
        assert response.status_code in (202, 204), response.text
        until_blocking(
            lambda: not self.hub.api("GET", f"users/{self.user}").json()["servers"],
            60,
            "the server did not stop",
            interval=0.3,
        )
        self.open()

    def call(self, method: str, path: str, **kwargs: t.Any) -> requests.Response:
        url = f"{self.hub.url}/user/{self.user}/{path}"
        headers = xsrf_headers(self.session, url)
        return self.session.request(method, url, headers=headers, timeout=60, **kwargs)

    def shares(self) -> dict[str, dict]:
        response = self.call("GET", "api/capella-share/shares")
        assert response.status_code == 200, response.text
        return {f"{s['project']}/{s['model']}": s for s in response.json()["shares"]}

    def write(self, name: str, content: str) -> requests.Response:
        body = {"type": "file", "format": "text", "content": content}
        return self.call("PUT", f"api/contents/{SHARE}/{name}", json=body)


def test_a_share_across_the_platform(hub, report):
    alice = Lab(hub, "alice")
    alice.open()
    # alice's Lab asks the registry, as alice: the project and the share are made
    made = alice.call(
        "POST", "api/capella-share/shares", json={"project": "Coffee Machine", "model": "Brewer"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["restart_needed"] is True and "restart" in made.json()["note"]
    for user, role in (("bob", "read-only"), ("carol", "read-write")):
        response = hub.registry(
            "PUT", f"projects/coffee-machine/members/user/{user}", "alice", json={"role": role}
        )
        assert response.status_code == 200, response.text
    alice.restart()  # the share is linked as her server starts
    bob, carol = Lab(hub, "bob"), Lab(hub, "carol")
    bob.open()
    carol.open()

    for lab, permission, role in (
        (alice, "read-write", "manager"),
        (bob, "read-only", "read-only"),
        (carol, "read-write", "read-write"),
    ):
        share = lab.shares()["coffee-machine/brewer"]
        assert (share["permission"], share["role"]) == (permission, role), lab.user
        assert share["path"] == SHARE and share["exists"] and not share["restart_needed"]

    refused = bob.write("bob.txt", "from bob")
    assert refused.status_code == 403
    assert "coffee-machine/brewer" in refused.json()["message"]
    assert carol.write("carol.txt", "from carol").status_code == 201
    seen = alice.call("GET", f"api/contents/{SHARE}/carol.txt")
    assert seen.status_code == 200 and seen.json()["content"] == "from carol"
    assert (hub.storage_root / "coffee-machine" / "brewer" / "carol.txt").exists()

    # bob's role changes while his server runs: it follows at the next reading
    took = []
    for role, permission in (
        ("read-write", "read-write"),
        ("read-only", "read-only"),
        ("manager", "read-write"),
        ("read-only", "read-only"),
        ("read-write", "read-write"),
    ):
        response = hub.registry(
            "PUT", "projects/coffee-machine/members/user/bob", "alice", json={"role": role}
        )
        assert response.status_code == 200, response.text
        took.append(
            until_blocking(lambda permission=permission: _permission(bob, permission), POLL + 3)
        )
    report(
        "registry",
        f"a role change reached a running session in {min(took):.2f}-{max(took):.2f} s "
        f"({len(took)} changes, poll {POLL:g} s)",
    )
    assert bob.write("bob.txt", "from bob").status_code == 201

    # only managers delete; the confirmation is typed
    refused = bob.call(
        "DELETE", "api/capella-share/shares/coffee-machine/brewer",
        json={"confirm": "coffee-machine/brewer"},
    )  # fmt: skip
    assert refused.status_code == 403 and "managers" in refused.json()["message"]
    unconfirmed = alice.call("DELETE", "api/capella-share/shares/coffee-machine/brewer", json={})
    assert unconfirmed.status_code == 400
    deleted = alice.call(
        "DELETE", "api/capella-share/shares/coffee-machine/brewer",
        json={"confirm": "coffee-machine/brewer"},
    )  # fmt: skip
    assert deleted.status_code == 200, deleted.text
    assert "coffee-machine/brewer" not in alice.shares()
    gone = time.monotonic()
    for lab in (bob, carol):
        until_blocking(lambda lab=lab: "coffee-machine/brewer" not in lab.shares(), POLL + 3)
    report("registry", f"a deleted share left every session within {time.monotonic() - gone:.2f} s")
    assert not (hub.storage_root / "coffee-machine" / "brewer").exists()
    for lab in (alice, bob, carol):
        listing = lab.call("GET", "api/contents/shared/coffee-machine")
        assert listing.status_code == 200
        assert [entry["name"] for entry in listing.json()["content"]] == [], lab.user
    assert _audit_names(hub) >= {"alice"}


def _permission(lab: Lab, permission: str) -> bool:
    return lab.shares()["coffee-machine/brewer"]["permission"] == permission


def _audit_names(hub: LiveRegistryHub) -> set[str]:
    response = hub.registry("GET", "audit?project=coffee-machine", "alice")
    assert response.status_code == 200, response.text
    return {entry["actor"] for entry in response.json()["entries"]}


def test_the_hook_hands_each_server_its_manifest_outside_its_home(hub):
    """What the servers were given as they started (the manifest of docs/shares.md)."""
    manifests = Path(hub.storage_root).parent / "manifests"
    for user, permission in (
        ("alice", "read-write"),
        ("bob", "read-only"),
        ("carol", "read-write"),
    ):
        data = json.loads((manifests / f"{user}.json").read_text())
        assert data == {
            "version": 1,
            "shares": [
                {
                    "project": "Coffee Machine",
                    "model": "Brewer",
                    "permission": permission,
                    "path": SHARE,
                }
            ],
        }, user
