"""Who did what through each link: the :class:`ActivityTrail` records it.

Records are made by the server itself, at the few places every guest action
passes: the identity provider (a guest arrives), the session socket (it leaves),
the route guard (a refusal, a download, a kernel interrupted), the contents
manager (files read and written), the RTC guard (documents opened and edited
live), the process manager (kernels started, code run, terminals opened) and
the link manager (links made and ended, with what ending them ended). Nothing a
client sends is taken for a record: events posted to the server's event bus
under our schema are refused (:mod:`capella_share.events`).

Every record goes to the append-only, hash-chained file of :mod:`.trail`, then
to the server's event bus (``jupyter_events``, our activity schema), where a
platform's handlers ship it on and the owner's Lab follows it live. Guests never
receive it. A record holds no file content, token, cookie or kernel output: what
a guest typed is reduced to a hash and a first line, and every text is passed
through the server's secret filter before it is stored.

When the trail cannot be written (its folder, a full disk), guests are refused
until it can again: the records waiting are written first, then the gate opens.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import os
import re
import time
import typing as t
from dataclasses import dataclass
from datetime import datetime, timezone

from tornado.ioloop import IOLoop
from traitlets import Int
from traitlets.config import LoggingConfigurable

from .. import upstream
from ..links import HubGrant
from ..policy import Principal
from .trail import TrailError, TrailWriter, iso_ms, records_backwards, stored_backwards

if t.TYPE_CHECKING:
    from ..gate import GuestGate
    from ..links import Access, LinkManager
    from ..redact import SecretRedactor

#: The gate's key for "the trail cannot be written".
GATE_KEY = "activity"
#: What stands in a record where a secret was.
SECRET_MARKER = b"[secret]"
#: The longest first line of code kept.
FIRST_LINE = 120
#: Fields cut to a length once their secrets are out: however long what a guest
#: sends (a path, a request's URL), no record grows past a few KiB.
SHORTENED = {
    "code_first_line": FIRST_LINE,
    "path": 1024,
    "to": 1024,
    "from": 1024,
    "what": 512,
    "reason": 512,
    "name": 200,
    "label": 200,
    "address": 64,
}
#: The longest text looked through for secrets (far longer than any kept).
LONGEST_TEXT = 4096
#: How many other trail folders are tried when one is in use by another server.
SLOTS = 9
#: Seconds between attempts to write records the disk refused.
RETRY_SECONDS = 5.0
#: The most records kept waiting while the disk refuses them.
MAX_WAITING = 10_000
#: The most documents whose live editors are remembered until their next save.
MAX_DOCUMENTS = 10_000

Record = dict[str, t.Any]


def now_iso() -> str:
    """The time now, as records carry it: ISO 8601, UTC, milliseconds."""
    return iso_ms(datetime.now(timezone.utc))


def code_summary(code: str) -> dict[str, str]:
    """What a record keeps of code a guest sent: its SHA-256 and its first line
    that is not blank (cut to FIRST_LINE characters once the record's secrets are
    out: a token cut in two would no longer be recognised)."""
    first = next((line.strip() for line in code.splitlines() if line.strip()), "")
    return {
        "code_sha256": hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest(),
        "code_first_line": first[:LONGEST_TEXT],
    }


def _shortened(record: Record) -> Record:
    """``record`` with its texts cut to their lengths (after its secrets are out)."""
    for field, longest in SHORTENED.items():
        value = record.get(field)
        if isinstance(value, str) and len(value) > longest:
            record[field] = value[: longest - 1] + "…"
    return record


def slot_name(environ: t.Mapping[str, str]) -> str:
    """The trail folder's name for this server: under JupyterHub its user and
    server name (several servers of one user share a home), else "server"."""
    hub = upstream.hub_server(environ)
    if hub is None or not hub[0]:
        return "server"
    user, server = hub
    return re.sub(r"[^A-Za-z0-9_.-]", "-", f"hub-{user}-{server or 'default'}")


def _texts(value: t.Any) -> t.Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def _cut(value: t.Any, redactor: SecretRedactor) -> t.Any:
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        return redactor.cut(data, marker=SECRET_MARKER).decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_cut(key, redactor): _cut(item, redactor) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_cut(item, redactor) for item in value]
    return value


@dataclass
class _Presence:
    """A guest the trail has seen arrive and not yet leave."""

    name: str
    sessions: int = 0


@dataclass
class _Refusals:
    """A guest's refusals in the current minute."""

    since: float
    count: int = 0
    suppressed: int = 0


class ActivityTrail(LoggingConfigurable):
    """The trail of this server: what it records, where, and what it answers."""

    rotate_bytes = Int(
        10 * 1024 * 1024,
        help="The size in bytes past which the trail's file is rotated (a new one begun).",
    )
    keep_files = Int(
        0, help="How many rotated files are kept (the oldest removed past it); 0 keeps every one."
    )
    memory = Int(10_000, help="How many of the latest records are kept in memory to answer from.")
    refusals_per_minute = Int(
        60,
        help="""The most refusals recorded per guest and minute; past it they are
        counted, and the count is recorded once the minute is over.""",
    )

    def __init__(
        self,
        base_dir: str,
        links: LinkManager,
        gate: GuestGate | None = None,
        redactor: SecretRedactor | None = None,
        emit: t.Callable[[Record], None] | None = None,
        slot: str = "server",
        **kwargs: t.Any,
    ):
        super().__init__(**kwargs)
        self.base_dir = base_dir
        self.links = links
        self.gate = gate
        self.redactor = redactor
        self.emit = emit
        self.slot = slot
        self.folder = ""
        self.writer: TrailWriter | None = None
        #: why records cannot be written now ("" when they can)
        self.problem = ""
        self._waiting: list[Record] = []
        self._retry: object | None = None
        #: (seq, line) of the latest records, oldest first: lines, not dicts, so
        #: that they cost little memory and nothing to the garbage collector
        self._recent: collections.deque[tuple[int, bytes]] = collections.deque()
        self._present: dict[tuple[str, str], _Presence] = {}
        self._refusals: dict[tuple[str, str], _Refusals] = {}
        #: file id -> who edited the document live since it was last saved -> updates
        self._editors: dict[str, dict[tuple[str, ...], int]] = {}
        #: records stored but not yet on the event bus (see _send_events)
        self._unsent: list[Record] = []
        #: resolves a contents path to the file id of its live document (set by the app)
        self.file_id_of: t.Callable[[str], str | None] = lambda path: None
        links.on_create(self.link_created)
        links.on_ended(self.link_ended)

    # -- opening and closing ---------------------------------------------------------------
    def open(self) -> None:
        """Take a trail folder (the first that no other server writes in) and go on
        from its last record; if none can be written, close the gate and say why."""
        problem = ""
        for index in range(1, SLOTS + 2):
            name = self.slot if index == 1 else f"{self.slot}-{index}"
            writer = TrailWriter(
                os.path.join(self.base_dir, name), self.rotate_bytes, self.keep_files
            )
            try:
                writer.open()
            except TrailError as error:
                problem = str(error.strerror or error)
                if "another process" in problem:
                    continue
                break
            self.writer, self.folder = writer, writer.folder
            self._load_recent()
            self.log.info("capella-share: the activity trail is written to %s", self.folder)
            return
        self._fail(f"the activity trail cannot be written ({problem})")

    def _load_recent(self) -> None:
        recent: list[tuple[int, bytes]] = []
        for record, line in stored_backwards(self.folder):
            recent.append((record["seq"], line))
            if len(recent) >= self.memory:
                break
        self._recent = collections.deque(reversed(recent), maxlen=max(1, self.memory))

    def close(self) -> None:
        self._send_events()
        if self._retry is not None:
            IOLoop.current().remove_timeout(self._retry)
            self._retry = None
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # -- recording ---------------------------------------------------------------------------
    def record(self, action: str, actor: Record | None = None, **fields: t.Any) -> None:
        """Store a record of ``action`` by ``actor`` (see :meth:`actor`); fields
        that are None are left out."""
        if self.writer is None and not self.problem:
            return  # the trail is off
        record: Record = {"at": now_iso(), "action": action, **(actor or {})}
        record.update((key, value) for key, value in fields.items() if value is not None)
        self._waiting.append(_shortened(self._clean(record)))
        if len(self._waiting) > MAX_WAITING:
            del self._waiting[0]
            self.log.error(
                "capella-share: an activity record was lost: the trail cannot be written"
            )
        self._write_waiting()

    def _write_waiting(self) -> None:
        if self.writer is None:
            return
        while self._waiting:
            try:
                stored = self.writer.append(self._waiting[0])
            except OSError as error:
                self._fail(f"the activity trail cannot be written ({error})")
                return
            del self._waiting[0]
            self._stored(stored)
        if self.problem:
            self.problem = ""
            self.log.info("capella-share: the activity trail is written again")
            if self.gate is not None:
                self.gate.open(GATE_KEY)

    def _stored(self, record: Record) -> None:
        assert self.writer is not None
        self._recent.append((record["seq"], self.writer.last_line))
        if self.emit is not None:
            self._unsent.append(record)
            if len(self._unsent) == 1:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:  # no loop (a script): at once
                    self._send_events()
                else:
                    loop.call_soon(self._send_events)

    def _send_events(self) -> None:
        """Put the records stored since the last call on the event bus, once the
        request that made them has had its turn: the bus checks every event
        against its schema, which costs more than writing the record, and the
        guest's answer need not wait for it (the file has the record already)."""
        unsent, self._unsent = self._unsent, []
        for record in unsent:
            try:
                self.emit(record)  # type:ignore[misc]
            except Exception:  # the file has it: a broken event handler costs no record
                self.log.exception("capella-share: an activity event could not be emitted")

    def _fail(self, reason: str) -> None:
        """Guests are refused until records can be written again."""
        if reason != self.problem:
            self.log.error("capella-share: %s; guests are refused until it can", reason)
        self.problem = reason
        if self.gate is not None:
            self.gate.close(
                GATE_KEY,
                f"Guest access is off: {reason}, and what guests do must be recorded. "
                "Free the disk or fix the folder (CapellaShareApp.activity_dir).",
            )
        if self._retry is None and self.writer is not None:
            self._retry = IOLoop.current().call_later(RETRY_SECONDS, self._retry_waiting)

    def _retry_waiting(self) -> None:
        self._retry = None
        self._write_waiting()

    def _clean(self, record: Record) -> Record:
        """``record`` with every secret cut out of its texts (looked for once in
        all of them together: a record seldom holds one)."""
        if self.redactor is None:
            return record
        texts = "\n".join(_texts(record)).encode("utf-8", "surrogatepass")
        if not self.redactor.holds_secret(texts):
            return record
        return t.cast(Record, _cut(record, self.redactor))

    # -- who -------------------------------------------------------------------------------
    def actor(self, principal: Principal, name: str | None = None) -> Record:
        """The fields that say who acted: a guest's link, user name, display name
        and level; for the owner, its level only."""
        if principal.is_owner:
            return {"level": "owner"}
        user = principal.username
        if name is None:
            presence = self._present.get((principal.link_id or "", user))
            name = presence.name if presence is not None else user
        return {
            "link": principal.link_id,
            "user": user,
            "name": name,
            "level": principal.level.value,
        }

    def guest(
        self, principal: Principal, action: str, name: str | None = None, **fields: t.Any
    ) -> None:
        """Record ``action`` by a guest (nothing for the owner: the trail is the guests')."""
        if not principal.is_owner:
            self.record(action, self.actor(principal, name), **fields)

    # -- arrivals and departures -----------------------------------------------------------
    def seen(self, principal: Principal, name: str, address: str) -> None:
        """A guest's request was authenticated: recorded as its arrival the first
        time, or the first time after it left."""
        key = (principal.link_id or "", principal.username)
        presence = self._present.get(key)
        if presence is not None:
            presence.name = name
            return
        self._present[key] = _Presence(name)
        link = self.links.get(principal.link_id) if principal.link_id else None
        self.record(
            "guest.arrived",
            self.actor(principal, name),
            label=(link.label or None) if link is not None else None,
            grantee=link.grantee if isinstance(link, HubGrant) else None,
            address=address or None,
        )

    def session_opened(self, principal: Principal, name: str) -> None:
        """A guest's Lab opened its line to the session (``session/ws``)."""
        key = (principal.link_id or "", principal.username)
        presence = self._present.get(key)
        if presence is None:
            presence = self._present[key] = _Presence(name)
        presence.sessions += 1

    def session_closed(self, principal: Principal) -> None:
        """A guest's line to the session closed: it left once its last one has
        (while its link lives: an ended link records its guests' departure)."""
        key = (principal.link_id or "", principal.username)
        presence = self._present.get(key)
        if presence is None:
            return
        presence.sessions -= 1
        if (
            presence.sessions > 0
            or not principal.link_id
            or self.links.get(principal.link_id) is None
        ):
            return
        self._leave(key, principal, "closed")

    def logged_out(self, principal: Principal) -> None:
        key = (principal.link_id or "", principal.username)
        if key in self._present:
            self._leave(key, principal, "logged-out")

    def _leave(self, key: tuple[str, str], principal: Principal, why: str) -> None:
        presence = self._present.pop(key)
        self.record("guest.left", self.actor(principal, presence.name), why=why)

    # -- refusals --------------------------------------------------------------------------
    def refused(
        self,
        principal: Principal,
        what: str,
        reason: str,
        name: str | None = None,
        status: int = 403,
        **fields: t.Any,
    ) -> None:
        """A guest was refused ``what`` (a request's verb and path, or an action);
        at most ``refusals_per_minute`` a guest are recorded one by one."""
        if principal.is_owner:
            return
        key = (principal.link_id or "", principal.username)
        now = time.monotonic()
        window = self._refusals.get(key)
        if window is None or now - window.since >= 60:
            if window is not None:
                self._suppressed(key, principal, window)
            window = self._refusals[key] = _Refusals(now)
        window.count += 1
        if window.count > self.refusals_per_minute:
            window.suppressed += 1
            return
        self.guest(principal, "refused", name, what=what, reason=reason, status=status, **fields)

    def _suppressed(self, key: tuple[str, str], principal: Principal, window: _Refusals) -> None:
        if window.suppressed:
            self.guest(
                principal,
                "refused",
                suppressed=window.suppressed,
                reason=f"{window.suppressed} more refusals in a minute, not recorded one by one",
                status=403,
            )
            window.suppressed = 0

    # -- links -----------------------------------------------------------------------------
    def link_created(self, link: Access) -> None:
        fields: Record = {"link": link.id, "permission": link.permission}
        fields["scope"] = link.scope or None
        if isinstance(link, HubGrant):
            self.record("grant.create", {"level": "owner"}, **fields, grantee=link.grantee)
            return
        self.record(
            "link.create",
            {"level": "owner"},
            **fields,
            label=link.label or None,
            path=link.path or None,
            expires_at=iso_ms(link.expires_at) if link.expires_at else None,
        )

    def link_ended(self, link: Access, reason: str, by: str, ended: Record) -> None:
        """A link ended: what ending it ended, then each of its guests' departure."""
        actor = {"level": "owner"} if by == "owner" else {}
        grantee = link.grantee if isinstance(link, HubGrant) else None
        self.record(
            "grant.end" if grantee else "link.end",
            actor,
            link=link.id,
            reason=reason,
            by=by or None,
            grantee=grantee,
            ended=ended or None,
        )
        for key in [key for key in self._refusals if key[0] == link.id]:
            window = self._refusals.pop(key)
            level = Principal(link.level, key[1], link.id)
            self._suppressed(key, level, window)
        for key in [key for key in self._present if key[0] == link.id]:
            self._leave(key, Principal(link.level, key[1], link.id), reason)

    def owner(self, action: str, **fields: t.Any) -> None:
        """Record something the owner did to project shares (links and grants are
        recorded by :meth:`link_created` and :meth:`link_ended`)."""
        self.record(action, {"level": "owner"}, **fields)

    # -- documents edited live ---------------------------------------------------------------
    def live_edit(self, file_id: str, principal: Principal, name: str) -> None:
        """Someone's change to a live document went into its room."""
        key = (
            ("owner",)
            if principal.is_owner
            else (principal.link_id or "", principal.username, name, principal.level.value)
        )
        editors = self._editors.get(file_id)
        if editors is None:
            if principal.is_owner:
                return  # the owner's own work: recorded only beside a guest's
            while len(self._editors) >= MAX_DOCUMENTS:
                del self._editors[next(iter(self._editors))]
            editors = self._editors[file_id] = {}
        editors[key] = editors.get(key, 0) + 1

    def live_saved(self, path: str) -> None:
        """A document's room saved it to ``path``: a save by each guest whose
        changes went in since the last one, naming who else wrote."""
        if not self._editors:
            return
        file_id = self.file_id_of(path)
        editors = self._editors.pop(file_id, None) if file_id is not None else None
        if not editors:
            return
        names = {key: ("owner" if key == ("owner",) else key[2]) for key in editors}
        for key, updates in editors.items():
            if key == ("owner",):
                continue
            link, user, name, level = key
            self.record(
                "file.save",
                {"link": link, "user": user, "name": name, "level": level},
                path=path,
                via="rtc",
                updates=updates,
                coauthors=sorted(names[other] for other in editors if other != key) or None,
            )

    # -- reading the trail -------------------------------------------------------------------
    def _matches(self, record: Record, link: str | None) -> bool:
        return link is None or record.get("link") == link

    def latest(self, count: int = 100) -> list[Record]:
        """The latest ``count`` records, oldest first."""
        return [json.loads(line) for _, line in list(self._recent)[-count:]]

    async def search(
        self,
        link: str | None = None,
        since: str | None = None,
        before: int | None = None,
        limit: int = 100,
        after: int | None = None,
    ) -> tuple[list[Record], int | None]:
        """The records (newest first) of ``link`` (every link's and the owner's
        when None), made at or after ``since`` (as records write their time), with
        a ``seq`` lower than ``before`` and above ``after``; at most ``limit``.
        With them, the ``before`` of the next page, or None when there is none
        (always None with ``after``: what follows is asked for again)."""
        found: list[Record] = []
        oldest_in_memory: int | None = None
        needle = b'"link":' + json.dumps(link).encode() if link is not None else b""
        for seq, line in reversed(self._recent):
            oldest_in_memory = seq
            if after is not None and seq <= after:
                return found, None
            if before is not None and seq >= before:
                continue
            if needle not in line:
                continue
            record = json.loads(line)
            if since is not None and str(record.get("at", "")) < since:
                return found, None
            if self._matches(record, link):
                if len(found) == limit:
                    return found, None if after is not None else found[-1]["seq"]
                found.append(record)
        if (oldest_in_memory is not None and oldest_in_memory <= 1) or not self.folder:
            return found, None
        if after is not None and oldest_in_memory is not None and oldest_in_memory <= after + 1:
            return found, None
        # older than what memory holds: read the files, off the event loop
        if oldest_in_memory is not None:
            before = oldest_in_memory if before is None else min(before, oldest_in_memory)
        return await asyncio.get_running_loop().run_in_executor(
            None, self._search_files, found, link, since, before, limit, after
        )

    def _search_files(
        self,
        found: list[Record],
        link: str | None,
        since: str | None,
        before: int | None,
        limit: int,
        after: int | None = None,
    ) -> tuple[list[Record], int | None]:
        for record in records_backwards(self.folder, before):
            if after is not None and record["seq"] <= after:
                return found, None
            if since is not None and str(record.get("at", "")) < since:
                return found, None
            if self._matches(record, link):
                if len(found) == limit:
                    return found, None if after is not None else found[-1]["seq"]
                found.append(record)
        return found, None

    def records_after(self, seq: int, limit: int) -> list[Record]:
        """Up to ``limit`` records whose ``seq`` is above ``seq``, oldest first,
        from memory when it reaches back that far, else from the files."""
        if self._recent and self._recent[0][0] <= seq + 1:
            lines = [line for number, line in self._recent if number > seq][:limit]
            return [json.loads(line) for line in lines]
        older: list[Record] = []
        for record in records_backwards(self.folder):
            if record["seq"] <= seq:
                break
            older.append(record)
        return list(reversed(older))[:limit]
