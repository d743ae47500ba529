"""Walking a share folder without ever following a symbolic link.

Every directory is opened relative to its parent's descriptor with ``O_NOFOLLOW``,
so a link inside a share (or one swapped in while we walk) never leads outside it.
At most one descriptor per level of depth is open at a time.
"""

from __future__ import annotations

import errno
import os
import stat
import typing as t
from collections.abc import Callable, Iterator

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)

#: The folders where Jupyter keeps its checkpoints (copies of files as last
#: saved): the Lab's, not the share's files. Walked and removed with a share,
#: but neither counted nor archived.
CHECKPOINTS = ".ipynb_checkpoints"


def is_checkpoints(rel: str) -> bool:
    """Whether the relative path ``rel`` (as ``walk`` gives) lies in checkpoints."""
    return CHECKPOINTS in rel.split("/")


#: (name, lstat) of the regular files of one directory.
Files = list[tuple[str, os.stat_result]]


def open_dir(name: str, dir_fd: int | None = None) -> int:
    """A descriptor of directory ``name``; fails (ELOOP/ENOTDIR) on a link or a file."""
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def _list(dir_fd: int) -> tuple[Files, list[str], list[str]]:
    """Regular files, subdirectories and everything else (links, sockets…) of a directory."""
    files: Files = []
    subdirs: list[str] = []
    others: list[str] = []
    for name in os.listdir(dir_fd):
        try:
            info = os.lstat(name, dir_fd=dir_fd)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            subdirs.append(name)
        elif stat.S_ISREG(info.st_mode):
            files.append((name, info))
        else:
            others.append(name)
    return files, subdirs, others


def walk(
    top: str,
    on_leave: Callable[[int, str, int], None] | None = None,
    on_others: Callable[[int, list[str]], None] | None = None,
) -> Iterator[tuple[str, int, Files]]:
    """Directories under ``top`` (``top`` first, depth first): ``(relative path, fd, files)``.

    ``on_others(fd, names)`` gets a directory's entries that are neither files nor
    directories; ``on_leave(parent_fd, name, fd)`` is called once a directory and
    everything below it was walked (``parent_fd`` is -1 for ``top``). Both run
    while the directory's descriptor is still open.
    """
    stack: list[list[t.Any]] = []  # [relative path, name, fd, remaining subdirectories]
    try:
        fd, rel, name = open_dir(top), "", ""
        while True:
            level: list[t.Any] = [rel, name, fd, iter(())]
            stack.append(level)
            files, subdirs, others = _list(fd)
            level[3] = iter(subdirs)
            if on_others is not None and others:
                on_others(fd, others)
            yield rel, fd, files
            while stack:
                parent_rel, _, parent_fd, names = stack[-1]
                child = next(names, None)
                if child is None:
                    _, done_name, done_fd, _ = stack.pop()
                    try:
                        if on_leave is not None:
                            on_leave(stack[-1][2] if stack else -1, done_name, done_fd)
                    finally:
                        os.close(done_fd)
                    continue
                try:
                    fd = open_dir(child, dir_fd=parent_fd)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                except OSError as error:
                    if error.errno == errno.ELOOP:
                        continue  # replaced by a link since it was listed
                    raise
                rel = f"{parent_rel}/{child}" if parent_rel else child
                name = child
                break
            else:
                return
    finally:
        for level in stack:
            os.close(level[2])


__all__ = ["CHECKPOINTS", "Files", "is_checkpoints", "open_dir", "walk"]
