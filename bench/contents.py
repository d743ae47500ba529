"""Contents API throughput with capella-share enabled and disabled, side by side.

Two servers on the same folder: one with capella-share, one without. Each request
kind is timed over one keep-alive connection (one request at a time, as a browser
tab makes them) in alternating rounds, so both servers see the same machine state.
The edit guest has no counterpart on the server without capella-share (it has no
guests): its baseline is that server's owner.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from server import OWNER_TOKEN, Client, Server

FILES = 1000
ROUNDS = 3
#: request kind -> (path, seconds per round)
REQUESTS = {
    "list a folder of 1,000 files": ("api/contents/many?content=1", 3.0),
    "read a notebook": ("api/contents/notebook.ipynb?content=1", 1.5),
}


def prepare(root: Path) -> None:
    many = root / "many"
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
    (root / "notebook.ipynb").write_text(json.dumps(notebook))


def rate(client: Client, path: str, seconds: float) -> float:
    """Requests per second, one at a time, for ``seconds``."""
    assert client.get(path) == 200  # warm the connection and caches
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        status = client.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        count += 1
    return count / elapsed


def run(work: Path) -> dict:
    root = work / "contents-root"
    prepare(root)
    with_share = Server(work / "contents-on", root, capella=True)
    without = Server(work / "contents-off", root, capella=False)
    with with_share, without:
        _, edit_token = with_share.make_link("edit", "bench edit guest")
        clients = {
            ("on", "owner"): Client(with_share.port, token=OWNER_TOKEN),
            ("on", "edit guest"): Client(with_share.port, token=edit_token),
            ("off", "owner"): Client(without.port, token=OWNER_TOKEN),
        }
        try:
            rates: dict[tuple[str, str, str], list[float]] = {}
            for _ in range(ROUNDS):
                for name, (path, seconds) in REQUESTS.items():
                    for (side, who), client in clients.items():
                        value = rate(client, path, seconds)
                        rates.setdefault((name, side, who), []).append(value)
        finally:
            for client in clients.values():
                client.close()
    results = {}
    for name in REQUESTS:
        baseline = statistics.median(rates[(name, "off", "owner")])
        for who in ("owner", "edit guest"):
            value = statistics.median(rates[(name, "on", who)])
            results[f"{name}, {who}"] = {
                "enabled_req_s": round(value, 1),
                "disabled_req_s": round(baseline, 1),
                "ratio": round(value / baseline, 3),
            }
    return results
