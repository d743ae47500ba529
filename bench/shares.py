"""Figures for project shares: GET shares latency with 1,000 shares, and the time to
delete a share of 100,000 small files while the server keeps answering GET api/status.

Run: python bench/shares.py  (starts its own server in a temporary directory)
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TOKEN = "bench-token"
SHARES = 1000
FILES = 100_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, path: str, method: str = "GET", body: dict | None = None) -> tuple[int, float]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base}{path}", data=data, method=method, headers={"Authorization": f"token {TOKEN}"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        response.read()
        return response.status, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    work = tempfile.mkdtemp(prefix="capella-bench-")
    root = os.path.join(work, "root")
    os.makedirs(root)
    env = {**os.environ, "JUPYTER_DATA_DIR": os.path.join(work, "data")}
    db = os.path.join(work, "data", "capella_share", "shares.sqlite")
    # 1,000 shares through the CLI's registry, a few files in each
    from capella_share.shares import LocalShareRegistry

    os.makedirs(os.path.dirname(db))
    registry = LocalShareRegistry(root_dir=root, shares_root=root, db_path=db)
    for index in range(SHARES):
        share = registry.create(f"Project {index // 20}", f"Model {index}", "read-write")
        for name in ("a.ipynb", "b.txt"):
            with open(os.path.join(root, share.path, name), "w") as target:
                target.write("x" * 100)
    big = registry.create("Big", "Hundred thousand", "read-write")
    registry.close()
    big_path = os.path.join(root, big.path)
    for folder in range(100):
        os.makedirs(os.path.join(big_path, f"d{folder}"))
        for index in range(FILES // 100):
            with open(os.path.join(big_path, f"d{folder}", f"{index}.txt"), "w") as target:
                target.write("0123456789")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", f"--ServerApp.root_dir={root}",
         f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.allow_root=True",
         f"--IdentityProvider.token={TOKEN}", "--ServerApp.open_browser=False"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                call(base, "api/status")
                break
            except OSError:
                time.sleep(0.2)
        first = call(base, "api/capella-share/shares")[1]
        time.sleep(3)  # let the background counting finish
        latencies = [call(base, "api/capella-share/shares")[1] for _ in range(200)]
        print(f"GET shares, {SHARES + 1} shares: first {first * 1000:.0f} ms, "
              f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms")  # fmt: skip

        status: list[float] = []
        done = threading.Event()

        def probe() -> None:
            while not done.is_set():
                status.append(call(base, "api/status")[1])
                time.sleep(0.05)

        prober = threading.Thread(target=probe)
        prober.start()
        started = time.perf_counter()
        code, _ = call(
            base, "api/capella-share/shares/big/hundred-thousand", "DELETE",
            {"confirm": "big/hundred-thousand"},
        )  # fmt: skip
        took = time.perf_counter() - started
        done.set()
        prober.join()
        print(f"DELETE of {FILES:,} files: {code} in {took:.1f} s; GET api/status meanwhile "
              f"({len(status)} calls): p50 {statistics.median(status) * 1000:.1f} ms, "
              f"p99 {percentile(status, 0.99) * 1000:.1f} ms, "
              f"max {max(status) * 1000:.1f} ms")  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
