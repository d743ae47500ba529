"""capella-share: scoped, expiring, revocable session links and project notebook shares."""

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - running from a source tree that was never built
    import warnings

    warnings.warn("Importing 'capella_share' outside a proper installation.", stacklevel=2)
    __version__ = "dev"

from .app import CapellaShareApp


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "capella-share"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    return [{"module": "capella_share", "app": CapellaShareApp}]


__all__ = ["CapellaShareApp", "__version__"]
