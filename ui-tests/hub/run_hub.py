"""A real JupyterHub for the hub UI test (hub.spec.ts): the same LiveHub as the
pytest hub tests, with alice's server started. Prints one JSON line with the hub's
URL once ready, and stops everything on SIGTERM or SIGINT."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import threading
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2] / "tests"
sys.path.insert(0, str(TESTS))

from live_hub import PASSWORD, LiveHub  # noqa: E402
from quiet import quiet_lab  # noqa: E402

CONFIG = (TESTS.parent / "docs" / "jupyterhub_config.py").read_text()


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)  # runs the clean-up below


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with tempfile.TemporaryDirectory(prefix="capella-ui-hub-") as workdir:
        hub = LiveHub(Path(workdir), CONFIG)
        quiet_lab(Path(workdir))
        hub.start()
        try:
            hub.start_server("alice")
            print(json.dumps({"url": hub.url, "password": PASSWORD}), flush=True)
            threading.Event().wait()  # until a signal ends the wait
        finally:
            hub.stop()


if __name__ == "__main__":
    main()
