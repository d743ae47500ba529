"""What admitting a link's guest costs behind a platform's authenticating proxy
(docs/platforms.md), on the stack tests/server/test_proxy.py runs
(tests/live_proxy.py): Debian's nginx with the documented configuration in front
of ``jupyter lab --ServerApp.token=''`` with ``CapellaShareApp.proxy_owner`` on,
and a stand-in for the platform's session validator that answers at once, all on
127.0.0.1.

Four series of sequential GETs, each over a keep-alive session of its own, a view
link's token in the Authorization header:

- the auth-check, asked directly;
- nginx's ``auth_request`` to the auth-check alone (a location beside the
  documented ones answers an empty GIF once the subrequest admits);
- nginx: the platform refuses, then the auth-check admits (the same, through the
  documented chain);
- a guest's ``GET api/status`` through nginx, the whole way.

After a warm-up the series take turns, a batch of each at a time, so a slower
moment of the machine falls on all four. Figures: n, p50 and p99 in ms of each,
and the p50 of nginx's ``auth_request`` and of the whole path over the direct one's.

Needs /usr/sbin/nginx (``apt-get install nginx-light``). Part of
``python bench/run.py``; alone: ``python bench/run.py proxy`` or
``python bench/proxy.py``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from server import percentile

#: The series: key -> what is timed.
SERIES = {
    "direct": "auth-check, directly",
    "auth_request": "nginx auth_request to the auth-check",
    "chain": "nginx: platform refuses, auth-check admits",
    "whole_path": "guest GET api/status through nginx (whole path)",
}
WARM_UP = 20
#: Requests of a series in a row, and rounds of every series in turn.
BATCH, ROUNDS = 20, 15


def timed(session: requests.Session, url: str, headers: dict[str, str], count: int) -> list[float]:
    """Milliseconds of ``count`` sequential GETs."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, headers=headers, timeout=10)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code not in (200, 204):
            raise RuntimeError(f"GET {url}: {response.status_code}")
    return times


def run(workdir: Path) -> dict:
    # tests/ is on sys.path once server is imported
    from live_proxy import NGINX, make_link, running_stack

    if shutil.which(NGINX) is None:
        raise RuntimeError(f"{NGINX} is missing (apt-get install nginx-light)")
    with running_stack(workdir) as stack:
        headers = {"Authorization": f"token {make_link(stack, 'view')['token']}"}
        urls = {
            "direct": stack.direct("api/capella-share/auth-check"),
            "auth_request": f"{stack.nginx.url}/_probe/capella-share",
            "chain": f"{stack.nginx.url}/_probe/chain",
            "whole_path": stack.url("api/status"),
        }
        sessions = {key: requests.Session() for key in SERIES}
        times: dict[str, list[float]] = {key: [] for key in SERIES}
        try:
            for key in SERIES:
                timed(sessions[key], urls[key], headers, WARM_UP)  # connections, caches
            for _ in range(ROUNDS):
                for key in SERIES:
                    times[key] += timed(sessions[key], urls[key], headers, BATCH)
        finally:
            for session in sessions.values():
                session.close()
    series = {
        key: {
            "n": len(times[key]),
            "p50_ms": round(statistics.median(times[key]), 3),
            "p99_ms": round(percentile(times[key], 0.99), 3),
        }
        for key in SERIES
    }
    direct = statistics.median(times["direct"])
    figures = {
        "series": series,
        "auth_request_ratio": round(statistics.median(times["auth_request"]) / direct, 2),
        "whole_path_ratio": round(statistics.median(times["whole_path"]) / direct, 2),
    }
    report(figures)
    return figures


def report(figures: dict) -> None:
    print()
    print("capella-share auth-check latency (sequential requests, ms):")
    for key, f in figures["series"].items():
        print(f"  {SERIES[key]:48} n={f['n']:3}  p50 {f['p50_ms']:6.2f}  p99 {f['p99_ms']:6.2f}")
    print(
        "  p50 over the direct auth-check's: "
        f"nginx auth_request {figures['auth_request_ratio']:.2f}, "
        f"whole path {figures['whole_path_ratio']:.2f}"
    )


def describe(figures: dict) -> list[tuple[str, str, str]]:
    """The rows of bench/run.py's table."""
    series = figures["series"]
    direct = series["direct"]
    rows = [
        (
            "Proxy: the auth-check, asked directly",
            f"p50 {direct['p50_ms']:.2f} ms",
            f"p99 {direct['p99_ms']:.2f} ms ({direct['n']} sequential requests)",
        )
    ]
    for key, ratio in (
        ("auth_request", figures["auth_request_ratio"]),
        ("chain", None),
        ("whole_path", figures["whole_path_ratio"]),
    ):
        f = series[key]
        note = f"p99 {f['p99_ms']:.2f} ms"
        if ratio is not None:
            note += f", p50 {ratio:.2f} x the direct one's"
        rows.append((f"Proxy: {SERIES[key]}", f"p50 {f['p50_ms']:.2f} ms", note))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="capella-bench-proxy-") as work:
        figures = run(Path(work))
    json.dump(figures, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
