"""Shares that are the volumes the platform mounted, read from the mount table (Linux).

A platform such as Capella Collaboration Manager mounts one volume per project
at ``<shares_root>/<project>`` (older layouts: one per model, at
``<shares_root>/<project>/<model>``), read-only for members who may only read.
Here every mount point at that depth is a share, and a read-only mount is a
read-only share: nothing is configured but ``shares_root``.

The table is ``/proc/self/mountinfo`` (proc(5)). The kernel marks that file
when the table changes (``poll`` reports ``POLLPRI``), so the provider reads and
parses it again only then, and a new or removed mount shows without a restart.
"""

from __future__ import annotations

import os
import re
import select
import time
import typing as t
from dataclasses import dataclass

from traitlets import Int, TraitError, Unicode, validate

from .provider import READ_ONLY, READ_WRITE, Share, ShareError, ShareProvider, is_within

MOUNTINFO = "/proc/self/mountinfo"

#: The kernel escapes space, tab, newline and backslash in paths as ``\ooo``.
_OCTAL = re.compile(rb"\\([0-7]{3})")
#: Fields before the optional ones: id, parent id, major:minor, root, mount point, options.
_FIXED_FIELDS = 6
#: Seconds after which the table is read again even if the kernel said nothing:
#: a missed notice must not leave a stale table in force for long.
FULL_READ_INTERVAL = 30.0


def unescape(field: bytes) -> str:
    """A path field of the mount table as the file system's name (``\\040`` is a space)."""
    return os.fsdecode(_OCTAL.sub(lambda match: bytes([int(match.group(1), 8)]), field))


@dataclass(frozen=True)
class Mount:
    """One line of ``/proc/self/mountinfo``."""

    mount_id: int
    parent_id: int
    root: str  # the folder of the file system mounted here (for bind mounts)
    mount_point: str
    options: frozenset[str]  # this mount's own options: ro or rw, nosuid…
    fs_type: str
    source: str
    super_options: frozenset[str]  # the file system's options: ro or rw, …

    @property
    def read_only(self) -> bool:
        """Read-only for this mount (``mount -o remount,bind,ro``) or the whole file system."""
        return "ro" in self.options or "ro" in self.super_options


def parse_line(line: bytes) -> Mount | None:
    """The mount a line describes; None for a line that is not one."""
    fields = line.split()
    try:
        separator = fields.index(b"-", _FIXED_FIELDS)
        fs_type, source, super_options = fields[separator + 1 : separator + 4]
        return Mount(
            mount_id=int(fields[0]),
            parent_id=int(fields[1]),
            root=unescape(fields[3]),
            mount_point=unescape(fields[4]),
            options=frozenset(os.fsdecode(fields[5]).split(",")),
            fs_type=unescape(fs_type),
            source=unescape(source),
            super_options=frozenset(os.fsdecode(super_options).split(",")),
        )
    except ValueError:  # no separator, too few fields, an id that is not a number
        return None


def parse_mountinfo(data: bytes) -> tuple[list[Mount], int]:
    """The mounts of a mount table, in its order, and how many lines were not mounts."""
    mounts: list[Mount] = []
    skipped = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        mount = parse_line(line)
        if mount is None:
            skipped += 1
        else:
            mounts.append(mount)
    return mounts, skipped


def visible_mounts(mounts: list[Mount]) -> list[Mount]:
    """The mounts a path lookup can reach. A mount made over another at the same
    point hides it (the upper one's parent is the lower one), and with it whatever
    was mounted inside the lower one; the table still lists them all."""
    by_id = {mount.mount_id: mount for mount in mounts}
    covered = {
        mount.parent_id
        for mount in mounts
        if mount.parent_id != mount.mount_id
        and mount.parent_id in by_id
        and by_id[mount.parent_id].mount_point == mount.mount_point
    }
    reachable: dict[int, bool] = {}  # whether the place a mount sits on can be reached

    def can_reach(mount: Mount) -> bool:
        chain: list[int] = []
        current = mount
        while current.mount_id not in reachable:
            chain.append(current.mount_id)
            parent = by_id.get(current.parent_id)
            if parent is None or parent.mount_id in chain:
                answer = True  # the namespace's root
                break
            # sitting inside a hidden mount (not merely on top of it) hides this one
            if parent.mount_point != current.mount_point and parent.mount_id in covered:
                answer = False
                break
            current = parent
        else:
            answer = reachable[current.mount_id]
        for mount_id in chain:
            reachable[mount_id] = answer
        return answer

    return [mount for mount in mounts if mount.mount_id not in covered and can_reach(mount)]


def read_mount_table(path: str = MOUNTINFO) -> list[Mount]:
    """The visible mounts of this process's mount table; [] where there is none."""
    try:
        with open(path, "rb") as table:
            data = table.read()
    except OSError:
        return []
    return visible_mounts(parse_mountinfo(data)[0])


def mount_points_within(os_path: str, path: str = MOUNTINFO) -> list[str]:
    """The mount points at or below ``os_path`` (absolute, real), shortest first."""
    found = [m.mount_point for m in read_mount_table(path) if is_within(m.mount_point, os_path)]
    return sorted(found, key=len)


class MountShareProvider(ShareProvider):
    """The mount points under ``shares_root`` are the shares; read-only mounts are
    read-only shares. Nothing can be created, changed or deleted here."""

    managed = True
    kind = "mounts"

    mount_depth = Int(
        1,
        config=True,
        help="""How deep under shares_root the platform mounts share volumes.
        1 (default): one volume per project, <shares_root>/<project>, as Capella
        Collaboration Manager mounts them (/shared/<project>); such a share holds
        every model of the project, and its model name repeats the project's.
        2: one volume per model, <shares_root>/<project>/<model>, the older
        layout. Mounts at other depths are not shares (a read-only one still
        refuses writes: the server answers them with a 403 too).""",
    )

    mountinfo_path = Unicode(
        MOUNTINFO,
        config=True,
        help="""The mount table read (the format of /proc/self/mountinfo). Change it
        only to read a copy of the table; a copy is read again when its
        modification time or size changes.""",
    )

    @validate("mount_depth")
    def _valid_depth(self, proposal: t.Any) -> int:
        if proposal["value"] not in (1, 2):
            raise TraitError(
                f"MountShareProvider.mount_depth must be 1 (<project>) or 2 "
                f"(<project>/<model>), not {proposal['value']!r}."
            )
        return t.cast(int, proposal["value"])

    def __init__(self, **kwargs: t.Any):
        super().__init__(**kwargs)
        self.error: str | None = None
        self._poll: select.poll | None = None
        self._poll_fd: int | None = None
        self._stamp: tuple[int, int] | None = None
        self._read_at: float | None = None
        self._skipped = 0

    def refusal(self) -> str:
        return (
            "Project shares in this session are the volumes the platform mounted under "
            f"{self.shares_root_path or 'the root folder'!r}: they are managed by the platform. "
            "Ask whoever runs it to add, remove or change them."
        )

    def describe(self) -> str:
        return f"the mounts at depth {self.mount_depth} under it ({self.mountinfo_path})"

    def close(self) -> None:
        if self._poll_fd is not None:
            os.close(self._poll_fd)
            self._poll_fd = self._poll = None
        super().close()

    # -- whether the table changed ---------------------------------------------------------
    def _watch(self) -> None:
        """Ask the kernel to tell when the mount table changes (only /proc's table does)."""
        if self._poll is not None or not self.mountinfo_path.startswith("/proc/"):
            return
        try:
            fd = os.open(self.mountinfo_path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return
        self._poll_fd = fd
        self._poll = select.poll()
        self._poll.register(fd, select.POLLPRI | select.POLLERR)

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.mountinfo_path)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def source_changed(self) -> bool:
        if self._read_at is None or time.monotonic() - self._read_at > FULL_READ_INTERVAL:
            return True
        if self._poll is not None:
            # each poll reports a change once: the table is read right after
            return bool(self._poll.poll(0))
        return self._file_stamp() != self._stamp

    # -- reading it ------------------------------------------------------------------------
    def load(self) -> list[Share]:
        self._watch()
        if self._poll is not None:
            self._poll.poll(0)  # what changed before this read is in it
        self._stamp = self._file_stamp()
        self._read_at = time.monotonic()
        try:
            with open(self.mountinfo_path, "rb") as table:
                data = table.read()
        except OSError as error:
            self.error = (
                f"The mount table {self.mountinfo_path} cannot be read ({error.strerror}), so "
                "mounted shares cannot be listed; this needs Linux."
            )
            self.log.error("capella-share: %s", self.error)
            if self._shares:
                self.log.error("capella-share: keeping the shares last read from it")
            return list(self._shares.values())
        mounts, skipped = parse_mountinfo(data)
        if skipped and skipped != self._skipped:  # said once, not at every reading
            self.log.warning(
                "capella-share: %d line(s) of %s are not mounts and were ignored",
                skipped,
                self.mountinfo_path,
            )
        self._skipped = skipped
        self.error = None
        return self.shares_of(visible_mounts(mounts))

    def shares_of(self, mounts: list[Mount]) -> list[Share]:
        """The shares among ``mounts``: the folders mounted at ``mount_depth`` below
        ``shares_root``. A mount at ``shares_root`` itself, or anywhere else, is not one."""
        shares: list[Share] = []
        for mount in mounts:
            point = mount.mount_point
            if point == self.shares_root or not is_within(point, self.shares_root):
                continue
            parts = os.path.relpath(point, self.shares_root).split(os.sep)
            if len(parts) != self.mount_depth:
                continue
            share = self._share(parts, point, mount.read_only)
            if share is not None:
                shares.append(share)
        return shares

    def _share(self, parts: list[str], point: str, read_only: bool) -> Share | None:
        try:
            path = os.path.relpath(point, self.root_dir).replace(os.sep, "/")
            path.encode("utf-8")
        except UnicodeEncodeError:
            self.log.warning(
                "capella-share: the mount %r is not a share: its name is not UTF-8 text",
                point,
            )
            return None
        if not os.path.isdir(point):
            return None  # a file mounted in place of one (a configuration file…)
        project, model = parts[0], parts[-1]
        return Share(
            project=project,
            model=model,
            path=path,
            permission=READ_ONLY if read_only else READ_WRITE,
            project_name=project,
            model_name=model,
        )

    def get_share(self, project: str, model: str) -> Share:
        # The names are the folders' as mounted, slugs or not: look them up as they are.
        self.refresh()
        share = self._shares.get(f"{project}/{model}")
        if share is None:
            raise ShareError(
                404,
                f"There is no share {project}/{model}: no volume is mounted there "
                f"(mounts at depth {self.mount_depth} under "
                f"{self.shares_root_path or 'the root folder'!r} are shares).",
            )
        return share


__all__ = [
    "MOUNTINFO",
    "Mount",
    "MountShareProvider",
    "mount_points_within",
    "parse_mountinfo",
    "read_mount_table",
    "visible_mounts",
]
