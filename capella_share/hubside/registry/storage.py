"""Where a share's data lives, and how it is removed for good.

A delete has two steps. ``detach`` runs inside the database transaction that forgets
the share and must be quick and atomic: afterwards nobody reaches the data by its old
name (a local folder is renamed into a hidden trash; a Kubernetes volume needs
nothing yet). ``purge`` runs after the commit and removes the data itself. The
registry records the purge as pending until it is done, so a registry stopped in
between finishes it at its next start: the data is removed exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import stat
import typing as t
from dataclasses import dataclass

from traitlets import Unicode, default
from traitlets.config import LoggingConfigurable

from ...shares import deletion

#: The prefix of a share's Kubernetes volume claim (as the spawner hook names it).
VOLUME_PREFIX = "capella-share-"
#: Kubernetes object names that are also valid label values: at most 63 characters.
MAX_VOLUME_NAME = 63


def share_id(project: str, model: str) -> str:
    """A share's stable id; slugs never hold ``--``, so it reads back unambiguously."""
    return f"{project}--{model}"


def volume_name(share: str) -> str:
    """``capella-share-<id>``, shortened with a hash of the id when it is too long."""
    name = VOLUME_PREFIX + share
    if len(name) <= MAX_VOLUME_NAME:
        return name
    digest = hashlib.sha256(share.encode()).hexdigest()[:10]
    return name[: MAX_VOLUME_NAME - len(digest) - 1].rstrip("-") + "-" + digest


@dataclass(frozen=True)
class ShareRef:
    """The share a storage backend acts on."""

    id: str
    project: str
    model: str


@dataclass(frozen=True)
class Removed:
    """What a purge removed; ``None`` where the backend cannot count (a volume)."""

    files: int | None
    bytes: int | None


class StorageError(OSError):
    """The data could not be reached or removed; nothing was forgotten."""


class ShareStorage(LoggingConfigurable):
    """The interface the registry uses; the subclasses below implement it."""

    #: The name used in the configuration and the audit log.
    kind: t.ClassVar[str] = ""

    def prepare(self, share: ShareRef) -> None:
        """Make room for a new share (inside the creating transaction)."""

    def detach(self, share: ShareRef) -> str | None:
        """Put the share's data out of reach, atomically; what ``purge`` needs, or
        None when there was no data. Raises StorageError to cancel the delete."""
        raise NotImplementedError

    def undo_detach(self, share: ShareRef, detached: str | None) -> None:
        """Put the data back: the transaction that forgot the share failed."""

    async def purge(self, share: ShareRef, detached: str | None) -> Removed:
        """Remove the data for good; harmless when it is gone already."""
        raise NotImplementedError

    def interrupted(self) -> list[tuple[str, str]]:
        """(project, model) of shares detached by a delete that stopped before the
        registry forgot them."""
        return []

    def is_present(self, share: ShareRef) -> bool:
        """Whether the share's data is at its usual place."""
        return True

    def clean_up(self) -> Removed:
        """Remove what interrupted deletes left behind (at start)."""
        return Removed(0, 0)

    def forget_project(self, project: str) -> None:
        """A project is gone: remove what is left of it (nothing but empty folders)."""


class LocalStorage(ShareStorage):
    """Shares as folders ``<root>/<project>/<model>`` on a file system the
    single-user servers see (a host folder, or a network file system)."""

    kind = "local"

    root = Unicode(
        help="The folder holding one sub-folder per project and model (RegistryApp.storage_root)."
    ).tag(config=True)

    def folder(self, share: ShareRef) -> str:
        return os.path.join(self.root, share.project, share.model)

    def prepare(self, share: ShareRef) -> None:
        """Make ``<root>/<project>/<model>``, refusing anything on the way that is not
        a plain folder (a symbolic link could lead out of the root)."""
        path = self.root
        os.makedirs(path, exist_ok=True)
        for part in (share.project, share.model):
            path = os.path.join(path, part)
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o2775)
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise StorageError(errno.ENOTDIR, f"{path} exists and is not a folder")

    def detach(self, share: ShareRef) -> str | None:
        try:
            key = (share.project, share.model)
            return deletion.move_to_trash(self.folder(share), self.root, key)
        except OSError as error:
            raise StorageError(error.errno, error.strerror or str(error)) from None

    def undo_detach(self, share: ShareRef, detached: str | None) -> None:
        if detached is not None:
            os.rename(detached, self.folder(share))

    async def purge(self, share: ShareRef, detached: str | None) -> Removed:
        if detached is None:
            return Removed(0, 0)
        # a large tree takes a while: off the event loop
        files, size = await asyncio.get_running_loop().run_in_executor(None, _remove, detached)
        self.log.info("removed the folder of share %s: %d files, %d bytes", share.id, files, size)
        return Removed(files, size)

    def interrupted(self) -> list[tuple[str, str]]:
        return deletion.trashed_keys(self.root)

    def is_present(self, share: ShareRef) -> bool:
        return os.path.lexists(self.folder(share))

    def clean_up(self) -> Removed:
        return Removed(*deletion.empty_trash(self.root))

    def forget_project(self, project: str) -> None:
        with contextlib.suppress(OSError):  # not empty, or gone: leave it
            os.rmdir(os.path.join(self.root, project))


def _remove(path: str) -> tuple[int, int]:
    """Remove a detached folder; nothing when an earlier purge removed it already."""
    if not os.path.lexists(path):
        return 0, 0
    return deletion.remove_tree(path)


def _namespace_of_pod() -> str:
    path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    try:
        with open(path) as file:
            return file.read().strip() or "default"
    except OSError:
        return "default"


def delete_options() -> t.Any:
    """The body of a volume claim's deletion: the claim goes at once, the volume
    follows by its reclaim policy (``Delete`` removes the data)."""
    from kubernetes_asyncio.client import V1DeleteOptions

    return V1DeleteOptions(api_version="v1", kind="DeleteOptions", propagation_policy="Background")


class KubernetesStorage(ShareStorage):
    """Shares as PersistentVolumeClaims ``capella-share-<id>`` in one namespace,
    created by the spawner hook when missing, deleted here."""

    kind = "kubernetes"

    namespace = Unicode(
        help="The namespace of the volume claims (default: the registry pod's own namespace)."
    ).tag(config=True)

    @default("namespace")
    def _default_namespace(self) -> str:
        return _namespace_of_pod()

    kube_config = Unicode(
        "",
        help="A kubeconfig file to use outside a cluster; inside a pod the service "
        "account is used.",
    ).tag(config=True)

    _api: t.Any = None

    async def core_api(self) -> t.Any:
        if self._api is None:
            from kubernetes_asyncio import client, config

            if self.kube_config:
                await config.load_kube_config(config_file=self.kube_config)
            else:
                config.load_incluster_config()  # type: ignore[no-untyped-call]
            self._api = client.CoreV1Api(client.ApiClient())
        return self._api

    def detach(self, share: ShareRef) -> str | None:
        return volume_name(share.id)

    async def purge(self, share: ShareRef, detached: str | None) -> Removed:
        from kubernetes_asyncio.client.exceptions import ApiException

        if detached is None:
            return Removed(None, None)
        api = await self.core_api()
        try:
            await api.delete_namespaced_persistent_volume_claim(
                name=detached, namespace=self.namespace, body=delete_options()
            )
        except ApiException as error:
            if error.status != 404:  # 404: deleted already
                raise StorageError(errno.EIO, f"Kubernetes refused: {error.reason}") from None
        self.log.info("deleted the volume claim %s/%s", self.namespace, detached)
        return Removed(None, None)

    async def close(self) -> None:
        if self._api is not None:
            await self._api.api_client.close()
            self._api = None


#: Backends by the name ``RegistryApp.storage`` takes.
BACKENDS: dict[str, type[ShareStorage]] = {"local": LocalStorage, "kubernetes": KubernetesStorage}

__all__ = [
    "BACKENDS",
    "KubernetesStorage",
    "LocalStorage",
    "Removed",
    "ShareRef",
    "ShareStorage",
    "StorageError",
    "delete_options",
    "share_id",
    "volume_name",
]
