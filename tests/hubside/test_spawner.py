"""The spawner hooks (capella_share.hubside.spawner) and the session that follows the registry
(capella_share.shares.registry), without a hub.

- KubeSpawner: the pod manifest KubeSpawner itself builds (``_mock=True``, as its
  own tests do), with ``modify_pod_hook`` applied, checked with the
  kubernetes_asyncio models; claims made through KubeSpawner's API client, against a
  stand-in Kubernetes API on 127.0.0.1 (tests/standins.py).
- Local spawners: the links and the manifest ``pre_spawn_hook`` makes.
- The session: a real server (pytest-jupyter) whose shares are links the hook made
  into a host folder, following a stand-in registry: read-only holds on the
  resolved paths (contents API, renames, RTC), a role change applies while it
  runs, a deleted share goes, the registry unreachable means read-only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import types
import typing as t
from pathlib import Path

import pytest
from helpers import saved_source, settle, until, with_collaboration, write_notebook
from jupyterhub.spawner import SimpleLocalProcessSpawner
from standins import StandInKubernetes, StandInRegistry
from traitlets.config import Config

from capella_share.hubside import spawner as hook
from capella_share.hubside.spawner.local import link_shares
from capella_share.shares.registry import MOUNT_ROOT_ENV, REGISTRY_URL_ENV, RegistryShareProvider

pytestmark = pytest.mark.timeout(120)

TOKEN = {"alice": "alice-token", "bob": "bob-token", "carol": "carol-token"}


@pytest.fixture
def registry(tmp_path):
    standin = StandInRegistry(str(tmp_path / "storage"), admins=["alice"])
    standin.tokens = {token: user for user, token in TOKEN.items()}
    standin.add(
        "coffee-machine",
        "brewer",
        {"alice": "manager", "bob": "read-only", "carol": "read-write"},
        name="Coffee Machine",
    )
    standin.start()
    yield standin
    standin.stop()


# -- KubeSpawner ----------------------------------------------------------------------------
@pytest.fixture
def kube(kube_api, kube_clients):
    return kube_api


@pytest.fixture(scope="module")
def kube_api(tmp_path_factory):
    """A stand-in Kubernetes API; KubeSpawner loads its configuration once per process."""
    standin = StandInKubernetes()
    standin.start()
    config = tmp_path_factory.mktemp("kube") / "config"
    config.write_text(standin.kubeconfig())
    # kubernetes_asyncio reads KUBECONFIG once, when first imported (which another
    # test module may have done already): point both at the stand-in
    from kubernetes_asyncio.config import kube_config

    previous = os.environ.get("KUBECONFIG")
    previous_default = kube_config.KUBE_CONFIG_DEFAULT_LOCATION
    os.environ["KUBECONFIG"] = str(config)
    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(config)
    yield standin
    standin.stop()
    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = previous_default
    if previous is None:
        os.environ.pop("KUBECONFIG", None)
    else:
        os.environ["KUBECONFIG"] = previous


def kube_spawner(user: str, registry: StandInRegistry, **settings: t.Any) -> t.Any:
    from kubespawner import KubeSpawner

    config = Config()
    config.KubeSpawner.namespace = "capella"
    config.KubeSpawner.volumes = [{"name": "home", "emptyDir": {}}]
    config.KubeSpawner.volume_mounts = [{"name": "home", "mountPath": "/home/jovyan"}]
    config.ShareSpawnerHook.registry_url = registry.url
    config.ShareSpawnerHook.storage_class = "shared-nfs"
    config.ShareSpawnerHook.storage_capacity = "5Gi"
    for name, value in settings.items():
        setattr(config.ShareSpawnerHook, name, value)
    person = types.SimpleNamespace(name=user, id=1, url=f"/user/{user}/", settings={})
    spawner = KubeSpawner(_mock=True, config=config, user=person)
    spawner.api_token = TOKEN[user]
    return spawner


async def as_model(pod: t.Any, kind: str = "V1Pod") -> t.Any:
    """What the API server would read: serialised, then parsed back into the
    kubernetes_asyncio models (which check required fields)."""
    from kubernetes_asyncio.client import ApiClient

    async with ApiClient() as client:
        data = json.dumps(client.sanitize_for_serialization(pod))
        return client.deserialize(types.SimpleNamespace(data=data), kind)


@pytest.fixture
def kube_clients(jp_asyncio_loop):
    """KubeSpawner keeps one API client per event loop, closed by a task when the
    hub stops; here when the test ends."""
    yield
    tasks = [
        task
        for task in asyncio.all_tasks(jp_asyncio_loop)
        if "close_client_task" in getattr(task.get_coro(), "__qualname__", "")
    ]
    for task in tasks:
        task.cancel()
    jp_asyncio_loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


async def test_kubespawner_mounts_each_share_read_only_by_role(kube, registry):
    from kubernetes_asyncio.client import V1Pod

    registry.add("coffee-machine", "grinder", {})
    registry.add("wing", "baseline", {"bob": "read-write"}, name="Wing")
    spawner = kube_spawner("bob", registry)
    pod = await hook.modify_pod_hook(spawner, await spawner.get_pod_manifest())
    pod = await as_model(pod)
    assert isinstance(pod, V1Pod)

    volumes = {volume.name: volume for volume in pod.spec.volumes}
    assert set(volumes) == {
        "home",
        "capella-share-coffee-machine--brewer",
        "capella-share-coffee-machine--grinder",
        "capella-share-wing--baseline",
    }
    claims = {
        name: (v.persistent_volume_claim.claim_name, v.persistent_volume_claim.read_only)
        for name, v in volumes.items()
        if v.persistent_volume_claim
    }
    assert claims == {
        "capella-share-coffee-machine--brewer": ("capella-share-coffee-machine--brewer", True),
        "capella-share-coffee-machine--grinder": ("capella-share-coffee-machine--grinder", True),
        "capella-share-wing--baseline": ("capella-share-wing--baseline", False),
    }
    container = pod.spec.containers[0]
    mounts = {m.mount_path: (m.name, bool(m.read_only)) for m in container.volume_mounts}
    assert mounts == {
        "/home/jovyan": ("home", False),
        "/home/jovyan/shared/coffee-machine/brewer": ("capella-share-coffee-machine--brewer", True),
        "/home/jovyan/shared/coffee-machine/grinder": (
            "capella-share-coffee-machine--grinder",
            True,
        ),
        "/home/jovyan/shared/wing/baseline": ("capella-share-wing--baseline", False),
    }
    env = {var.name: var.value for var in container.env}
    assert env[REGISTRY_URL_ENV] == registry.url
    assert env[MOUNT_ROOT_ENV] == "/home/jovyan/shared"
    assert ("GET", "users/bob/shares", "bob") in registry.requests


async def test_kubespawner_makes_missing_claims_once(kube, registry):
    from kubernetes_asyncio.client import V1PersistentVolumeClaim

    carol = kube_spawner("carol", registry)
    await hook.modify_pod_hook(carol, await carol.get_pod_manifest())
    claim = kube.claims[("capella", "capella-share-coffee-machine--brewer")]
    parsed = await as_model(claim, "V1PersistentVolumeClaim")
    assert isinstance(parsed, V1PersistentVolumeClaim)
    assert parsed.spec.access_modes == ["ReadWriteMany"]
    assert parsed.spec.storage_class_name == "shared-nfs"
    assert parsed.spec.resources.requests == {"storage": "5Gi"}
    assert parsed.metadata.labels["app.kubernetes.io/managed-by"] == "capella-share"
    made = len(kube.created)

    # another member, a restart: the claim exists, nothing more is made
    bob = kube_spawner("bob", registry)
    pod = await hook.modify_pod_hook(bob, await bob.get_pod_manifest())
    pod = await hook.modify_pod_hook(bob, pod)  # applied twice: still one of each
    assert len(kube.created) == made
    names = [volume.name for volume in (await as_model(pod)).spec.volumes]
    assert sorted(names) == ["capella-share-coffee-machine--brewer", "home"]


async def test_a_long_share_id_makes_a_valid_claim_name(kube, registry):
    project, model = "p" * 60, "m" * 60
    registry.add(project, model, {"carol": "read-only"})
    spawner = kube_spawner("carol", registry)
    pod = await as_model(await hook.modify_pod_hook(spawner, await spawner.get_pod_manifest()))
    long_ones = [v.name for v in pod.spec.volumes if v.name.startswith("capella-share-p")]
    assert len(long_ones) == 1 and len(long_ones[0]) <= 63
    assert (("capella", long_ones[0])) in kube.claims
    mount = next(m for m in pod.spec.containers[0].volume_mounts if m.name == long_ones[0])
    assert mount.mount_path == f"/home/jovyan/shared/{project}/{model}" and mount.read_only


async def test_a_refusing_registry_stops_the_spawn_and_says_what_to_configure(kube, registry):
    spawner = kube_spawner("bob", registry)
    spawner.api_token = "not-a-token"
    with pytest.raises(hook.RegistryUnavailable, match="server_token_scopes"):
        await hook.modify_pod_hook(spawner, await spawner.get_pod_manifest())
    registry.stop()
    spawner.api_token = TOKEN["bob"]
    with pytest.raises(hook.RegistryUnavailable, match="cannot be reached"):
        await hook.modify_pod_hook(spawner, await spawner.get_pod_manifest())
    registry.start()  # for the fixture to stop


async def test_pre_spawn_hook_on_kubespawner_points_to_modify_pod_hook(kube, registry):
    with pytest.raises(hook.RegistryUnavailable, match="modify_pod_hook"):
        await hook.pre_spawn_hook(kube_spawner("bob", registry))


# -- local spawners -------------------------------------------------------------------------
def local_spawner(user: str, registry: StandInRegistry, tmp_path: Path) -> t.Any:
    config = Config()
    config.SimpleLocalProcessSpawner.home_dir_template = str(tmp_path / "home" / "{username}")
    config.Spawner.environment = {"KEEP": "me"}
    config.ShareSpawnerHook.registry_url = registry.url
    config.ShareSpawnerHook.storage_root = registry.storage_root
    person = types.SimpleNamespace(name=user, id=1, url=f"/user/{user}/", settings={})
    spawner = SimpleLocalProcessSpawner(config=config, user=person)
    spawner.api_token = TOKEN[user]
    return spawner


def manifest_of(spawner: t.Any) -> t.Any:
    return json.loads(Path(spawner.environment["CAPELLA_SHARE_MANIFEST"]).read_text())


def lexists(path: Path) -> bool:
    return os.path.lexists(path)


async def test_the_local_hook_links_shares_and_hands_over_a_manifest(registry, tmp_path):
    registry.add("wing", "baseline", {"bob": "read-write"}, name="Wing")
    spawner = local_spawner("bob", registry, tmp_path)
    await hook.pre_spawn_hook(spawner)

    home = tmp_path / "home" / "bob"
    storage = Path(registry.storage_root)
    link = home / "shared" / "coffee-machine" / "brewer"
    assert link.is_symlink() and link.resolve() == storage / "coffee-machine" / "brewer"
    assert (home / "shared" / "wing" / "baseline").resolve() == storage / "wing" / "baseline"
    env = spawner.environment
    assert env["KEEP"] == "me"
    assert env[REGISTRY_URL_ENV] == registry.url
    assert env[MOUNT_ROOT_ENV] == str(home / "shared")
    assert not Path(env["CAPELLA_SHARE_MANIFEST"]).is_relative_to(home)  # not the user's
    manifest = manifest_of(spawner)
    assert manifest == {
        "version": 1,
        "shares": [
            {
                "project": "Coffee Machine",
                "model": "Brewer",
                "permission": "read-only",
                "path": "shared/coffee-machine/brewer",
            },
            {
                "project": "Wing",
                "model": "Baseline",
                "permission": "read-write",
                "path": "shared/wing/baseline",
            },
        ],
    }
    # another spawner of the same class keeps the configured environment
    other = local_spawner("carol", registry, tmp_path)
    assert other.environment == {"KEEP": "me"}


async def test_the_local_hook_removes_links_to_shares_no_longer_yours(registry, tmp_path):
    spawner = local_spawner("bob", registry, tmp_path)
    await hook.pre_spawn_hook(spawner)
    home = tmp_path / "home" / "bob"
    (home / "shared" / "mine").mkdir()
    (home / "shared" / "mine" / "own-link").symlink_to(tmp_path)  # not into the storage
    registry.set_role("coffee-machine", "bob", None)
    await hook.pre_spawn_hook(spawner)
    assert not lexists(home / "shared" / "coffee-machine" / "brewer")
    assert (home / "shared" / "mine" / "own-link").is_symlink()
    assert manifest_of(spawner) == {
        "version": 1,
        "shares": [],
    }


async def test_the_local_hook_links_only_what_is_there_and_free(registry, tmp_path, caplog):
    registry.add("wing", "baseline", {"bob": "read-write"})
    (Path(registry.storage_root) / "wing" / "baseline").rmdir()  # deleted meanwhile
    spawner = local_spawner("bob", registry, tmp_path)
    in_the_way = tmp_path / "home" / "bob" / "shared" / "coffee-machine" / "brewer"
    in_the_way.mkdir(parents=True)
    (in_the_way / "mine.txt").write_text("mine")
    spawner.log = logging.getLogger("test-spawner")
    with caplog.at_level(logging.WARNING):
        await hook.pre_spawn_hook(spawner)
    assert (in_the_way / "mine.txt").read_text() == "mine"
    assert "in the way" in caplog.text
    assert "wing--baseline has no folder" in caplog.text
    assert not lexists(tmp_path / "home" / "bob" / "shared" / "wing" / "baseline")
    assert not lexists(Path(registry.storage_root) / "wing" / "baseline")  # not made here
    assert manifest_of(spawner)["shares"] == []


# -- the session, following the registry -----------------------------------------------------
POLL = 0.2


@pytest.fixture
def session_registry(registry, jp_root_dir):
    """Shares linked into bob's server root as the local hook links them."""
    link_shares(
        registry.shares_of("bob"),
        registry.storage_root,
        str(jp_root_dir / "shared"),
        logging.getLogger("test"),
    )
    return registry


@pytest.fixture
def jp_server_config(jp_server_config, session_registry, jp_root_dir, jp_data_dir):
    config = with_collaboration(jp_server_config, jp_root_dir, jp_data_dir)
    config["CapellaShareApp"] = {
        "share_provider_class": "capella_share.shares.registry.RegistryShareProvider"
    }
    config["RegistryShareProvider"] = {
        "registry_url": session_registry.url,
        "api_token": TOKEN["bob"],
        "user": "bob",
        "poll_interval": POLL,
        "mount_root": str(jp_root_dir / "shared"),
    }
    return config


SHARE = "shared/coffee-machine/brewer"


def text(content: str) -> str:
    return json.dumps({"type": "file", "format": "text", "content": content})


async def listed(shares_api) -> dict[str, dict]:
    response = await shares_api("GET")
    assert response.code == 200, response.body
    return {f"{s['project']}/{s['model']}": s for s in response.json()["shares"]}


async def test_a_linked_read_only_share_is_listed_and_enforced(
    fetch, shares_api, capella, session_registry, jp_root_dir
):
    assert isinstance(capella.shares, RegistryShareProvider)
    shares = await listed(shares_api)
    assert shares["coffee-machine/brewer"]["permission"] == "read-only"
    assert shares["coffee-machine/brewer"]["role"] == "read-only"
    assert shares["coffee-machine/brewer"]["restart_needed"] is False
    storage = Path(session_registry.storage_root) / "coffee-machine" / "brewer"
    (storage / "data.txt").write_text("v1")

    refused = await fetch("api", "contents", SHARE, "data.txt", method="PUT", body=text("x"))
    assert refused.code == 403
    assert "coffee-machine/brewer" in refused.json()["message"]
    # through the link itself and through its folder: the resolved path decides
    for source, target in (
        (f"{SHARE}/data.txt", "stolen.txt"),
        (SHARE, "mine"),
        ("outside.txt", f"{SHARE}/planted.txt"),
    ):
        if source == "outside.txt":
            (jp_root_dir / "outside.txt").write_text("o")
        moved = await fetch(
            "api", "contents", source, method="PATCH", body=json.dumps({"path": target})
        )
        assert moved.code == 403, (source, moved.body)
    deleted = await fetch("api", "contents", SHARE, "data.txt", method="DELETE")
    assert deleted.code == 403
    # the folder holding the link: moving it away is refused too
    moved = await fetch(
        "api",
        "contents",
        "shared/coffee-machine",
        method="PATCH",
        body=json.dumps({"path": "elsewhere"}),
    )
    assert moved.code == 403, moved.body
    assert (storage / "data.txt").read_text() == "v1"
    assert sorted(os.listdir(storage)) == ["data.txt"]
    # the real folder lies outside the root: the contents API cannot name it
    outside = await fetch("api", "contents", "..", "storage", method="GET")
    assert outside.code in (400, 404)


async def test_a_second_link_of_ones_own_into_the_share_is_read_only_too(
    fetch, session_registry, jp_root_dir
):
    (jp_root_dir / "shortcut").symlink_to(jp_root_dir / SHARE)
    refused = await fetch("api", "contents", "shortcut", "x.txt", method="PUT", body=text("x"))
    assert refused.code == 403
    (jp_root_dir / "direct").symlink_to(
        Path(session_registry.storage_root) / "coffee-machine" / "brewer"
    )
    refused = await fetch("api", "contents", "direct", "x.txt", method="PUT", body=text("x"))
    assert refused.code == 403


async def test_rtc_edits_of_a_linked_read_only_share_are_dropped(
    rtc_open, room_source, jp_root_dir, session_registry
):
    path = f"{SHARE}/model.ipynb"
    write_notebook(jp_root_dir, path)
    before = saved_source(jp_root_dir, path)
    bob = await rtc_open(path)
    await bob.type(" # from bob")
    await settle()
    assert await room_source(bob.room_id) == before
    assert saved_source(jp_root_dir, path) == before
    assert (await bob.save(1))["status"] == "failed"


async def test_a_role_change_reaches_the_running_session(
    fetch, shares_api, session_registry, report
):
    session_registry.set_role("coffee-machine", "bob", "read-write")
    changed = time.monotonic()

    async def writable() -> bool:
        shares = await listed(shares_api)
        return shares["coffee-machine/brewer"]["permission"] == "read-write"

    await until(writable)
    took = time.monotonic() - changed
    report("registry", f"role change seen by a session polling every {POLL} s: {took:.2f} s")
    assert took < POLL + 2
    written = await fetch("api", "contents", SHARE, "new.txt", method="PUT", body=text("b"))
    assert written.code == 201
    # and back: refused at once
    session_registry.set_role("coffee-machine", "bob", "read-only")
    await until(lambda: _permission(shares_api, "read-only"))
    refused = await fetch("api", "contents", SHARE, "new.txt", method="PUT", body=text("c"))
    assert refused.code == 403


async def _permission(shares_api, permission: str) -> bool:
    return (await listed(shares_api))["coffee-machine/brewer"]["permission"] == permission


async def test_an_unreachable_registry_makes_every_share_read_only(
    fetch, shares_api, session_registry
):
    session_registry.set_role("coffee-machine", "bob", "read-write")
    await until(lambda: _permission(shares_api, "read-write"))
    session_registry.stop()
    try:
        await until(lambda: _permission(shares_api, "read-only"))
        response = await shares_api("GET")
        assert "cannot" in response.json()["problem"] and "read-only" in response.json()["problem"]
        refused = await fetch("api", "contents", SHARE, "x.txt", method="PUT", body=text("x"))
        assert refused.code == 403
        creating = await shares_api("POST", body={"project": "Other", "model": "M"})
        assert creating.code == 502 and "cannot be reached" in creating.json()["message"]
    finally:
        session_registry.start()
    await until(lambda: _permission(shares_api, "read-write"))
    assert (await shares_api("GET")).json()["problem"] is None


async def test_a_share_deleted_in_the_registry_is_gone_and_its_link_removed(
    fetch, shares_api, session_registry, jp_root_dir
):
    session_registry.add("coffee-machine", "grinder", {})  # not linked: needs a restart
    shares = {}

    async def both() -> bool:
        shares.update(await listed(shares_api))
        return "coffee-machine/grinder" in shares

    await until(both)
    assert shares["coffee-machine/grinder"]["restart_needed"] is True
    assert "restart" in shares["coffee-machine/grinder"]["note"]
    assert shares["coffee-machine/grinder"]["exists"] is False

    with session_registry.lock:
        del session_registry.projects["coffee-machine"]["shares"]["brewer"]
    await until(lambda: _gone(shares_api, "coffee-machine/brewer"))
    assert not lexists(jp_root_dir / SHARE)
    missing = await fetch("api", "capella-share", "shares", "coffee-machine", "brewer", "archive")
    assert missing.code == 404


async def _gone(shares_api, key: str) -> bool:
    return key not in await listed(shares_api)


async def test_changes_from_the_session_are_the_registrys_and_managers_only(
    shares_api, session_registry
):
    # bob is read-only in coffee-machine: he may neither create nor delete there
    refused = await shares_api("POST", body={"project": "Coffee Machine", "model": "Grinder"})
    assert refused.code == 403, refused.body
    assert "managers of the project 'coffee-machine'" in refused.json()["message"]
    refused = await shares_api(
        "DELETE", "coffee-machine", "brewer", body={"confirm": "coffee-machine/brewer"}
    )
    assert refused.code == 403 and "managers" in refused.json()["message"]
    unconfirmed = await shares_api("DELETE", "coffee-machine", "brewer", body={})
    assert unconfirmed.code == 400 and "coffee-machine/brewer" in unconfirmed.json()["message"]
    permission = await shares_api(
        "PATCH", "coffee-machine", "brewer", body={"permission": "read-write"}
    )
    assert permission.code == 403 and "roles" in permission.json()["message"]
    assert "coffee-machine" in session_registry.projects
    assert "brewer" in session_registry.projects["coffee-machine"]["shares"]

    # made manager: creating goes to the registry, and the new share wants a restart
    session_registry.set_role("coffee-machine", "bob", "manager")
    made = await shares_api("POST", body={"project": "Coffee Machine", "model": "Grinder"})
    assert made.code == 201, made.body
    assert made.json()["restart_needed"] is True and made.json()["exists"] is False
    assert "grinder" in session_registry.projects["coffee-machine"]["shares"]
    read_only = await shares_api(
        "POST", body={"project": "Coffee Machine", "model": "X", "permission": "read-only"}
    )
    assert read_only.code == 400 and "role" in read_only.json()["message"]
    deleted = await shares_api(
        "DELETE", "coffee-machine", "grinder", body={"confirm": "coffee-machine/grinder"}
    )
    assert deleted.code == 200, deleted.body
    assert "grinder" not in session_registry.projects["coffee-machine"]["shares"]
    assert "coffee-machine/grinder" not in await listed(shares_api)
