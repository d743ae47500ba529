"""The activity trail on disk: append-only JSON lines, hash-chained, rotated by size.

One record a line, its keys sorted (its hash last), written with a single ``write`` to a file
opened for appending. Each record holds a sequence number (``seq``, one more
than the record before, across files and restarts) and ``hash``: the SHA-256 of
the hash before it and of the record's own canonical JSON without ``hash``. A
line removed breaks the sequence and the next record's hash; a line changed
breaks its own. The first record of each file also names the hash it continues
from (``prev``), so that a file can be checked once older ones are gone.

``activity.jsonl`` is written; when it has grown past the rotation size it is
renamed ``activity-<seq of its first record>.jsonl`` and a new one begins, so
the names sort in the order the records were made.

This module knows nothing of Jupyter: the command line reads and verifies a
trail with it alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import typing as t
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

try:
    import fcntl
except ImportError:  # not on Linux or macOS: one writer is assumed
    fcntl = None  # type:ignore[assignment]

#: The hash a trail's first record continues from.
GENESIS = "0" * 64
CURRENT = "activity.jsonl"
_ROTATED = re.compile(r"^activity-(\d{12,})\.jsonl$")
LOCK = ".lock"
#: How much of a file is read at a time when reading it from its end.
_BLOCK = 64 * 1024


class TrailError(OSError):
    """The trail cannot be written (its folder, its lock, the disk)."""


def iso_ms(moment: datetime) -> str:
    """A time as records carry it: ISO 8601, UTC, milliseconds, with a Z."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_time(value: str) -> str:
    """A time someone gave (ISO 8601, UTC when it names no zone) as records carry
    it, to compare with their ``at``. ValueError if it is not such a time,
    OverflowError if it is one no record can carry."""
    text = value.strip()
    if text[-1:] in ("Z", "z"):  # Python 3.10 reads no Z
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return iso_ms(moment)
    except (OverflowError, ValueError):
        raise OverflowError(f"out of range: {value!r}") from None


def canonical(record: t.Mapping[str, t.Any]) -> bytes:
    """The bytes a record is hashed and stored as: JSON, keys sorted, no spaces."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def chained(previous: str, body: bytes) -> str:
    """The hash of a record whose canonical JSON without ``hash`` is ``body``."""
    return hashlib.sha256(previous.encode("ascii") + b"\n" + body).hexdigest()


def trail_files(folder: str) -> list[str]:
    """The trail's files in ``folder``, oldest first (the one being written last)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    rotated = sorted(
        (int(match.group(1)), name) for name in names if (match := _ROTATED.match(name))
    )
    files = [os.path.join(folder, name) for _, name in rotated]
    if CURRENT in names:
        files.append(os.path.join(folder, CURRENT))
    return files


def lines_backwards(path: str) -> Iterator[bytes]:
    """The complete lines of a file, last first (a last line still being written,
    without its newline, is left out)."""
    with open(path, "rb") as file:
        position = file.seek(0, os.SEEK_END)
        carry = b""
        trimmed = False
        while position > 0:
            start = max(0, position - _BLOCK)
            file.seek(start)
            parts = (file.read(position - start) + carry).split(b"\n")
            position = start
            if not trimmed:
                parts[-1] = b""  # after the last newline: nothing, or a line being written
                trimmed = True
            # the first part may begin in the block before
            carry, complete = (parts[0], parts[1:]) if start > 0 else (b"", parts)
            yield from (line for line in reversed(complete) if line)


def lines_forwards(path: str) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a file's complete lines, first first."""
    with open(path, "rb") as file:
        for number, line in enumerate(file, 1):
            if line.endswith(b"\n"):
                yield number, line[:-1]


def parse(line: bytes) -> dict[str, t.Any] | None:
    """A stored record, or None for a line that is not one."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
        return None
    if not isinstance(record.get("hash"), str):
        return None
    return record


def stored_backwards(folder: str) -> Iterator[tuple[dict[str, t.Any], bytes]]:
    """(record, its line) of the trail in ``folder``, newest first."""
    for path in reversed(trail_files(folder)):
        try:
            for line in lines_backwards(path):
                record = parse(line)
                if record is not None:
                    yield record, line
        except FileNotFoundError:  # rotated away meanwhile: read under its new name
            continue


def records_backwards(folder: str, before: int | None = None) -> Iterator[dict[str, t.Any]]:
    """The records of the trail in ``folder``, newest first; with ``before``, only
    those whose ``seq`` is lower. Unreadable lines are skipped (``verify`` says so)."""
    for path in reversed(trail_files(folder)):
        try:
            for line in lines_backwards(path):
                record = parse(line)
                if record is not None and (before is None or record["seq"] < before):
                    yield record
        except FileNotFoundError:  # rotated away meanwhile: read under its new name
            continue


def records_forwards(folder: str) -> Iterator[dict[str, t.Any]]:
    """The records of the trail in ``folder``, oldest first."""
    for path in trail_files(folder):
        with contextlib.suppress(FileNotFoundError):
            for _, line in lines_forwards(path):
                record = parse(line)
                if record is not None:
                    yield record


class TrailWriter:
    """Appends records to the trail in one folder, the only writer there (a lock
    held while it is open says so to any other)."""

    def __init__(self, folder: str, rotate_bytes: int, keep_files: int = 0):
        self.folder = folder
        self.rotate_bytes = rotate_bytes
        self.keep_files = keep_files
        self.last_seq = 0
        self.last_hash = GENESIS
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._size = 0
        self._first_seq = 0  # of the file being written (0: it is empty)
        #: the line of the record last appended (without its newline)
        self.last_line = b""

    # -- opening -----------------------------------------------------------------------
    def open(self) -> None:
        """Take the folder (made private if new) and continue its trail.
        TrailError if another process writes there, or it cannot be written."""
        try:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            self._lock_fd = os.open(os.path.join(self.folder, LOCK), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise TrailError(
                error.errno, f"cannot write in {self.folder}: {error.strerror}"
            ) from None
        if fcntl is not None:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._close_lock()
                raise TrailError(0, f"another process writes the trail in {self.folder}") from None
        try:
            self._resume()
            self._open_current()
        except OSError as error:
            self.close()
            raise TrailError(error.errno, f"cannot write in {self.folder}: {error}") from None

    def _resume(self) -> None:
        """Find the last record, to go on from its seq and hash."""
        for path in reversed(trail_files(self.folder)):
            for line in lines_backwards(path):
                record = parse(line)
                if record is not None:
                    self.last_seq, self.last_hash = record["seq"], record["hash"]
                    return

    def _open_current(self) -> None:
        path = os.path.join(self.folder, CURRENT)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._size = os.fstat(self._fd).st_size
        self._first_seq = 0
        if self._size:
            with open(path, "rb") as file:
                first = parse(file.readline().rstrip(b"\n"))
            self._first_seq = first["seq"] if first else self.last_seq + 1
            with open(path, "rb") as file:
                file.seek(self._size - 1)
                if file.read(1) != b"\n":
                    # a line cut short (the server was killed as it wrote): the next
                    # record starts on a line of its own, and verify reports this one
                    os.write(self._fd, b"\n")
                    self._size += 1

    # -- writing -----------------------------------------------------------------------
    def append(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Store ``record`` (JSON values only, no ``seq``/``hash``/``prev``) as the
        next one; return it as stored. OSError if the disk refuses."""
        if self._lock_fd is None:
            raise TrailError(0, "the trail is closed")
        if self._fd is None:
            self._open_current()  # its last rotation could not open a new file
        assert self._fd is not None
        stored = {**record, "seq": self.last_seq + 1}
        if self._size == 0:
            stored["prev"] = self.last_hash
        body = canonical(stored)
        digest = chained(self.last_hash, body)
        stored["hash"] = digest
        # the hash goes last: checking a line takes it out and sorts the rest again
        line = body[:-1] + b',"hash":"' + digest.encode("ascii") + b'"}\n'
        written = os.write(self._fd, line)
        if written != len(line):  # a full disk may take part of it
            raise OSError(28, "the disk took only part of a record")
        self.last_seq, self.last_hash = stored["seq"], digest
        self.last_line = line[:-1]
        if self._size == 0:
            self._first_seq = stored["seq"]
        self._size += written
        if self._size >= self.rotate_bytes:
            # the record is written: a rotation that fails is tried again after the next
            with contextlib.suppress(OSError):
                self._rotate()
        return stored

    def _rotate(self) -> None:
        assert self._fd is not None
        current = os.path.join(self.folder, CURRENT)
        # renamed while open: what is written meanwhile goes into the file set aside
        os.rename(current, os.path.join(self.folder, f"activity-{self._first_seq:012d}.jsonl"))
        os.close(self._fd)
        self._fd = None
        self._open_current()
        if self.keep_files > 0:
            rotated = trail_files(self.folder)[:-1]
            for old in rotated[: max(0, len(rotated) - self.keep_files)]:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(old)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._close_lock()

    def _close_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None


# -- checking a trail ----------------------------------------------------------------------
@dataclass
class Verdict:
    """What ``verify`` found in a trail."""

    folder: str
    records: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(folder: str) -> Verdict:
    """Check every record of the trail in ``folder``: each line a record, the
    sequence without gaps, each hash what the record and the one before make.

    A trail may begin after record 1 only where a file begins (older files were
    removed, as ``keep_files`` does): that is noted, not a problem. Records
    removed from the end of the newest file leave no trace here; the copies sent
    as events (with their ``seq`` and ``hash``) show them."""
    verdict = Verdict(folder)
    previous: str | None = None
    expected: int | None = None
    files = trail_files(folder)
    if not files:
        verdict.problems.append(f"no trail in {folder}")
    for path in files:
        name = os.path.basename(path)
        for number, line in lines_forwards(path):
            where = f"{name} line {number}"
            record = parse(line)
            if record is None:
                verdict.problems.append(f"{where}: not a record of the trail (changed or cut)")
                continue
            verdict.records += 1
            seq, stored = record["seq"], record.pop("hash")
            gap = False
            if verdict.first_seq is None:
                verdict.first_seq = seq
                if seq == 1:
                    previous = GENESIS
                elif "prev" in record:
                    previous = str(record["prev"])
                    verdict.notes.append(
                        f"the trail begins at record {seq}: the files before {name} were removed"
                    )
                else:
                    verdict.problems.append(f"{where}: records 1 to {seq - 1} are missing")
            elif seq != expected:
                gap = True
                verdict.problems.append(
                    f"{where}: records {expected} to {seq - 1} are missing (removed)"
                    if expected is not None and seq > expected
                    else f"{where}: record {seq} comes after record {(expected or 1) - 1}"
                )
            if "prev" in record and previous is not None and record["prev"] != previous:
                verdict.problems.append(
                    f"{where}: continues from another record than the one before"
                )
            if not gap and previous is not None and chained(previous, canonical(record)) != stored:
                verdict.problems.append(
                    f"{where}: record {seq} does not match its hash (changed, or the record "
                    "before it was removed or changed)"
                )
            previous, expected, verdict.last_seq = stored, seq + 1, seq
        if not _ends_with_newline(path):
            verdict.problems.append(f"{name}: its last line is cut short")
    return verdict


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        if not size:
            return True
        file.seek(size - 1)
        return file.read(1) == b"\n"
