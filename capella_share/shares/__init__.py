"""Project notebook shares: one folder per (project, model), read-write or read-only."""

from .guard import ReadOnlyShareGuardMixin
from .local import LocalShareRegistry
from .manifest import MANIFEST_ENV, ManifestShareProvider
from .mounts import MountShareProvider
from .provider import PERMISSIONS, READ_ONLY, READ_WRITE, Share, ShareError, ShareProvider

__all__ = [
    "MANIFEST_ENV",
    "PERMISSIONS",
    "READ_ONLY",
    "READ_WRITE",
    "LocalShareRegistry",
    "ManifestShareProvider",
    "MountShareProvider",
    "ReadOnlyShareGuardMixin",
    "Share",
    "ShareError",
    "ShareProvider",
]
