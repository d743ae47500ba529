"""Project notebook shares: one folder per (project, model), read-write or read-only.

Importing the package loads none of its modules: the hub side imports
:mod:`.rules` and :mod:`.deletion` (and what they need) without the session's
providers, guard and handlers, which are imported when first named here.
"""

from __future__ import annotations

import importlib
import typing as t

if t.TYPE_CHECKING:
    from .guard import ReadOnlyShareGuardMixin
    from .local import LocalShareProvider
    from .manifest import ManifestShareProvider
    from .mounts import MountShareProvider
    from .provider import Share, ShareProvider
    from .registry import RegistryShareProvider
    from .rules import (
        MANIFEST_ENV,
        PERMISSIONS,
        READ_ONLY,
        READ_WRITE,
        REGISTRY_URL_ENV,
        ShareError,
    )

#: The names this package offers, and the module each comes from.
_WHERE = {
    "MANIFEST_ENV": "rules",
    "PERMISSIONS": "rules",
    "READ_ONLY": "rules",
    "READ_WRITE": "rules",
    "REGISTRY_URL_ENV": "rules",
    "ShareError": "rules",
    "LocalShareProvider": "local",
    "ManifestShareProvider": "manifest",
    "MountShareProvider": "mounts",
    "ReadOnlyShareGuardMixin": "guard",
    "RegistryShareProvider": "registry",
    "Share": "provider",
    "ShareProvider": "provider",
}


def __getattr__(name: str) -> t.Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)


__all__ = [
    "MANIFEST_ENV",
    "PERMISSIONS",
    "READ_ONLY",
    "READ_WRITE",
    "REGISTRY_URL_ENV",
    "LocalShareProvider",
    "ManifestShareProvider",
    "MountShareProvider",
    "ReadOnlyShareGuardMixin",
    "RegistryShareProvider",
    "Share",
    "ShareError",
    "ShareProvider",
]
