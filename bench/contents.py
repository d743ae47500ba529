"""Contents API throughput with capella-share enabled and disabled, side by side.

Two servers on the same folder: one with capella-share, one without. The files lie
in a read-write project share next to a read-only one, as on a platform, so the
contents guard does all its work (the read-only check resolves real paths only
when some share is read-only). Requests go one at a time, as a browser tab makes
them, each client over its own keep-alive connection, round-robin: every round
times one request of each client, so all of them see the same machine state, and
each round gives a ratio of its own, of wall time and of the server's CPU time
(less swayed by whatever else the machine runs). The edit guest has no counterpart on the
server without capella-share (it has no guests): its baseline is that server's
owner.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from server import OWNER_TOKEN, Client, Server

FILES = 1000
SHARE = "bench/open"
#: request kind -> (path, seconds of rounds, at least this many rounds)
REQUESTS = {
    "list a folder of 1,000 files": (f"api/contents/{SHARE}/many?content=1", 20.0, 15),
    "read a notebook": (f"api/contents/{SHARE}/notebook.ipynb?content=1", 6.0, 100),
}


def prepare(folder: Path) -> None:
    many = folder / "many"
    many.mkdir(parents=True, exist_ok=True)
    for index in range(FILES):
        (many / f"file-{index:04}.txt").write_text(f"line {index}\n")
    cells = [
        {
            "cell_type": "code",
            "execution_count": index,
            "id": f"cell-{index}",
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["x = 1\n"] * 5}],
            "source": [f"print({index})\n", "x = 1\n"],
        }
        for index in range(50)
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "notebook.ipynb").write_text(json.dumps(notebook))


def shares(server: Server) -> None:
    """The read-write share the files lie in, and a read-only one beside it."""
    for model, permission in (("Open", "read-write"), ("Frozen", "read-only")):
        body = {"project": "Bench", "model": model, "permission": permission}
        server.json("POST", "api/capella-share/shares", body)


@dataclass
class Side:
    """A client and the server it asks."""

    client: Client
    server: Server


def timed(side: Side, path: str) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) of one request."""
    cpu = side.server.cpu_ns()
    started = time.perf_counter()
    status = side.client.get(path)
    elapsed = time.perf_counter() - started
    cpu = side.server.cpu_ns() - cpu
    if status != 200:
        raise RuntimeError(f"GET {path}: {status}")
    return elapsed, cpu / 1e9


def rounds(sides: dict[str, Side], path: str, seconds: float, least: int) -> dict:
    """(wall, CPU) seconds per request of each side, round by round (the order
    turns each round)."""
    names = list(sides)
    for side in sides.values():
        timed(side, path)  # warm the connection and caches
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    started = time.perf_counter()
    index = 0
    while index < least or time.perf_counter() - started < seconds:
        turn = index % len(names)
        for name in names[turn:] + names[:turn]:
            times[name].append(timed(sides[name], path))
        index += 1
    return times


def compared(guarded: list[float], baseline: list[float]) -> dict:
    """The ratio baseline / guarded of each round: median, quartiles, rounds lost."""
    ratios = [off / on for off, on in zip(baseline, guarded, strict=True)]
    low, median, high = statistics.quantiles(ratios, n=4)
    return {
        "ratio": round(median, 3),
        "quartiles": [round(low, 3), round(high, 3)],
        "rounds_slower": sum(value < 1 for value in ratios),
    }


def figures(by_side: dict[str, list[tuple[float, float]]], who: str) -> dict:
    guarded, baseline = by_side[f"on {who}"], by_side["off owner"]
    wall = compared([w for w, _ in guarded], [w for w, _ in baseline])
    cpu = compared([c for _, c in guarded], [c for _, c in baseline])
    return {
        "enabled_req_s": round(1 / statistics.median(w for w, _ in guarded), 1),
        "disabled_req_s": round(1 / statistics.median(w for w, _ in baseline), 1),
        **wall,
        "rounds": len(guarded),
        "cpu_ms": round(statistics.median(c for _, c in guarded) * 1000, 2),
        "disabled_cpu_ms": round(statistics.median(c for _, c in baseline) * 1000, 2),
        "cpu_ratio": cpu["ratio"],
        "cpu_quartiles": cpu["quartiles"],
        "cpu_rounds_costlier": cpu["rounds_slower"],
    }


def run(work: Path) -> dict:
    root = work / "contents-root"
    root.mkdir(parents=True, exist_ok=True)
    with_share = Server(work / "contents-on", root, capella=True)
    without = Server(work / "contents-off", root, capella=False)
    with with_share, without:
        shares(with_share)
        prepare(root / SHARE)
        _, edit_token = with_share.make_link("edit", "bench edit guest")
        sides = {
            "on owner": Side(Client(with_share.port, token=OWNER_TOKEN), with_share),
            "on edit guest": Side(Client(with_share.port, token=edit_token), with_share),
            "off owner": Side(Client(without.port, token=OWNER_TOKEN), without),
        }
        try:
            times = {
                name: rounds(sides, path, seconds, least)
                for name, (path, seconds, least) in REQUESTS.items()
            }
        finally:
            for side in sides.values():
                side.client.close()
    return {
        f"{name}, {who}": figures(by_side, who)
        for name, by_side in times.items()
        for who in ("owner", "edit guest")
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="capella-bench-contents-") as folder:
        for label, result in run(Path(folder)).items():
            print(f"{label}: {json.dumps(result)}", flush=True)
