"""A share as a zip, produced piece by piece so the share is never held in memory."""

from __future__ import annotations

import os
import time
import zipfile
from collections.abc import Generator

from .tree import is_checkpoints, walk

CHUNK = 1 << 20
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class _Sink:
    """A write-only stream without seek: zipfile then writes data descriptors."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass  # zipfile never closes a stream it was given; its type asks for the method

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


def _date_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    # zip dates start in 1980
    return time.localtime(max(mtime, 315532800))[:6]


def zip_chunks(os_path: str, prefix: str) -> Generator[bytes, None, None]:
    """The zip of ``os_path`` in chunks of about ``CHUNK`` bytes, entries under ``prefix/``.

    Symbolic links are left out (never followed). Meant to be advanced from a
    worker thread: every step reads the disk.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel, dir_fd, entries in walk(os_path):
            if is_checkpoints(rel):
                continue  # the Lab's own copies of the files, not the share's
            folder = f"{prefix}/{rel}" if rel else prefix
            info = zipfile.ZipInfo(f"{folder}/", _date_time(os.fstat(dir_fd).st_mtime))
            info.external_attr = (0o40755 << 16) | 0x10
            archive.writestr(info, b"")
            for name, entry in entries:
                try:
                    fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
                except OSError:
                    continue  # gone, or replaced by a link, since it was listed
                with os.fdopen(fd, "rb") as source:
                    member = zipfile.ZipInfo(f"{folder}/{name}", _date_time(entry.st_mtime))
                    member.compress_type = zipfile.ZIP_DEFLATED
                    member.external_attr = (entry.st_mode & 0xFFFF) << 16
                    member.file_size = entry.st_size
                    with archive.open(member, "w") as target:
                        while block := source.read(CHUNK):
                            target.write(block)
                            if sink.size >= CHUNK:
                                yield sink.take()
                if sink.size >= CHUNK:
                    yield sink.take()
    tail = sink.take()
    if tail:
        yield tail


__all__ = ["zip_chunks"]
