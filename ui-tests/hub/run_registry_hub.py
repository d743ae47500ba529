"""A real JupyterHub with the share registry for the registry UI test
(registry.spec.ts): the same LiveRegistryHub, spawner hook and users as
tests/hubside/test_platform_shares.py. alice (manager) makes project "Coffee Machine"
with share "Brewer", bob is read-only, a notebook is put in the share, and both
servers are started. Prints one JSON line once ready, and stops everything on
SIGTERM or SIGINT."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import threading
from pathlib import Path

import requests

TESTS = Path(__file__).resolve().parents[2] / "tests"
sys.path.insert(0, str(TESTS))

from hubside.test_platform_shares import HOOK_CONFIG, SHARE, Lab  # noqa: E402
from live_hub import PASSWORD  # noqa: E402
from live_registry import LiveRegistryHub  # noqa: E402
from quiet import quiet_lab  # noqa: E402

NOTEBOOK = "brew.ipynb"


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)  # runs the clean-up below


def _notebook() -> dict:
    cell = {
        "cell_type": "markdown",
        "id": "recipe",
        "metadata": {},
        "source": "# Brewer\n\nThe coffee machine's brewing model.",
    }
    return {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _expect(response: requests.Response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.url}: {response.text}")


def prepare(hub: LiveRegistryHub) -> None:
    """The project, its share and bob's role in the registry, as alice; then the
    servers, which link the share as they start; then a notebook in it."""
    _expect(hub.registry("POST", "projects", "alice", json={"name": "Coffee Machine"}), 201)
    _expect(
        hub.registry("POST", "projects/coffee-machine/shares", "alice", json={"model": "Brewer"}),
        201,
    )
    _expect(
        hub.registry(
            "PUT", "projects/coffee-machine/members/user/bob", "alice", json={"role": "read-only"}
        ),
        200,
    )
    alice, bob = Lab(hub, "alice"), Lab(hub, "bob")
    alice.open()
    bob.open()
    body = {"type": "notebook", "format": "json", "content": _notebook()}
    _expect(alice.call("PUT", f"api/contents/{SHARE}/{NOTEBOOK}", json=body), 201)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with tempfile.TemporaryDirectory(prefix="capella-ui-registry-") as folder:
        workdir = Path(folder)
        config = HOOK_CONFIG.format(storage_root=str(workdir / "shares"))
        hub = LiveRegistryHub(workdir, f"sqlite:///{workdir / 'registry.sqlite'}", config)
        quiet_lab(workdir)
        hub.start()
        try:
            prepare(hub)
            ready = {
                "url": hub.url,
                "password": PASSWORD,
                "share": SHARE,
                "notebook": f"{SHARE}/{NOTEBOOK}",
                "registry": hub.registry_url,
            }
            print(json.dumps(ready), flush=True)
            threading.Event().wait()  # until a signal ends the wait
        finally:
            hub.stop()


if __name__ == "__main__":
    main()
