"""capella-share-registry: a JupyterHub service that keeps projects, their members
with a role, and the shares (one folder or volume per project and model) that the
platform mounts into each member's server.

``app`` configures and runs it, ``store`` holds the tables and every rule about who
may do what, ``storage`` removes a share's data, ``handlers`` speak HTTP.
"""

from __future__ import annotations

__all__: list[str] = []
