"""What the hub launchers share: a Lab without the "Jupyter news?" toast, which
would cover part of the pictures."""

from __future__ import annotations

import json
from pathlib import Path


def quiet_lab(workdir: Path) -> None:
    """Turn the news off for every server of a LiveHub in ``workdir`` (they share
    its Jupyter config folder)."""
    folder = workdir / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
