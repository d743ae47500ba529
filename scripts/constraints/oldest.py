"""Write oldest.txt: each package of the version matrix pinned to the lowest release
the registry offers inside the range pyproject.toml declares for it.

    python scripts/constraints/oldest.py            # rewrite scripts/constraints/oldest.txt
    python scripts/constraints/oldest.py --check    # offline: do the pins sit in the ranges?

Run it again after changing a bound, and check the result in: scripts/matrix reads it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
PYPROJECT = HERE.parent.parent / "pyproject.toml"
OUT = HERE / "oldest.txt"

# The upstream packages capella-share reaches into (or is tested with, for jupyterhub,
# notebook and jupyterlab): the ones whose ranges the matrix proves.
MATRIX = (
    "jupyter_server",
    "jupyterlab_server",
    "tornado",
    "jupyter-collaboration",
    "jupyter-server-ydoc",
    "pycrdt",
    "jupyterlab",
    "notebook",
    "jupyterhub",
)


def declared() -> dict[str, Requirement]:
    """The matrix packages' requirements, from the dependencies and the test extra."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    found: dict[str, Requirement] = {}
    for line in lines:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        # the first line naming a package wins: the dependencies before the extra
        if name in {canonicalize_name(m) for m in MATRIX} and name not in found:
            found[name] = req
    missing = {canonicalize_name(m) for m in MATRIX} - set(found)
    if missing:
        sys.exit(f"pyproject.toml declares no range for: {', '.join(sorted(missing))}")
    return found


def releases(name: str) -> list[Version]:
    """Every final release the registry offers, as pip sees it."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", name],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"^Available versions: (.*)$", out, re.M)
    if not match:
        sys.exit(f"pip index versions {name}: no versions in {out!r}")
    return [Version(v.strip()) for v in match.group(1).split(",")]


def lowest(req: Requirement) -> Version:
    inside = list(req.specifier.filter(releases(req.name)))
    if not inside:
        sys.exit(f"no release of {req.name} inside {req.specifier}")
    return min(inside)


def write() -> None:
    lines = [
        "# The lowest release of each declared range (pyproject.toml), for scripts/matrix.",
        "# Written by scripts/constraints/oldest.py; do not edit by hand.",
    ]
    found = {name: (req, lowest(req)) for name, req in declared().items()}
    lines += [f"{name}=={version}" for name, (_, version) in found.items()]
    OUT.write_text("\n".join(lines) + "\n")
    for name, (req, version) in found.items():
        print(f"{name}{req.specifier}: {version}")
    print(f"wrote {OUT.relative_to(PYPROJECT.parent)}")


def check() -> None:
    """Fail when a pin is missing or outside its declared range (a stale file)."""
    pins = {}
    for line in OUT.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = Version(version)
    stale = []
    for name, req in declared().items():
        pin = pins.get(name)
        if pin is None or pin not in req.specifier:
            stale.append(f"{name}: pinned {pin}, declared {req.specifier}")
    if stale:
        sys.exit(
            "scripts/constraints/oldest.txt is stale (run scripts/constraints/oldest.py):\n  "
            + "\n  ".join(stale)
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check the pins, offline")
    (check if parser.parse_args().check else write)()
