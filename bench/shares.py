"""Figures for project shares: GET shares latency with 1,000 shares, and the time to
delete a share of 100,000 small files while the server keeps answering GET api/status.

Part of ``python bench/run.py``; alone: ``python bench/shares.py``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from server import Server, percentile

SHARES = 1000
FILES = 100_000
LIST_CALLS = 200
#: Pause between two GET api/status calls during the delete.
PROBE_PAUSE = 0.05


def prepare(root: Path, data_dir: Path) -> str:
    """1,000 shares with two files each and one of 100,000 files, made through the
    registry the CLI uses; returns the big share's key."""
    from capella_share.shares import LocalShareProvider

    db = data_dir / "capella_share" / "shares.sqlite"
    db.parent.mkdir(parents=True, exist_ok=True)
    registry = LocalShareProvider(root_dir=str(root), shares_root=str(root), db_path=str(db))
    try:
        for index in range(SHARES):
            share = registry.create(f"Project {index // 20}", f"Model {index}", "read-write")
            for name in ("a.ipynb", "b.txt"):
                (root / share.path / name).write_text("x" * 100)
        big = registry.create("Big", "Hundred thousand", "read-write")
    finally:
        registry.close()
    for folder in range(100):
        (root / big.path / f"d{folder}").mkdir()
        for index in range(FILES // 100):
            (root / big.path / f"d{folder}" / f"{index}.txt").write_text("0123456789")
    return big.key


def timed(server: Server, method: str, path: str, body: dict | None = None) -> float:
    started = time.perf_counter()
    status, _, _ = server.request(method, path, body)
    if status >= 400:
        raise RuntimeError(f"{method} {path}: {status}")
    return time.perf_counter() - started


def run(work: Path) -> dict:
    root = work / "shares-root"
    root.mkdir(parents=True, exist_ok=True)
    server = Server(work / "shares", root)
    big = prepare(root, work / "shares" / "data")
    with server:
        first = timed(server, "GET", "api/capella-share/shares")
        # the first listing counts files in the background: wait for it to settle
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            listed = server.json("GET", "api/capella-share/shares")["shares"]
            if all(share["files"] is not None for share in listed):
                break
            time.sleep(0.5)
        latencies = [timed(server, "GET", "api/capella-share/shares") for _ in range(LIST_CALLS)]

        status: list[float] = []
        done = threading.Event()

        def probe() -> None:
            while not done.is_set():
                status.append(timed(server, "GET", "api/status"))
                time.sleep(PROBE_PAUSE)

        prober = threading.Thread(target=probe)
        prober.start()
        try:
            started = time.perf_counter()
            _, body, _ = server.request(
                "DELETE", f"api/capella-share/shares/{big}", {"confirm": big}
            )
            took = time.perf_counter() - started
        finally:
            done.set()
            prober.join()
    deleted = json.loads(body)
    return {
        "list": {
            "shares": len(listed),
            "first_ms": round(first * 1000, 1),
            "calls": LIST_CALLS,
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        },
        "delete": {
            "files": deleted["deleted_files"],
            "duration_s": round(took, 2),
            "status_calls": len(status),
            "status_p50_ms": round(statistics.median(status) * 1000, 1),
            "status_p99_ms": round(percentile(status, 0.99) * 1000, 1),
            "status_max_ms": round(max(status) * 1000, 1),
        },
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="capella-bench-") as work:
        json.dump(run(Path(work)), sys.stdout, indent=2)
        print()
