"""A real PostgreSQL (Debian's package) on 127.0.0.1 for the registry tests: its own
cluster in a temporary folder owned by ``postgres``, trust authentication, its own
port; stopped and removed afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from live_server import free_port


def _newest_bin() -> Path:
    """Debian's PostgreSQL programs, of the newest version installed."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


BIN = _newest_bin()
USER = "postgres"


def missing_reason() -> str | None:
    """Why a PostgreSQL cannot be started here, or None."""
    if not (BIN / "pg_ctl").exists():
        return f"PostgreSQL is not installed: no {BIN / 'pg_ctl'} (apt-get install postgresql)"
    if shutil.which("runuser") is None:
        return "runuser is missing (util-linux)"
    if os.geteuid() != 0:
        return "starting PostgreSQL as the postgres user needs root"
    return None


class LivePostgres:
    """``initdb`` + ``pg_ctl start`` as postgres; ``url`` names its database."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="capella-pg-"))
        self.data = self.folder / "data"
        self.port = 0

    def _as_postgres(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["runuser", "-u", USER, "--", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self) -> None:
        shutil.chown(self.folder, USER, USER)
        os.chmod(self.folder, 0o700)
        done = self._as_postgres(
            str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8"
        )
        if done.returncode:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        self.port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder}"
        done = self._as_postgres(
            str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "postgres.log"), "-w", "start",
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{self.log()}")

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / "postgres.log").read_text(errors="replace")[-4000:]
        return ""

    def create_database(self, name: str) -> str:
        """A new, empty database; its SQLAlchemy URL (psycopg 3)."""
        done = self._as_postgres(
            str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), name
        )
        if done.returncode:
            raise RuntimeError(f"createdb {name} failed:\n{done.stderr}")
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.data.exists():
            self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            # give the postmaster a moment to remove its socket before the folder goes
            time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)
