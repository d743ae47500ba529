"""Every capella-share benchmark in one run: prints a table, writes bench/results.json.

Run through ``./scripts/bench`` (which sets up the environment first). Servers run
on 127.0.0.1 in a temporary directory and are stopped at the end of each part.
``python bench/run.py contents lab`` runs only the parts named.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

#: The parts, in the order they run: each module's run(workdir) returns its figures.
PARTS = {
    name: importlib.import_module(name).run
    for name in (
        "contents",
        "revocation",
        "shares",
        "mounts",
        "proxy",
        "sandbox",
        "activity",
        "lab",
        "load",
    )
}


def rows(results: dict) -> list[tuple[str, str, str]]:
    """(figure, value, baseline / note) for the table."""
    table: list[tuple[str, str, str]] = []
    for name, figures in results.get("contents", {}).items():
        low, high = figures["quartiles"]
        cpu_low, cpu_high = figures["cpu_quartiles"]
        table.append(
            (
                f"Contents: {name}",
                f"{figures['enabled_req_s']:.1f} req/s",
                f"disabled {figures['disabled_req_s']:.1f} req/s, ratio {figures['ratio']:.2f} "
                f"({low:.2f}-{high:.2f}, slower in {figures['rounds_slower']} of "
                f"{figures['rounds']}); server CPU ratio {figures['cpu_ratio']:.2f} "
                f"({cpu_low:.2f}-{cpu_high:.2f})",
            )
        )
    if "revocation" in results:
        rev = results["revocation"]
        n = rev["rounds"] * rev["probes_per_round"]
        for way, count in rev["accepted_after_revoke"].items():
            table.append(
                (f"Revocation: requests accepted via the {way}", f"{count} of {n}", "must be 0")
            )
        for kind, closed in rev["websocket_closed"].items():
            table.append(
                (
                    f"Revocation: {kind} websocket closed after",
                    f"{closed['median_ms']:.1f} ms",
                    f"max {closed['max_ms']:.1f} ms, code {closed['close_codes']}",
                )
            )
        if not rev["rtc"]:
            table.append(("Revocation: RTC document websocket", "n/a", "no jupyter_server_ydoc"))
    if "shares" in results:
        listing, delete = results["shares"]["list"], results["shares"]["delete"]
        table.append(
            (
                f"GET shares, {listing['shares']} shares",
                f"p50 {listing['p50_ms']:.1f} ms",
                f"p99 {listing['p99_ms']:.1f} ms (first call {listing['first_ms']:.0f} ms)",
            )
        )
        table.append(
            (
                f"Delete a share of {delete['files']:,} files",
                f"{delete['duration_s']:.2f} s",
                f"GET api/status meanwhile: p50 {delete['status_p50_ms']:.1f} ms, "
                f"p99 {delete['status_p99_ms']:.1f} ms, max {delete['status_max_ms']:.1f} ms",
            )
        )
    if "mounts" in results:
        table += importlib.import_module("mounts").describe(results["mounts"])
    if "proxy" in results:
        table += importlib.import_module("proxy").describe(results["proxy"])
    if "lab" in results:
        lab_load, size = results["lab"], results["lab"]["labextension"]
        table.append(
            (
                "JupyterLab load (restored), with capella-share",
                f"{lab_load['with_ms']} ms",
                f"without {lab_load['without_ms']} ms, ratio {lab_load['ratio']:.2f} "
                f"(median of {lab_load['rounds']})",
            )
        )
        table.append(
            (
                "Lab extension size (labextension/static)",
                f"{size['bytes'] / 1024:.0f} KiB",
                f"gzip {size['gzip_bytes'] / 1024:.0f} KiB, {size['files']} files",
            )
        )
    if "load" in results:
        stress = results["load"]
        table.append(
            (
                f"Load: {stress['guests']} guests, {stress['runs']} x {stress['duration_s']:.0f} s",
                f"{stress['errors']} errors",
                f"{stress['requests']} requests, p50 {stress['p50_ms']:.1f} ms, "
                f"p99 {stress['p99_ms']:.1f} ms",
            )
        )
        base = stress["baseline"]
        table.append(
            (
                "Load: p99 of what both poll, without capella-share",
                f"{stress['common_p99_ms']:.1f} ms",
                f"without {base['common_p99_ms']:.1f} ms, ratio {stress['common_p99_ratio']:.2f}; "
                f"p50 {stress['common_p50_ms']:.1f} vs {base['common_p50_ms']:.1f} ms "
                f"({base['errors']} errors without)",
            )
        )
        table.append(
            (
                "Load: server RSS",
                f"{stress['rss_before_mb']:.0f} -> {stress['rss_after_mb']:.0f} MiB",
                f"peak {stress['rss_peak_mb']:.0f} MiB",
            )
        )
    if "sandbox" in results:
        table += importlib.import_module("sandbox").describe(results["sandbox"])
    if "activity" in results:
        table += importlib.import_module("activity").describe(results["activity"])
    return table


def print_table(table: list[tuple[str, str, str]]) -> None:
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    line = "  ".join("-" * width for width in widths)
    print(line)
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    print(line)


def main(names: list[str]) -> None:
    unknown = set(names) - set(PARTS)
    if unknown:
        sys.exit(f"unknown part(s): {', '.join(sorted(unknown))}; parts: {', '.join(PARTS)}")
    results: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        }
    }
    with tempfile.TemporaryDirectory(prefix="capella-bench-") as work:
        for name, part in PARTS.items():
            if names and name not in names:
                continue
            started = time.monotonic()
            print(f"==> {name}", flush=True)
            results[name] = part(Path(work) / name)
            print(f"    {time.monotonic() - started:.0f} s", flush=True)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(rows(results))
    print(f"written: {HERE / 'results.json'}")


if __name__ == "__main__":
    main(sys.argv[1:])
