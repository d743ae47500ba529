"""The installed package's version, as the build wrote it."""

from __future__ import annotations


def package_version() -> str:
    try:
        from ._version import __version__
    except ImportError:  # a source tree that was never built
        return "dev"
    return __version__
