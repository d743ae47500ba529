"""capella-share: scoped, expiring, revocable session links and project notebook shares.

Importing the package loads nothing of the single-user server: the hub side
(:mod:`capella_share.hubside`: the spawner hooks inside JupyterHub, the share
registry service) imports it too. ``CapellaShareApp`` is imported when first asked
for, and by Jupyter Server when it loads the extension.
"""

from __future__ import annotations

import typing as t

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - running from a source tree that was never built
    import warnings

    warnings.warn("Importing 'capella_share' outside a proper installation.", stacklevel=2)
    __version__ = "dev"

if t.TYPE_CHECKING:
    from .app import CapellaShareApp


def __getattr__(name: str) -> t.Any:
    if name == "CapellaShareApp":
        from .app import CapellaShareApp

        return CapellaShareApp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "capella-share"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .app import CapellaShareApp

    return [{"module": "capella_share", "app": CapellaShareApp}]


__all__ = ["CapellaShareApp", "__version__"]
