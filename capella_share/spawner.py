"""Project shares from the share registry, put into each single-user server as it starts.

In ``jupyterhub_config.py``::

    from capella_share import spawner as capella_spawner

    c.Spawner.pre_spawn_hook = capella_spawner.pre_spawn_hook  # local spawners
    c.KubeSpawner.modify_pod_hook = capella_spawner.modify_pod_hook  # KubeSpawner

Both ask the registry service (``capella-share-registry``) for the user's shares,
``GET users/{name}/shares``, with the server's own API token (JupyterHub makes it
before the hook runs; ``c.Spawner.server_token_scopes`` must grant
``access:services!service=capella-share-registry``), or with
``ShareSpawnerHook.api_token`` when a spawner has none.

- KubeSpawner: one volume per share from the PersistentVolumeClaim
  ``capella-share-<share id>`` (made when missing), mounted at
  ``<shares_root>/<project>/<model>``, ``readOnly`` for read-only members.
- Local spawners: the share's folder ``<storage_root>/<project>/<model>`` on the
  host appears in the user's server as a symbolic link
  ``<server root>/<shares_root>/<project>/<model>``; the session resolves links
  before it decides what is read-only, so the link leads to the share's rules.
  Links to shares the user no longer has are removed, and the session gets the
  manifest (docs/shares.md) of what was linked.

Either way the session gets ``CAPELLA_SHARE_REGISTRY_URL`` and follows the
registry from then on (:mod:`capella_share.shares.registry`).
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import typing as t
import urllib.parse

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets import Dict, Float, List, Unicode
from traitlets.config import LoggingConfigurable

from .registry.storage import volume_name
from .shares.manifest import MANIFEST_ENV
from .shares.provider import READ_ONLY, READ_WRITE, check_slug, is_within
from .shares.registry import MOUNT_ROOT_ENV, REGISTRY_URL_ENV

REGISTRY_SERVICE = "capella-share-registry"
#: Kubernetes label values are at most 63 characters.
MAX_K8S_NAME = 63
#: Labels on the claims made here, so that they can be found (and told from others).
MANAGED_BY = {"app.kubernetes.io/managed-by": "capella-share"}

_ID_RE = re.compile(r"^[a-z0-9]+(?:-+[a-z0-9]+)*$")


class RegistryUnavailable(RuntimeError):
    """The registry did not give the user's shares: the spawn stops with this message."""


class ShareSpawnerHook(LoggingConfigurable):
    """Settings of the spawner hooks, from ``c.ShareSpawnerHook`` in the hub's config."""

    registry_url = Unicode(
        "",
        config=True,
        help="""The registry's API base as the hub reaches it, ending in /api/.
        Default: the hub-managed service capella-share-registry, at its own URL
        (http://127.0.0.1:<port>/services/capella-share-registry/api/).""",
    )

    session_registry_url = Unicode(
        "",
        config=True,
        help="""The registry's API base as single-user servers reach it (given to
        them in CAPELLA_SHARE_REGISTRY_URL). Default: registry_url.""",
    )

    api_token = Unicode(
        "",
        config=True,
        help="""A token for the registry, used only when a spawner has no API token
        of its own (JupyterHub gives every server one before the hook runs). It must
        be allowed to read every user's shares (a hub admin's, or a service's with
        admin:users).""",
    )

    request_timeout = Float(
        10.0, config=True, help="Seconds the hook waits for the registry before the spawn fails."
    )

    shares_root = Unicode(
        "shared",
        config=True,
        help="""Where shares appear in a session, as <shares_root>/<project>/<model>.
        Local spawners: relative to the server's root directory (default "shared").
        KubeSpawner: the absolute mount path in the pod; a relative one is taken
        from /home/jovyan.""",
    )

    storage_root = Unicode(
        "",
        config=True,
        help="""Local spawners: the host folder holding the shares' files, as
        <storage_root>/<project>/<model>; the registry's storage_root (the same
        folder). Required for local spawners.""",
    )

    manifest_dir = Unicode(
        "",
        config=True,
        help="""Local spawners: the folder the hook writes each server's share
        manifest to (<user>.json, <user>--<server>.json). It lies outside users'
        folders, so that they cannot change it. Default: <storage_root>/../manifests.""",
    )

    storage_class = Unicode(
        "",
        config=True,
        help="KubeSpawner: the storage class of share claims (default: the cluster's).",
    )

    storage_capacity = Unicode(
        "1Gi", config=True, help="KubeSpawner: the size requested for each share's claim."
    )

    storage_access_modes = List(
        Unicode(),
        ["ReadWriteMany"],
        config=True,
        help="""KubeSpawner: the access modes of each share's claim. Every member's
        pod mounts the same claim, so ReadWriteMany (or ReadOnlyMany for a
        read-only platform).""",
    )

    storage_labels = Dict(
        {}, config=True, help="KubeSpawner: extra labels on the claims made for shares."
    )


# -- the registry -------------------------------------------------------------------------
def settings_of(spawner: t.Any) -> ShareSpawnerHook:
    return ShareSpawnerHook(config=spawner.config, log=spawner.log)


def registry_url(spawner: t.Any, settings: ShareSpawnerHook) -> str:
    """The API base the hub reaches the registry at."""
    if settings.registry_url:
        return settings.registry_url.rstrip("/") + "/"
    services = (getattr(spawner.user, "settings", None) or {}).get("services") or {}
    service = services.get(REGISTRY_SERVICE)
    if service is None or not getattr(service, "url", None):
        raise RegistryUnavailable(
            f"Project shares: there is no hub-managed service {REGISTRY_SERVICE!r} with a "
            "URL; add it to c.JupyterHub.services or set c.ShareSpawnerHook.registry_url."
        )
    return f"{service.url.rstrip('/')}{service.prefix.rstrip('/')}/api/"


async def fetch_shares(spawner: t.Any, settings: ShareSpawnerHook) -> list[dict[str, t.Any]]:
    """The user's shares, as the registry lists them (checked)."""
    token = getattr(spawner, "api_token", "") or settings.api_token
    if not token:
        raise RegistryUnavailable(
            "Project shares: the spawner has no API token and c.ShareSpawnerHook.api_token "
            "is not set, so the registry cannot be asked."
        )
    name = urllib.parse.quote(spawner.user.name, safe="")
    url = f"{registry_url(spawner, settings)}users/{name}/shares"
    request = HTTPRequest(
        url,
        headers={"Authorization": f"token {token}", "Accept": "application/json"},
        request_timeout=settings.request_timeout,
        connect_timeout=settings.request_timeout,
        follow_redirects=False,
    )
    # asynchronous: the registry checks the token with the hub, which is this process
    try:
        response = await AsyncHTTPClient().fetch(request)
    except HTTPClientError as error:
        raise RegistryUnavailable(_refusal(error, url)) from None
    except OSError as error:
        raise RegistryUnavailable(
            f"Project shares: the registry at {url} cannot be reached ({error})."
        ) from None
    try:
        data = json.loads(response.body)
        return [_checked(entry) for entry in data["shares"]]
    except (ValueError, KeyError, TypeError) as error:
        raise RegistryUnavailable(
            f"Project shares: the registry's answer at {url} is not a share list ({error})."
        ) from None


def _refusal(error: HTTPClientError, url: str) -> str:
    message = ""
    if error.response is not None and error.response.body:
        try:
            message = json.loads(error.response.body).get("message", "")
        except (ValueError, AttributeError):
            message = ""
    hint = ""
    if error.code in (401, 403):
        hint = (
            " Give servers' tokens access to it: add "
            f"'access:services!service={REGISTRY_SERVICE}' to c.Spawner.server_token_scopes "
            "(and to the users' role)."
        )
    return f"Project shares: the registry at {url} answered {error.code} {message}.{hint}"


def _checked(entry: t.Any) -> dict[str, t.Any]:
    """One share of the registry's list, its names checked: they become paths."""
    if not isinstance(entry, dict):
        raise TypeError("a share is not an object")
    check_slug(entry["project"], "project")
    check_slug(entry["model"], "model")
    share_id = str(entry.get("id") or f"{entry['project']}--{entry['model']}")
    if not _ID_RE.match(share_id):
        raise ValueError(f"the share id {share_id!r} is not a Kubernetes name part")
    permission = entry.get("permission")
    if permission not in (READ_WRITE, READ_ONLY):
        raise ValueError(f"{share_id}: permission {permission!r}")
    return {**entry, "id": share_id}


def session_environment(
    spawner: t.Any, settings: ShareSpawnerHook, mount_root: str
) -> dict[str, str]:
    url = settings.session_registry_url or registry_url(spawner, settings)
    return {REGISTRY_URL_ENV: url.rstrip("/") + "/", MOUNT_ROOT_ENV: mount_root}


# -- KubeSpawner ---------------------------------------------------------------------------
def pvc_name(share_id: str) -> str:
    """``capella-share-<id>``, shortened with a hash past 63 characters: the name
    the registry deletes when the share is (one function for both)."""
    return volume_name(share_id)


def pvc_manifest(share: dict[str, t.Any], settings: ShareSpawnerHook) -> t.Any:
    """The PersistentVolumeClaim holding a share's files."""
    from kubernetes_asyncio.client import (
        V1ObjectMeta,
        V1PersistentVolumeClaim,
        V1PersistentVolumeClaimSpec,
        V1VolumeResourceRequirements,
    )

    labels = {
        **settings.storage_labels,
        **MANAGED_BY,
        "capella-share/project": share["project"][:MAX_K8S_NAME],
        "capella-share/model": share["model"][:MAX_K8S_NAME],
    }
    return V1PersistentVolumeClaim(
        api_version="v1",
        kind="PersistentVolumeClaim",
        metadata=V1ObjectMeta(
            name=pvc_name(share["id"]),
            labels=labels,
            annotations={"capella-share/share": share["id"]},
        ),
        spec=V1PersistentVolumeClaimSpec(
            access_modes=list(settings.storage_access_modes),
            storage_class_name=settings.storage_class or None,
            resources=V1VolumeResourceRequirements(requests={"storage": settings.storage_capacity}),
        ),
    )


async def ensure_claim(spawner: t.Any, share: dict[str, t.Any], settings: ShareSpawnerHook) -> None:
    """Make the share's claim unless it exists (another member's pod made it first)."""
    from kubernetes_asyncio.client.exceptions import ApiException

    name = pvc_name(share["id"])
    try:
        await spawner.api.read_namespaced_persistent_volume_claim(
            name=name, namespace=spawner.namespace
        )
        return
    except ApiException as error:
        if error.status != 404:
            raise
    try:
        await spawner.api.create_namespaced_persistent_volume_claim(
            namespace=spawner.namespace, body=pvc_manifest(share, settings)
        )
        spawner.log.info("capella-share: made the claim %s for share %s", name, share["id"])
    except ApiException as error:
        if error.status != 409:  # made meanwhile
            raise


def kube_mount_root(settings: ShareSpawnerHook) -> str:
    return os.path.normpath(os.path.join("/home/jovyan", settings.shares_root))


def add_share_volumes(pod: t.Any, shares: list[dict[str, t.Any]], mount_root: str) -> t.Any:
    """One volume and one mount (in every container) per share; read-only per role."""
    from kubernetes_asyncio.client import (
        V1PersistentVolumeClaimVolumeSource,
        V1Volume,
        V1VolumeMount,
    )

    spec = pod.spec
    ours = {pvc_name(share["id"]) for share in shares}
    spec.volumes = [v for v in spec.volumes or [] if _name(v) not in ours]
    for container in spec.containers:
        container.volume_mounts = [m for m in container.volume_mounts or [] if _name(m) not in ours]
    for share in shares:
        claim = pvc_name(share["id"])
        read_only = share["permission"] == READ_ONLY
        spec.volumes.append(
            V1Volume(
                name=claim,
                persistent_volume_claim=V1PersistentVolumeClaimVolumeSource(
                    claim_name=claim, read_only=read_only
                ),
            )
        )
        path = os.path.join(mount_root, share["project"], share["model"])
        for container in spec.containers:
            container.volume_mounts.append(
                V1VolumeMount(name=claim, mount_path=path, read_only=read_only)
            )
    return pod


def set_pod_environment(pod: t.Any, environment: dict[str, str]) -> None:
    from kubernetes_asyncio.client import V1EnvVar

    for container in pod.spec.containers:
        kept = [e for e in container.env or [] if _name(e) not in environment]
        container.env = kept + [V1EnvVar(name=k, value=v) for k, v in environment.items()]


def _name(item: t.Any) -> str | None:
    return item.get("name") if isinstance(item, dict) else getattr(item, "name", None)


async def modify_pod_hook(spawner: t.Any, pod: t.Any) -> t.Any:
    """``c.KubeSpawner.modify_pod_hook``: the user's shares as volumes of the pod."""
    settings = settings_of(spawner)
    shares = await fetch_shares(spawner, settings)
    for share in shares:
        await ensure_claim(spawner, share, settings)
    mount_root = kube_mount_root(settings)
    add_share_volumes(pod, shares, mount_root)
    set_pod_environment(pod, session_environment(spawner, settings, mount_root))
    spawner.log.info(
        "capella-share: %d share(s) mounted for %s under %s",
        len(shares),
        spawner.user.name,
        mount_root,
    )
    return pod


# -- local spawners ------------------------------------------------------------------------
def server_root(spawner: t.Any) -> str:
    """The root directory the user's server will have: notebook_dir, else the home."""
    home = getattr(spawner, "home_dir", "") or pwd.getpwnam(spawner.user.name).pw_dir
    notebook_dir = spawner.format_string(spawner.notebook_dir) if spawner.notebook_dir else ""
    if not notebook_dir:
        return os.path.abspath(home)
    if notebook_dir.startswith("~"):
        notebook_dir = home + notebook_dir[1:]
    return os.path.abspath(os.path.join(home, notebook_dir))


def manifest_path(spawner: t.Any, settings: ShareSpawnerHook) -> str:
    folder = settings.manifest_dir or os.path.join(
        os.path.dirname(os.path.abspath(settings.storage_root)), "manifests"
    )
    name = spawner.user.name + (f"--{spawner.name}" if spawner.name else "")
    return os.path.join(os.path.abspath(folder), urllib.parse.quote(name, safe="") + ".json")


def link_shares(
    shares: list[dict[str, t.Any]], storage_root: str, mount_root: str, log: t.Any
) -> list[dict[str, t.Any]]:
    """``<mount_root>/<project>/<model>`` -> ``<storage_root>/<project>/<model>`` for
    each share whose folder the registry made; links into ``storage_root`` that are
    no share of the user go. Returns the shares linked."""
    storage_root = os.path.realpath(storage_root)
    wanted = {(s["project"], s["model"]): s for s in shares}
    _unlink_others(mount_root, storage_root, set(wanted))
    linked = []
    for (project, model), share in wanted.items():
        target = os.path.join(storage_root, project, model)
        if not os.path.isdir(target):  # the registry makes it; deleted meanwhile?
            log.warning("capella-share: share %s has no folder %s; not linked", share["id"], target)
            continue
        link = os.path.join(mount_root, project, model)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.islink(link):
            if os.readlink(link) == target:
                linked.append(share)
                continue
            os.unlink(link)
        elif os.path.lexists(link):
            log.warning(
                "capella-share: %s is in the way of share %s; not linked", link, share["id"]
            )
            continue
        os.symlink(target, link, target_is_directory=True)
        linked.append(share)
    return linked


def _unlink_others(mount_root: str, storage_root: str, wanted: set[tuple[str, str]]) -> None:
    """Remove the links into ``storage_root`` that lead to no share in ``wanted``."""
    if not os.path.isdir(mount_root):
        return
    for project in os.listdir(mount_root):
        folder = os.path.join(mount_root, project)
        if os.path.islink(folder) or not os.path.isdir(folder):
            continue
        for model in os.listdir(folder):
            link = os.path.join(folder, model)
            if not os.path.islink(link) or (project, model) in wanted:
                continue
            target = os.path.join(folder, os.readlink(link))
            if is_within(os.path.normpath(target), storage_root):
                os.unlink(link)


def write_manifest(path: str, shares: list[dict[str, t.Any]], shares_root: str) -> None:
    """The manifest (docs/shares.md) of ``shares``, written whole or not at all."""
    entries = [
        {
            "project": share.get("project_name") or share["project"],
            "model": share.get("model_name") or share["model"],
            "permission": share["permission"],
            "path": "/".join(
                [*shares_root.strip("/").split("/"), share["project"], share["model"]]
            ),
        }
        for share in shares
    ]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.{os.getpid()}.tmp"
    with open(partial, "w", encoding="utf-8") as out:
        json.dump({"version": 1, "shares": entries}, out, indent=2)
    os.replace(partial, path)


def is_kubespawner(spawner: t.Any) -> bool:
    return any(cls.__name__ == "KubeSpawner" for cls in type(spawner).__mro__)


def prepare_local(
    shares: list[dict[str, t.Any]], root: str, manifest: str, settings: ShareSpawnerHook, log: t.Any
) -> tuple[str, int]:
    """Link the shares into the server's root, write the manifest: (mount root, links)."""
    mount_root = os.path.normpath(os.path.join(root, settings.shares_root))
    if mount_root == root or not is_within(mount_root, root):
        raise RegistryUnavailable(
            f"Project shares: c.ShareSpawnerHook.shares_root {settings.shares_root!r} must "
            "name a folder inside the server's root directory."
        )
    linked = link_shares(shares, settings.storage_root, mount_root, log)
    write_manifest(manifest, linked, os.path.relpath(mount_root, root).replace(os.sep, "/"))
    return mount_root, len(linked)


async def pre_spawn_hook(spawner: t.Any) -> None:
    """``c.Spawner.pre_spawn_hook`` for spawners that run servers on this host."""
    if is_kubespawner(spawner):
        raise RegistryUnavailable(
            "Project shares: with KubeSpawner set c.KubeSpawner.modify_pod_hook = "
            "capella_share.spawner.modify_pod_hook (pre_spawn_hook cannot add volumes)."
        )
    settings = settings_of(spawner)
    if not settings.storage_root:
        raise RegistryUnavailable(
            "Project shares: set c.ShareSpawnerHook.storage_root to the registry's storage "
            "folder (RegistryApp.storage_root)."
        )
    shares = await fetch_shares(spawner, settings)
    manifest = manifest_path(spawner, settings)
    loop = asyncio.get_running_loop()
    mount_root, linked = await loop.run_in_executor(
        None, prepare_local, shares, server_root(spawner), manifest, settings, spawner.log
    )
    environment = {**spawner.environment, MANIFEST_ENV: manifest}
    environment.update(session_environment(spawner, settings, mount_root))
    spawner.environment = environment  # a new dict: the configured one may be shared
    spawner.log.info(
        "capella-share: %d share(s) linked for %s under %s", linked, spawner.user.name, mount_root
    )


__all__ = [
    "REGISTRY_SERVICE",
    "RegistryUnavailable",
    "ShareSpawnerHook",
    "modify_pod_hook",
    "pre_spawn_hook",
    "pvc_manifest",
    "pvc_name",
]
