"""JupyterLab load time with and without capella-share, and the size of its Lab extension.

"Without" is a server with the capella-share server extension disabled and its Lab
extension left off the Lab extension path, so its code is not even downloaded.
Both servers run JupyterLab, terminals and the same folder.
"""

from __future__ import annotations

import gzip
import json
import shutil
import statistics
import subprocess
import urllib.parse
from pathlib import Path

from jupyter_core.paths import jupyter_path
from server import OWNER_TOKEN, Server

ROUNDS = 9
HERE = Path(__file__).parent
STATIC = HERE.parent / "capella_share" / "labextension" / "static"
EXTENSION_NAME = "capella-share"


def labextension_size() -> dict:
    files = [path for path in STATIC.rglob("*") if path.is_file()]
    total = sum(path.stat().st_size for path in files)
    gzipped = sum(len(gzip.compress(path.read_bytes(), 9)) for path in files)
    return {"files": len(files), "bytes": total, "gzip_bytes": gzipped}


def _labextensions_without(target: Path) -> Path:
    """A Lab extension path holding every installed Lab extension but ours."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in map(Path, jupyter_path("labextensions")):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            # scoped packages (@scope/name) are one level deeper
            packages = list(entry.iterdir()) if entry.name.startswith("@") else [entry]
            for package in packages:
                relative = package.relative_to(folder)
                if str(relative) != EXTENSION_NAME and not (target / relative).exists():
                    shutil.copytree(package, target / relative)
    return target


def run(work: Path) -> dict:
    root = work / "lab-root"
    root.mkdir(parents=True, exist_ok=True)
    common = ["--LabApp.expose_app_in_browser=True"]
    extensions = ["jupyterlab", "jupyter_server_terminals"]
    without_path = _labextensions_without(work / "labextensions-without")
    with_share = Server(work / "lab-on", root, capella=True, extensions=extensions, args=common)
    without = Server(
        work / "lab-off",
        root,
        capella=False,
        extensions=extensions,
        args=[*common, f"--LabApp.labextensions_path={without_path}"],
    )
    query = urllib.parse.urlencode({"token": OWNER_TOKEN})
    with with_share, without:
        urls = {
            "with": f"{with_share.base_url}lab?{query}",
            "without": f"{without.base_url}lab?{query}",
        }
        config = json.dumps({"urls": urls, "rounds": ROUNDS})
        result = subprocess.run(
            ["node", str(HERE / "lab_load.js"), config],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"lab_load.js failed:\n{result.stderr[-3000:]}")
        times = json.loads(result.stdout.strip().splitlines()[-1])
        loaded = {
            name: _federated(server)
            for name, server in (("with", with_share), ("without", without))
        }
    assert EXTENSION_NAME in loaded["with"] and EXTENSION_NAME not in loaded["without"], loaded
    with_ms, without_ms = statistics.median(times["with"]), statistics.median(times["without"])
    return {
        "rounds": ROUNDS,
        "with_ms": round(with_ms),
        "without_ms": round(without_ms),
        "ratio": round(with_ms / without_ms, 3),
        "all_ms": {name: [round(value) for value in values] for name, values in times.items()},
        "labextension": labextension_size(),
    }


def _federated(server: Server) -> list[str]:
    """The Lab extensions a Lab page of ``server`` loads."""
    _, page, _ = server.request("GET", "lab")
    text = page.decode()
    start = text.index('id="jupyter-config-data"')
    body = text[text.index(">", start) + 1 : text.index("</script>", start)]
    return [extension["name"] for extension in json.loads(body)["federated_extensions"]]
