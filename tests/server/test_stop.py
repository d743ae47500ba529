"""The server stops on SIGTERM within seconds, whatever its kernels went through,
and takes every kernel (the owner's and guests') with it.

jupyter_client keeps a kernel whose start failed among its pending starts for
good; jupyter_server's shutdown of all kernels then answers 404 for it and the
server's stop never finishes (under JupyterHub: a stop that never completes).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import hypothesis
import jupyter_server
import pytest
import requests
import schemathesis
from helpers import until_blocking
from live_server import LiveServer
from schemathesis import GenerationMode

pytestmark = pytest.mark.timeout(300)

#: jupyter_server's own description of its REST API.
API_SPEC = os.path.join(os.path.dirname(jupyter_server.__file__), "services", "api", "api.yaml")


def children(pid: int) -> set[int]:
    """Every process below ``pid``."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if parent == pid:
            found |= {int(entry)} | children(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def fuzz_kernels(server: LiveServer, examples: int) -> int:
    """Send schemathesis' requests for jupyter_server's kernel and session
    routes, as the owner; how many were sent."""
    schema = schemathesis.openapi.from_path(API_SPEC)
    session = requests.Session()
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if "kernels" not in operation.path and "sessions" not in operation.path:
            continue

        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.generate],
        )
        @hypothesis.given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def send(case):
            nonlocal sent
            sent += 1
            case.call(
                base_url=server.base_url, headers=server.headers(), session=session, timeout=60
            )

        send()
    return sent


def test_sigterm_stops_the_server_and_its_kernels_after_a_kernel_api_fuzz(tmp_path, report):
    server = LiveServer(tmp_path, extensions={**LiveServer.ONLY_CAPELLA_SHARE})
    server.start()
    try:
        made = server.request("POST", "api/capella-share/links", json={"permission": "edit"})
        assert made.status_code == 201, made.text
        guest = made.json()["token"]
        assert server.request("POST", "api/kernels", json={}).status_code == 201
        assert server.request("POST", "api/kernels", json={}, token=guest).status_code == 201
        sent = fuzz_kernels(server, examples=25)
        kernels = server.request("GET", "api/kernels").json()
        processes = children(server.process.pid)
        assert processes, "no kernel process to watch"

        start = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(20)
        except Exception:
            pytest.fail(f"the server did not stop within 20 s of SIGTERM:\n{server.log()}")
        took = time.monotonic() - start
        # what is still running after 5 s is reported and asserted below
        with contextlib.suppress(AssertionError):
            until_blocking(lambda: not any(alive(pid) for pid in processes), 5)
        left = [pid for pid in processes if alive(pid)]
    finally:
        server.kill()
        server.stop()
    report(
        "stopping",
        f"SIGTERM after {sent} fuzzed kernel and session requests ({len(kernels)} kernels "
        f"running): stopped in {took:.2f} s, {len(processes)} kernel processes, {len(left)} left",
    )
    assert took < 10
    assert not left, f"kernel processes outlived the server: {left}"
