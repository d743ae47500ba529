"""KubeSpawner: the user's shares as volumes of the pod.

One volume per share from the PersistentVolumeClaim ``capella-share-<share id>``
(made when missing), mounted at ``<shares_root>/<project>/<model>``, ``readOnly``
for read-only members. The registry deletes the claim when the share is deleted
(:class:`capella_share.hubside.registry.storage.KubernetesStorage`).
"""

from __future__ import annotations

import os
import typing as t

from ...shares.rules import READ_ONLY
from ..registry.storage import volume_name
from .hook import ShareSpawnerHook, fetch_shares, session_environment, settings_of

#: Kubernetes label values are at most 63 characters.
MAX_K8S_NAME = 63
#: Labels on the claims made here, so that they can be found (and told from others).
MANAGED_BY = {"app.kubernetes.io/managed-by": "capella-share"}


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


__all__ = ["modify_pod_hook", "pvc_manifest", "pvc_name"]
