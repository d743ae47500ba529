"""The local share list: SQLite in the Jupyter data directory, managed by the owner.

One database serves every server of the user: rows are keyed by the shares root
they belong to. The CLI writes the same database; a running server sees its
changes within a second (SQLite's ``data_version`` tells it something changed).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import typing as t

from jupyter_core.paths import jupyter_data_dir
from traitlets import Unicode, default

from .provider import Share, ShareProvider

_SCHEMA = """
CREATE TABLE IF NOT EXISTS shares (
    root TEXT NOT NULL,
    project TEXT NOT NULL,
    model TEXT NOT NULL,
    project_name TEXT NOT NULL,
    model_name TEXT NOT NULL,
    permission TEXT NOT NULL CHECK (permission IN ('read-write', 'read-only')),
    created TEXT NOT NULL,
    PRIMARY KEY (root, project, model)
)
"""


class LocalShareProvider(ShareProvider):
    """Shares the owner makes, changes and deletes (REST API, Lab panel, CLI)."""

    kind = "local"

    db_path = Unicode(
        config=True,
        help="""The SQLite file of the local share list. Default: shares.sqlite in the
        capella_share folder of the Jupyter data directory.""",
    )

    @default("db_path")
    def _db_path_default(self) -> str:
        return os.path.join(jupyter_data_dir(), "capella_share", "shares.sqlite")

    def __init__(self, **kwargs: t.Any):
        super().__init__(**kwargs)
        os.makedirs(os.path.dirname(self.db_path) or ".", exist_ok=True)
        # the server asks from its event loop thread; the lock keeps any other caller in line
        self._db = sqlite3.connect(self.db_path, check_same_thread=False, timeout=5.0)
        self._db_lock = threading.Lock()
        self._version: int | None = None
        with self._db_lock, self._db:
            self._db.execute(_SCHEMA)

    def describe(self) -> str:
        return f"the local share list {self.db_path}"

    def _data_version(self) -> int:
        return t.cast(int, self._db.execute("PRAGMA data_version").fetchone()[0])

    def source_changed(self) -> bool:
        with self._db_lock:
            return self._version is None or self._data_version() != self._version

    def load(self) -> list[Share]:
        with self._db_lock:
            self._version = self._data_version()
            rows = self._db.execute(
                "SELECT project, model, project_name, model_name, permission, created "
                "FROM shares WHERE root = ? ORDER BY project, model",
                (self.shares_root,),
            ).fetchall()
        return [
            Share(
                project=project,
                model=model,
                path=self.path_for(project, model),
                permission=permission,
                project_name=project_name,
                model_name=model_name,
                created=created,
            )
            for project, model, project_name, model_name, permission, created in rows
        ]

    def store_new(self, share: Share) -> None:
        with self._db_lock, self._db:
            self._db.execute(
                "INSERT INTO shares VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    self.shares_root,
                    share.project,
                    share.model,
                    share.project_name,
                    share.model_name,
                    share.permission,
                    share.created,
                ),
            )

    def store_permission(self, share: Share, permission: str) -> None:
        with self._db_lock, self._db:
            self._db.execute(
                "UPDATE shares SET permission = ? WHERE root = ? AND project = ? AND model = ?",
                (permission, self.shares_root, share.project, share.model),
            )

    def store_removal(self, share: Share) -> None:
        with self._db_lock, self._db:
            self._db.execute(
                "DELETE FROM shares WHERE root = ? AND project = ? AND model = ?",
                (self.shares_root, share.project, share.model),
            )

    def close(self) -> None:
        super().close()
        with self._db_lock:
            self._db.close()


__all__ = ["LocalShareProvider"]
