"""What the sandbox costs a kernel: start to first reply, small cells, a big read.

Three servers run side by side: code in bubblewrap, code under Landlock, and
code unconfined (``sandbox_backend = "none"``, ``allow_unconfined_code``). Their
rounds are interleaved, so a slower moment of the machine falls on all three.
Figures: kernel start (``POST api/kernels``) to the first ``execute_reply``; 1,000
small cells sent one after the other over the kernel websocket; a 100 MB file read
inside the kernel (timed by the kernel, the page cache warm).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import typing as t
import uuid
from pathlib import Path

from server import OWNER_TOKEN, Server
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

BACKENDS = ("bubblewrap", "landlock", "none")
STARTS = 12
CELLS = 1000
READS = 10
#: reads of the file per timing (one takes ~10 ms: too short to time alone)
PASSES = 5
BIG = 100 * 1024 * 1024


def _message(code: str) -> dict[str, t.Any]:
    msg_id = uuid.uuid4().hex
    return {
        "header": {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "bench",
            "session": "bench",
            "version": "5.3",
            "date": "",
        },
        "parent_header": {},
        "metadata": {},
        "content": {"code": code, "silent": False, "store_history": False, "allow_stdin": False},
        "channel": "shell",
    }


class Kernel:
    def __init__(self, server: Server):
        self.server = server
        self.id = ""
        self.socket: t.Any = None

    async def start(self) -> None:
        self.id = self.server.json("POST", "api/kernels", {})["id"]
        url = f"ws://127.0.0.1:{self.server.port}/api/kernels/{self.id}/channels"
        request = HTTPRequest(url, headers={"Authorization": f"token {OWNER_TOKEN}"})
        self.socket = await websocket_connect(request)

    async def run(self, code: str) -> str:
        """Execute ``code``; what it printed, once its execute_reply came."""
        message = _message(code)
        msg_id = message["header"]["msg_id"]
        await self.socket.write_message(json.dumps(message))
        printed = []
        while True:
            reply = json.loads(await self.socket.read_message())
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = reply["header"]["msg_type"]
            if kind == "stream":
                printed.append(reply["content"]["text"])
            elif kind == "execute_reply":
                return "".join(printed)

    def stop(self) -> None:
        if self.socket is not None:
            self.socket.close()
        if self.id:
            self.server.request("DELETE", f"api/kernels/{self.id}")


async def _start_time(server: Server) -> float:
    kernel = Kernel(server)
    began = time.perf_counter()
    await kernel.start()
    await kernel.run("1")
    took = time.perf_counter() - began
    kernel.stop()
    return took


async def _cells(kernel: Kernel, count: int) -> float:
    """Seconds ``count`` small cells take, one after the other."""
    began = time.perf_counter()
    for _ in range(count):
        await kernel.run("x += 1")
    return time.perf_counter() - began


async def _read(kernel: Kernel, path: Path) -> float:
    """The seconds one read of ``path`` takes inside the kernel (timed there)."""
    code = (
        "import time\n"
        "began = time.perf_counter()\n"
        f"for _ in range({PASSES}):\n"
        f"    with open({str(path)!r}, 'rb') as f:\n"
        "        while f.read(1 << 20):\n"
        "            pass\n"
        f"print((time.perf_counter() - began) / {PASSES})"
    )
    return float(await kernel.run(code))


def run(workdir: Path) -> dict[str, t.Any]:
    root = workdir / "sandbox-root"
    root.mkdir(parents=True, exist_ok=True)
    big = root / "big.bin"
    with open(big, "wb") as f:
        f.write(b"\0" * BIG)
    servers = {
        backend: Server(
            workdir / f"sandbox-{backend}",
            root,
            args=[
                f"--CapellaShareApp.sandbox_backend={backend}",
                "--CapellaShareApp.allow_unconfined_code=True",
            ],
        )
        for backend in BACKENDS
    }
    for server in servers.values():
        server.start()
    try:
        figures = asyncio.run(_measure(servers, big))
    finally:
        for server in servers.values():
            server.stop()
        big.unlink()
    return figures


async def _measure(servers: dict[str, Server], big: Path) -> dict[str, t.Any]:
    # every figure in rounds that visit each server in turn
    starts: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(STARTS):
        for name, server in servers.items():
            starts[name].append(await _start_time(server))
    kernels = {name: Kernel(server) for name, server in servers.items()}
    for kernel in kernels.values():
        await kernel.start()
        await kernel.run("x = 0")
    cells: dict[str, float] = dict.fromkeys(servers, 0.0)
    reads: dict[str, list[float]] = {name: [] for name in servers}
    rounds = 10
    for _ in range(rounds):
        for name, kernel in kernels.items():
            cells[name] += await _cells(kernel, CELLS // rounds)
    for _ in range(READS):
        for name, kernel in kernels.items():
            reads[name].append(await _read(kernel, big))
    for kernel in kernels.values():
        kernel.stop()
    base = "none"
    results: dict[str, t.Any] = {}
    for name in servers:
        start = statistics.median(starts[name])
        read = BIG / statistics.median(reads[name]) / 1e6
        results[name] = {
            "start_ms": start * 1000,
            "start_ratio": start / statistics.median(starts[base]),
            "start_added_ms": (start - statistics.median(starts[base])) * 1000,
            "cells_per_s": CELLS / cells[name],
            "cells_ratio": cells[base] / cells[name],
            "read_mb_s": read,
            "read_ratio": statistics.median(reads[base]) / statistics.median(reads[name]),
        }
    return results


def describe(figures: dict[str, t.Any]) -> list[tuple[str, str, str]]:
    """Rows for bench/run.py's table."""
    rows = []
    for backend, f in figures.items():
        if backend == "none":
            continue
        rows += [
            (
                f"Sandbox ({backend}): kernel start to first reply",
                f"{f['start_ms']:.0f} ms",
                f"unconfined {figures['none']['start_ms']:.0f} ms, ratio "
                f"{f['start_ratio']:.2f}, {f['start_added_ms']:+.0f} ms (goal <= 1.10, < 50 ms)",
            ),
            (
                f"Sandbox ({backend}): {CELLS} small cells",
                f"{f['cells_per_s']:.0f} cells/s",
                f"unconfined {figures['none']['cells_per_s']:.0f}/s, ratio "
                f"{f['cells_ratio']:.2f} (goal >= 0.97)",
            ),
            (
                f"Sandbox ({backend}): 100 MB read in the kernel",
                f"{f['read_mb_s']:.0f} MB/s",
                f"unconfined {figures['none']['read_mb_s']:.0f} MB/s, ratio "
                f"{f['read_ratio']:.2f} (goal >= 0.97)",
            ),
        ]
    return rows


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for backend, figures in run(Path(folder)).items():
            print(
                f"{backend:10} start {figures['start_ms']:7.1f} ms "
                f"(x{figures['start_ratio']:.2f}, {figures['start_added_ms']:+.1f} ms)  "
                f"cells {figures['cells_per_s']:7.1f}/s (x{figures['cells_ratio']:.2f})  "
                f"read {figures['read_mb_s']:7.0f} MB/s (x{figures['read_ratio']:.2f})"
            )
