"""./scripts/demo says what it will do before it installs anything: where a demo
of this clone already runs, or that the port asked for is taken (it used to set
everything up again, print a URL, and then fail)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from helpers import REPO


def _clone(tmp_path: Path) -> Path:
    """The files the demo starts from, in a folder of their own (nothing is
    installed in this work tree)."""
    clone = tmp_path / "clone"
    (clone / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "demo", clone / "scripts" / "demo")
    shutil.copytree(REPO / "demo", clone / "demo")
    return clone


def _run(clone: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [str(clone / "scripts" / "demo")],
        cwd=clone,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, time.monotonic() - started


def test_a_second_demo_says_where_the_first_runs(tmp_path):
    clone = _clone(tmp_path)
    (clone / ".demo").mkdir()
    (clone / ".demo-state").mkdir()
    url = "http://127.0.0.1:8888/lab?token=abc"
    # a live process stands for the demo's server
    (clone / ".demo-state" / "demo.json").write_text(json.dumps({"pid": os.getpid(), "url": url}))
    done, took = _run(clone)
    assert done.returncode == 0, done.stderr
    assert f"The demo is running already: open {url}" in done.stdout
    assert len(done.stdout.splitlines()) <= 3
    assert took < 10
    assert not (clone / ".venv-demo").exists()


def test_a_port_taken_is_said_at_once(tmp_path):
    clone = _clone(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done, took = _run(clone, PORT=str(port))
    assert done.returncode == 1
    assert f"port {port} is not free" in done.stderr
    assert "PORT=" in done.stderr
    assert took < 10
    assert not (clone / ".venv-demo").exists()
