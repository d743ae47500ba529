"""File count, size and last change of share folders, measured off the event loop and cached."""

from __future__ import annotations

import asyncio
import errno
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from .tree import is_checkpoints, walk


@dataclass(frozen=True)
class FolderStats:
    """Regular files only: symbolic links are neither followed nor counted."""

    files: int
    bytes: int
    modified: float | None

    @property
    def modified_iso(self) -> str | None:
        if self.modified is None:
            return None
        moment = datetime.fromtimestamp(self.modified, tz=timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def measure(os_path: str) -> FolderStats | None:
    """Walk ``os_path`` without following links. None when it is not a folder."""
    files = size = 0
    newest: float | None = None
    try:
        for rel, dir_fd, entries in walk(os_path):
            if is_checkpoints(rel):
                continue
            mtime = os.fstat(dir_fd).st_mtime
            newest = mtime if newest is None else max(newest, mtime)
            for _, info in entries:
                files += 1
                size += info.st_size
                newest = max(newest, info.st_mtime)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:  # the share folder itself is a symbolic link
            return None
        raise
    return FolderStats(files, size, newest)


class ShareStats:
    """Statistics per folder, reused for ``ttl`` seconds and refreshed in the background."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._cache: dict[str, tuple[float, FolderStats | None]] = {}
        self._pending: dict[str, asyncio.Future[FolderStats | None]] = {}
        # one worker: measuring is disk-bound, and the server has other work to do
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="capella-share-stats")

    def cached_paths(self) -> list[str]:
        return list(self._cache)

    def forget(self, os_path: str) -> None:
        self._cache.pop(os_path, None)

    def _start(self, os_path: str) -> asyncio.Future[FolderStats | None]:
        pending = self._pending.get(os_path)
        if pending is not None:
            return pending
        future = asyncio.get_running_loop().run_in_executor(self._executor, measure, os_path)
        self._pending[os_path] = future

        def done(
            fut: asyncio.Future[FolderStats | None], started: float = time.monotonic()
        ) -> None:
            self._pending.pop(os_path, None)
            if not fut.cancelled() and fut.exception() is None:
                self._cache[os_path] = (started, fut.result())

        future.add_done_callback(done)
        return future

    async def gather(self, os_paths: list[str], budget: float) -> dict[str, FolderStats | None]:
        """What is known of each folder; waits up to ``budget`` seconds for folders never
        measured. Stale entries are answered at once and measured again behind."""
        now = time.monotonic()
        waiting: list[asyncio.Future[FolderStats | None]] = []
        for path in os_paths:
            entry = self._cache.get(path)
            if entry is None:
                waiting.append(self._start(path))
            elif now - entry[0] > self.ttl:
                self._start(path)
        if waiting:
            await asyncio.wait(waiting, timeout=budget)
        return {path: entry[1] for path in os_paths if (entry := self._cache.get(path))}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


__all__ = ["FolderStats", "ShareStats", "measure"]
