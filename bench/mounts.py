"""Figures for mounted shares (MountShareProvider) with a table of 200 mounts: reading
and parsing the table into shares, the check that tells whether the kernel's table
changed, and whether a path is read-only. No mount is made: the table is crafted
text, as the parser's tests use.

Part of ``python bench/run.py``; alone: ``python bench/mounts.py``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import typing as t
from pathlib import Path

MOUNTS = 200


def line(mount_id: int, parent: int, point: str, options: str = "rw") -> str:
    """One line of /proc/self/mountinfo."""
    return f"{mount_id} {parent} 254:0 / {point} {options},relatime - ext4 /dev/vda rw,discard"


def per_call(action: t.Callable[[], t.Any], rounds: int) -> float:
    """Seconds one ``action()`` takes, on average."""
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - started) / rounds


def run(work: Path) -> dict:
    from capella_share.shares import MountShareProvider

    root = work / "root"
    shared = root / "shared"
    lines = [line(1, 0, "/"), line(2, 1, str(shared))]
    for index in range(MOUNTS):
        (shared / f"p{index:03}").mkdir(parents=True)
        lines.append(line(100 + index, 2, f"{shared}/p{index:03}", "ro" if index % 2 else "rw"))
    table = work / "mountinfo"
    table.write_text("\n".join(lines) + "\n")
    provider = MountShareProvider(
        root_dir=str(root), shares_root=str(shared), mountinfo_path=str(table)
    )
    try:
        assert len(provider.load()) == MOUNTS
        load = per_call(provider.load, 50)
        provider.refresh(force=True)
        guard = per_call(lambda: provider.is_read_only(f"shared/p{MOUNTS - 1}/sub/file.txt"), 1000)
    finally:
        provider.close()
    # the kernel's own table: a change is noticed by poll(), without reading it
    live = MountShareProvider(root_dir=str(root), shares_root=str(shared))
    try:
        live.refresh(force=True)
        poll = per_call(live.source_changed, 10000)
    finally:
        live.close()
    return {
        "mounts": MOUNTS,
        "load_ms": round(load * 1e3, 3),
        "changed_check_us": round(poll * 1e6, 2),
        "read_only_check_us": round(guard * 1e6, 2),
    }


def describe(figures: dict) -> list[tuple[str, str, str]]:
    """The rows of bench/run.py's table."""
    return [
        (
            f"Mounted shares: read the table of {figures['mounts']} mounts",
            f"{figures['load_ms']:.2f} ms",
            "done only when the kernel says it changed; that check "
            f"{figures['changed_check_us']:.1f} us, at most once a second",
        ),
        (
            "Mounted shares: is a path read-only",
            f"{figures['read_only_check_us']:.1f} us",
            f"with {figures['mounts']} mounts",
        ),
    ]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="capella-bench-") as work:
        json.dump(run(Path(work)), sys.stdout, indent=2)
        print()
