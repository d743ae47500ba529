"""Spawners that run servers on the hub's host: the user's shares as links.

The share's folder ``<storage_root>/<project>/<model>`` on the host appears in the
user's server as a symbolic link ``<server root>/<shares_root>/<project>/<model>``;
the session resolves links before it decides what is read-only, so the link leads
to the share's rules. Links to shares the user no longer has are removed, and the
session gets the manifest (docs/shares.md) of what was linked.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import typing as t
import urllib.parse

from ...shares.rules import MANIFEST_ENV, is_within
from .hook import (
    RegistryUnavailable,
    ShareSpawnerHook,
    fetch_shares,
    session_environment,
    settings_of,
)


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
            "capella_share.hubside.spawner.modify_pod_hook (pre_spawn_hook cannot add volumes)."
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


__all__ = ["link_shares", "pre_spawn_hook", "write_manifest"]
