"""Project shares from the share registry, put into each single-user server as it starts.

In ``jupyterhub_config.py``::

    from capella_share.hubside import spawner as capella_spawner

    c.Spawner.pre_spawn_hook = capella_spawner.pre_spawn_hook  # local spawners
    c.KubeSpawner.modify_pod_hook = capella_spawner.modify_pod_hook  # KubeSpawner

Both ask the registry service for the user's shares (:mod:`.hook`, with their
settings ``c.ShareSpawnerHook``), then:

- KubeSpawner (:mod:`.kube`): one volume per share, from its
  PersistentVolumeClaim, read-only for read-only members;
- local spawners (:mod:`.local`): a symbolic link per share into the server's
  root, and the manifest (docs/shares.md) of what was linked.

Either way the session gets ``CAPELLA_SHARE_REGISTRY_URL`` and follows the
registry from then on (:mod:`capella_share.shares.registry`).
"""

from __future__ import annotations

from .hook import REGISTRY_SERVICE, RegistryUnavailable, ShareSpawnerHook
from .kube import modify_pod_hook, pvc_manifest, pvc_name
from .local import pre_spawn_hook

__all__ = [
    "REGISTRY_SERVICE",
    "RegistryUnavailable",
    "ShareSpawnerHook",
    "modify_pod_hook",
    "pre_spawn_hook",
    "pvc_manifest",
    "pvc_name",
]
