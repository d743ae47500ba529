"""Project notebook shares: one folder per (project, model), read-write or read-only."""

from .guard import ReadOnlyShareGuardMixin
from .local import LocalShareRegistry
from .manifest import MANIFEST_ENV, ManifestShareProvider
from .mounts import MountShareProvider
from .provider import PERMISSIONS, READ_ONLY, READ_WRITE, Share, ShareError, ShareProvider
from .registry import REGISTRY_URL_ENV, RegistryShareProvider

__all__ = [
    "MANIFEST_ENV",
    "PERMISSIONS",
    "READ_ONLY",
    "READ_WRITE",
    "REGISTRY_URL_ENV",
    "LocalShareRegistry",
    "ManifestShareProvider",
    "MountShareProvider",
    "ReadOnlyShareGuardMixin",
    "RegistryShareProvider",
    "Share",
    "ShareError",
    "ShareProvider",
]
