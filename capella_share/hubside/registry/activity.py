"""The activity trails servers send to the registry, kept per project.

A single-user server may send its trail's records (``CapellaShareApp.
activity_to_registry``), asking as its owner with its own token. Each record
whose file lies in a project's share names that project; the registry keeps the
project only if the owner is a member of it, so nobody can put records into a
project that is not theirs. Records are kept as sent (with their ``seq`` and
``hash``: a copy to check a server's file against) and never changed; one sent
twice is kept once.

Who reads what: a project's managers (and hub admins) its records; a user the
records of their own servers.
"""

from __future__ import annotations

import datetime
import json
import re
import typing as t

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from ...linktoken import LINK_ID_RE
from .store import Base, HubUser, Project, RegistryError, RegistryStore

#: The most records one request may send, and one page may hold.
MAX_BATCH = 500
MAX_PAGE = 1000
#: The largest record kept, as JSON.
MAX_RECORD = 16 * 1024
_HASH = re.compile(r"^[0-9a-f]{64}$")
_SERVER = re.compile(r"^[^\s/]{1,255}/[^\s/]{0,255}$")


class ActivityRow(Base):
    __tablename__ = "activity"
    __table_args__ = (UniqueConstraint("server", "hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: "<owner>/<server name>" ("alice/" for the default server)
    server: Mapped[str] = mapped_column(String(512), index=True)
    project: Mapped[str | None] = mapped_column(String(63), index=True, nullable=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(40))
    link: Mapped[str | None] = mapped_column(String(12), nullable=True)
    hash: Mapped[str] = mapped_column(String(64))
    record: Mapped[str] = mapped_column(Text)


def _moment(value: t.Any) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value if isinstance(value, str) else "")
    except ValueError:
        raise RegistryError(400, f"A record's time is not ISO 8601: {value!r}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    try:
        moment = moment.astimezone(datetime.timezone.utc)
    except OverflowError:
        moment = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
    if not 2000 <= moment.year <= 9999:
        raise RegistryError(400, f"A record's time is out of range: {value!r}.")
    return moment


def _checked(record: t.Any) -> dict[str, t.Any]:
    """A record as a server writes it, or a 400 naming what is wrong."""
    if not isinstance(record, dict):
        raise RegistryError(400, "Each record must be a JSON object.")
    seq, digest, action = record.get("seq"), record.get("hash"), record.get("action")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq < 2**31:
        raise RegistryError(400, "A record's seq must be a whole number from 1.")
    if not isinstance(digest, str) or not _HASH.match(digest):
        raise RegistryError(400, "A record's hash must be 64 hexadecimal digits.")
    if not isinstance(action, str) or not 1 <= len(action) <= 40:
        raise RegistryError(400, "A record's action must be a name of at most 40 characters.")
    link = record.get("link")
    if link is not None and (not isinstance(link, str) or not LINK_ID_RE.match(link)):
        raise RegistryError(400, "A record's link must be a link id (12 hexadecimal digits).")
    _moment(record.get("at"))
    if len(json.dumps(record)) > MAX_RECORD:
        raise RegistryError(413, f"A record is larger than {MAX_RECORD} bytes.")
    return record


class ActivityLog:
    """The registry's copy of servers' activity trails."""

    def __init__(self, store: RegistryStore):
        self.store = store
        # a database made before the registry kept activity gets the table now
        ActivityRow.__table__.create(store.engine, checkfirst=True)  # type: ignore[attr-defined]

    def add(self, who: HubUser, server: t.Any, records: t.Any) -> dict[str, int]:
        """Keep the records a server of ``who`` sent (each with the project it
        names, kept only where ``who`` is a member); how many were new."""
        if not isinstance(server, str) or not _SERVER.match(server):
            raise RegistryError(400, 'server must be "<user>/<server name>".')
        if server.split("/", 1)[0] != who.name:
            raise RegistryError(403, "A server may only send the trail of its own owner's servers.")
        if not isinstance(records, list) or not 1 <= len(records) <= MAX_BATCH:
            raise RegistryError(400, f"records must be a list of 1 to {MAX_BATCH} records.")
        checked = [_checked(record) for record in records]
        with self.store.sessions.begin() as db:
            roles = self.store.roles_of(db, who.name, who.groups)
            member_of = set(
                db.scalars(select(Project.slug).where(Project.id.in_(sorted(roles)))).all()
            )
            hashes = [record["hash"] for record in checked]
            known = set(
                db.scalars(
                    select(ActivityRow.hash).where(
                        ActivityRow.server == server, ActivityRow.hash.in_(hashes)
                    )
                ).all()
            )
            added = 0
            for record in checked:
                if record["hash"] in known:
                    continue
                known.add(record["hash"])
                project = record.get("project")
                if not isinstance(project, str) or project not in member_of:
                    project = None
                stored = {key: value for key, value in record.items() if key != "project"}
                db.add(
                    ActivityRow(
                        server=server,
                        project=project,
                        seq=record["seq"],
                        at=_moment(record.get("at")),
                        action=record["action"],
                        link=record.get("link"),
                        hash=record["hash"],
                        record=json.dumps(stored, sort_keys=True),
                    )
                )
                added += 1
        return {"received": len(checked), "added": added}

    def read(
        self,
        who: HubUser,
        project: t.Any = None,
        server: t.Any = None,
        before: int | None = None,
        limit: int = 100,
    ) -> dict[str, t.Any]:
        """Newest first: a project's records (its managers, admins), a server's
        (its owner, admins), or every record of one's own servers."""
        with self.store.sessions() as db:
            query = select(ActivityRow).order_by(ActivityRow.id.desc())
            if project is not None:
                self.store.check_manager(who, project, "read its activity", db)
                query = query.where(ActivityRow.project == project)
            if server is not None:
                if not isinstance(server, str) or not _SERVER.match(server):
                    raise RegistryError(400, 'server must be "<user>/<server name>".')
                if server.split("/", 1)[0] != who.name and not who.admin and project is None:
                    raise RegistryError(
                        403, "Only a server's owner and hub admins may read its activity."
                    )
                query = query.where(ActivityRow.server == server)
            if project is None and server is None:
                query = query.where(ActivityRow.server.startswith(who.name + "/", autoescape=True))
            if before is not None:
                query = query.where(ActivityRow.id < before)
            rows = db.scalars(query.limit(limit + 1)).all()
            more = len(rows) > limit
            rows = rows[:limit]
            return {
                "records": [
                    {**json.loads(row.record), "server": row.server, "project": row.project}
                    for row in rows
                ],
                "next": rows[-1].id if more and rows else None,
            }


__all__ = ["ActivityLog", "ActivityRow"]
