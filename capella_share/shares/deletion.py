"""Irrevocable deletion of a share folder: out of sight at once, removed behind.

The folder is first renamed into a hidden trash directory of the shares root (one
atomic rename: from then on nobody sees or opens it by its old path), then removed
entry by entry without following symbolic links. What an interrupted removal leaves
in the trash is removed at the next start.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import time

from .tree import is_checkpoints, walk

TRASH_NAME = ".capella-share-trash"


class DeletionError(OSError):
    """The folder could not be moved out of sight; nothing was deleted."""


def trash_dir(shares_root: str) -> str:
    return os.path.join(shares_root, TRASH_NAME)


def _ensure_trash(shares_root: str) -> str:
    trash = trash_dir(shares_root)
    try:
        os.mkdir(trash, 0o700)
    except FileExistsError:
        if not stat.S_ISDIR(os.lstat(trash).st_mode):
            raise DeletionError(
                errno.ENOTDIR, f"{trash} exists and is not a folder; move it away"
            ) from None
    return trash


#: A trashed share's name ends with "--<project>--<model>" (slugs never hold "--").
_KEY_SEPARATOR = "--"


def move_to_trash(os_path: str, shares_root: str, key: tuple[str, str] | None = None) -> str | None:
    """Rename ``os_path`` into the trash; where it went, or None if there was nothing.

    ``key`` (project, model) is kept in the trashed name, so that a delete killed
    right after this rename can still be completed at the next start."""
    if not os.path.lexists(os_path):
        return None
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
    if key is not None:
        name += "".join(_KEY_SEPARATOR + part for part in key)
    try:
        target = os.path.join(_ensure_trash(shares_root), name)
        try:
            os.rename(os_path, target)
        except FileNotFoundError:
            if not os.path.lexists(os_path):
                raise
            # the trash was emptied and removed meanwhile: once more
            target = os.path.join(_ensure_trash(shares_root), name)
            os.rename(os_path, target)
    except OSError as error:
        if error.errno in (errno.EXDEV, errno.EBUSY):
            raise DeletionError(
                error.errno,
                "the share folder is on another file system (a mount) and cannot be moved "
                "out of sight; unmount it or delete it where it is mounted",
            ) from None
        raise
    return target


def remove_tree(path: str) -> tuple[int, int]:
    """Remove ``path`` and everything below it; ``(regular files, their bytes)`` removed
    (the checkpoints Jupyter kept of them not counted).

    Symbolic links are removed as links: what they point to is neither touched nor
    counted.
    """
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(path)
        return (1, info.st_size) if stat.S_ISREG(info.st_mode) else (0, 0)
    files = size = 0

    def unlink_others(dir_fd: int, names: list[str]) -> None:
        for name in names:
            os.unlink(name, dir_fd=dir_fd)

    def remove_dir(parent_fd: int, name: str, _fd: int) -> None:
        if parent_fd == -1:
            os.rmdir(path)
        else:
            os.rmdir(name, dir_fd=parent_fd)

    for rel, dir_fd, entries in walk(path, on_leave=remove_dir, on_others=unlink_others):
        counted = not is_checkpoints(rel)  # the Lab's copies: removed, not counted
        for name, entry in entries:
            os.unlink(name, dir_fd=dir_fd)
            if counted:
                files += 1
                size += entry.st_size
    return files, size


def trashed_keys(shares_root: str) -> list[tuple[str, str]]:
    """The (project, model) of every share folder waiting in the trash."""
    try:
        names = os.listdir(trash_dir(shares_root))
    except OSError:
        return []
    keys = []
    for name in names:
        parts = name.split(_KEY_SEPARATOR)
        if len(parts) == 3 and parts[1] and parts[2]:
            keys.append((parts[1], parts[2]))
    return keys


def empty_trash(shares_root: str) -> tuple[int, int]:
    """Remove every leftover in the trash; ``(files, bytes)`` removed."""
    trash = trash_dir(shares_root)
    try:
        if not stat.S_ISDIR(os.lstat(trash).st_mode):
            return 0, 0
        names = os.listdir(trash)
    except FileNotFoundError:
        return 0, 0
    files = size = 0
    for name in names:
        removed = remove_tree(os.path.join(trash, name))
        files += removed[0]
        size += removed[1]
    with contextlib.suppress(OSError):  # another delete is using it
        os.rmdir(trash)
    return files, size


__all__ = [
    "TRASH_NAME",
    "DeletionError",
    "empty_trash",
    "move_to_trash",
    "remove_tree",
    "trashed_keys",
]
