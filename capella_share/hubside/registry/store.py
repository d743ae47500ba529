"""The registry's tables (SQLAlchemy) and every rule about who may see or change what.

Roles per project: ``manager`` > ``read-write`` > ``read-only``; a member is a hub
user or a hub group, and a user's role is the highest of their own and their
groups'. Hub admins may do everything a manager may, on every project. Whoever is
not a member (nor an admin) does not learn that a project exists: 404, as for a
project that does not exist. Every change is written to the audit table in the same
transaction as the change itself.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import typing as t
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from ...shares.rules import MANAGER, READ_ONLY, READ_WRITE, ShareError, check_slug, slug_of
from .storage import Removed, ShareRef, ShareStorage, StorageError, share_id

#: Lowest first: a user's role is the highest that applies.
ROLES = (READ_ONLY, READ_WRITE, MANAGER)
KINDS = ("user", "group")
MAX_MEMBER_NAME = 255
MAX_AUDIT = 1000
#: Who is written in the audit log for what the registry finishes by itself.
SYSTEM_ACTOR = "capella-share-registry"


class RegistryError(ShareError):
    """A request the registry refuses: an HTTP status and a message for people."""


@dataclass(frozen=True)
class HubUser:
    """A hub user as the hub describes them to the registry."""

    name: str
    admin: bool = False
    groups: frozenset[str] = field(default_factory=frozenset)


def permission_of(role: str) -> str:
    """The share permission a role gives: managers and read-write members write."""
    return READ_ONLY if role == READ_ONLY else READ_WRITE


def highest(roles: t.Iterable[str]) -> str | None:
    ranked = sorted(roles, key=ROLES.index)
    return ranked[-1] if ranked else None


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment: datetime.datetime) -> str:
    """UTC, seconds, ``Z``: SQLite hands back naive times, PostgreSQL aware ones."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("project_id", "kind", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(MAX_MEMBER_NAME))
    role: Mapped[str] = mapped_column(String(10))


class ShareRow(Base):
    __tablename__ = "shares"
    __table_args__ = (UniqueConstraint("project_id", "model"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(MAX_MEMBER_NAME))
    action: Mapped[str] = mapped_column(String(40))
    # a slug, not a key: the log outlives the project
    project: Mapped[str] = mapped_column(String(63), index=True)
    target: Mapped[str] = mapped_column(String(MAX_MEMBER_NAME + 6))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class PendingPurge(Base):
    """A share forgotten whose data is still to be removed (see storage.py)."""

    __tablename__ = "pending_purges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    share: Mapped[str] = mapped_column(String(130))
    project: Mapped[str] = mapped_column(String(63))
    model: Mapped[str] = mapped_column(String(63))
    detached: Mapped[str | None] = mapped_column(Text, nullable=True)
    audit_id: Mapped[int] = mapped_column(Integer)


def check_member_name(value: t.Any, kind: str) -> str:
    """A hub user or group name as it may appear in a URL and the database."""
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_MEMBER_NAME
        or value != value.strip()
        or "/" in value
        or any(unicodedata.category(char) in ("Cc", "Cs") for char in value)
    ):
        raise RegistryError(
            400,
            f"{value!r} is not a hub {kind} name: 1 to {MAX_MEMBER_NAME} characters, "
            "without '/', control characters or surrounding spaces.",
        )
    return value


def check_kind(value: t.Any) -> str:
    if value not in KINDS:
        raise RegistryError(400, f"A member is a 'user' or a 'group'; got {value!r}.")
    return str(value)


def check_role(value: t.Any) -> str:
    if value not in ROLES:
        raise RegistryError(400, f"role must be one of {', '.join(ROLES)}; got {value!r}.")
    return str(value)


def database_url(url: str) -> str:
    """PostgreSQL through psycopg 3, whichever way the URL names it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(connection: t.Any, _record: t.Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, **kwargs: t.Any) -> Engine:
    engine = create_engine(database_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class RegistryStore:
    """Every query of the registry, and the rules: handlers only translate HTTP."""

    def __init__(
        self,
        engine: Engine,
        storage: ShareStorage,
        *,
        project_creators: t.Iterable[str] = (),
        project_creator_groups: t.Iterable[str] = (),
    ):
        self.engine = engine
        self.storage = storage
        self.project_creators = frozenset(project_creators)
        self.project_creator_groups = frozenset(project_creator_groups)
        Base.metadata.create_all(engine)
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        #: shares whose delete is under way in this process
        self._deleting: set[str] = set()

    # -- who is who -------------------------------------------------------------

    def may_create_projects(self, who: HubUser) -> bool:
        return (
            who.admin
            or who.name in self.project_creators
            or bool(who.groups & self.project_creator_groups)
        )

    @staticmethod
    def _member_filter(name: str, groups: t.Iterable[str]) -> t.Any:
        return or_(
            (Member.kind == "user") & (Member.name == name),
            (Member.kind == "group") & Member.name.in_(sorted(groups)),
        )

    def roles_of(self, db: Session, name: str, groups: t.Iterable[str]) -> dict[int, str]:
        """Project id -> the highest role of ``name`` (with ``groups``) in it."""
        rows = db.execute(
            select(Member.project_id, Member.role).where(self._member_filter(name, groups))
        ).all()
        found: dict[int, list[str]] = {}
        for project_id, role in rows:
            found.setdefault(project_id, []).append(role)
        return {project_id: highest(roles) or READ_ONLY for project_id, roles in found.items()}

    def _visible(self, db: Session, who: HubUser, slug: t.Any) -> tuple[Project, str | None]:
        """The project and the role of ``who`` in it; 404 for non-members."""
        check_slug(slug, "project")
        project = db.scalar(select(Project).where(Project.slug == slug))
        role = None
        if project is not None:
            role = self.roles_of(db, who.name, who.groups).get(project.id)
        if project is None or (role is None and not who.admin):
            raise RegistryError(404, f"There is no project {slug!r} that you are a member of.")
        return project, role

    def check_manager(
        self, who: HubUser, slug: t.Any, doing: str = "change it", db: Session | None = None
    ) -> Project:
        """The project ``slug`` if ``who`` manages it or is a hub admin: 404 for
        non-members, 403 for members who are not managers, saying they may not
        ``doing``. Asked in ``db``, else in a session of its own."""
        if db is None:
            with self.sessions() as own:
                return self.check_manager(who, slug, doing, own)
        project, role = self._visible(db, who, slug)
        if role != MANAGER and not who.admin:
            raise RegistryError(
                403,
                f"Only the managers of {project.slug!r} and hub admins may {doing}; "
                f"you are {role}.",
            )
        return project

    @staticmethod
    def _audit(
        db: Session, who: str, action: str, project: str, target: str, **detail: t.Any
    ) -> AuditEntry:
        entry = AuditEntry(
            at=_now(),
            actor=who,
            action=action,
            project=project,
            target=target,
            detail=json.dumps(detail, sort_keys=True),
        )
        db.add(entry)
        db.flush()
        return entry

    # -- reading ----------------------------------------------------------------

    def me(self, who: HubUser) -> dict[str, t.Any]:
        return {
            "name": who.name,
            "admin": who.admin,
            "groups": sorted(who.groups),
            "may_create_projects": self.may_create_projects(who),
        }

    def list_projects(self, who: HubUser) -> list[dict[str, t.Any]]:
        with self.sessions() as db:
            roles = self.roles_of(db, who.name, who.groups)
            query = select(Project).order_by(Project.slug)
            if not who.admin:
                query = query.where(Project.id.in_(sorted(roles)))
            counts = dict(
                db.execute(select(ShareRow.project_id, func.count()).group_by(ShareRow.project_id))
                .tuples()
                .all()
            )
            return [
                {
                    "slug": project.slug,
                    "name": project.name,
                    "role": roles.get(project.id),
                    "shares": counts.get(project.id, 0),
                }
                for project in db.scalars(query)
            ]

    def project(self, who: HubUser, slug: t.Any) -> dict[str, t.Any]:
        with self.sessions() as db:
            project, role = self._visible(db, who, slug)
            return self._project_model(db, project, role, who)

    def _project_model(
        self, db: Session, project: Project, role: str | None, who: HubUser
    ) -> dict[str, t.Any]:
        members = db.scalars(
            select(Member).where(Member.project_id == project.id).order_by(Member.kind, Member.name)
        )
        shares = db.scalars(
            select(ShareRow).where(ShareRow.project_id == project.id).order_by(ShareRow.model)
        )
        return {
            "slug": project.slug,
            "name": project.name,
            "created": iso(project.created),
            "role": role,
            "may_manage": who.admin or role == MANAGER,
            "members": [{"kind": m.kind, "name": m.name, "role": m.role} for m in members],
            "shares": [self._share_model(project, share) for share in shares],
        }

    @staticmethod
    def _share_model(project: Project, share: ShareRow) -> dict[str, t.Any]:
        return {
            "id": share_id(project.slug, share.model),
            "project": project.slug,
            "model": share.model,
            "name": share.name,
            "created": iso(share.created),
        }

    def user_shares(self, who: HubUser, name: str, groups: t.Iterable[str]) -> dict[str, t.Any]:
        """The shares ``name`` (in ``groups``) is a member of, for themself or an admin."""
        if who.name != name and not who.admin:
            raise RegistryError(403, "Only the user themself and hub admins may list their shares.")
        with self.sessions() as db:
            roles = self.roles_of(db, name, groups)
            rows = db.execute(
                select(Project, ShareRow)
                .join(ShareRow, ShareRow.project_id == Project.id)
                .where(Project.id.in_(sorted(roles)))
                .order_by(Project.slug, ShareRow.model)
            ).all()
            shares = [
                {
                    "id": share_id(project.slug, share.model),
                    "project": project.slug,
                    "model": share.model,
                    "project_name": project.name,
                    "model_name": share.name,
                    "role": roles[project.id],
                    "permission": permission_of(roles[project.id]),
                }
                for project, share in rows
            ]
        return {"user": name, "shares": shares}

    def audit(self, who: HubUser, project: t.Any = None, limit: int = 100) -> dict[str, t.Any]:
        """Newest first. Admins read everything; managers their projects' entries."""
        with self.sessions() as db:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if project is not None:
                self.check_manager(who, project, "read its audit log", db)
                query = query.where(AuditEntry.project == project)
            elif not who.admin:
                roles = self.roles_of(db, who.name, who.groups)
                managed = [pid for pid, role in roles.items() if role == MANAGER]
                slugs = db.scalars(select(Project.slug).where(Project.id.in_(managed))).all()
                query = query.where(AuditEntry.project.in_(sorted(slugs)))
            return {
                "entries": [
                    {
                        "at": iso(entry.at),
                        "actor": entry.actor,
                        "action": entry.action,
                        "project": entry.project,
                        "target": entry.target,
                        "detail": json.loads(entry.detail or "{}"),
                    }
                    for entry in db.scalars(query)
                ]
            }

    # -- changing ---------------------------------------------------------------

    def create_project(self, who: HubUser, name: t.Any) -> dict[str, t.Any]:
        """A new project; its creator becomes its manager."""
        if not self.may_create_projects(who):
            raise RegistryError(
                403, "Only hub admins and the registry's project creators may create projects."
            )
        slug = slug_of(name, "project")
        try:
            with self.sessions.begin() as db:
                project = Project(slug=slug, name=name.strip(), created=_now())
                db.add(project)
                db.flush()
                db.add(Member(project_id=project.id, kind="user", name=who.name, role=MANAGER))
                self._audit(db, who.name, "project.create", slug, slug, name=project.name)
                db.flush()
                return self._project_model(db, project, MANAGER, who)
        except IntegrityError:
            raise RegistryError(409, f"A project {slug!r} exists already.") from None

    def delete_project(self, who: HubUser, slug: t.Any, confirm: t.Any) -> dict[str, t.Any]:
        with self.sessions.begin() as db:
            project = self.check_manager(who, slug, db=db)
            if confirm != project.slug:
                raise RegistryError(
                    400, f'To delete the project, confirm with {{"confirm": "{project.slug}"}}.'
                )
            if db.scalar(select(func.count()).where(ShareRow.project_id == project.id)):
                raise RegistryError(
                    409, f"{project.slug!r} still has shares: delete its shares first."
                )
            db.execute(delete(Member).where(Member.project_id == project.id))
            db.delete(project)
            self._audit(db, who.name, "project.delete", project.slug, project.slug)
        self.storage.forget_project(project.slug)
        return {"slug": project.slug, "deleted": True}

    def _managers(self, db: Session, project: Project) -> int:
        count = db.scalar(
            select(func.count()).where(Member.project_id == project.id, Member.role == MANAGER)
        )
        return count or 0

    def _last_manager_check(self, db: Session, project: Project, member: Member | None) -> None:
        if member is not None and member.role == MANAGER and self._managers(db, project) <= 1:
            raise RegistryError(
                409,
                f"{member.kind} {member.name!r} is the last manager of {project.slug!r}: "
                "make another member manager first.",
            )

    def _member(self, db: Session, project: Project, kind: str, name: str) -> Member | None:
        return db.scalar(
            select(Member).where(
                Member.project_id == project.id, Member.kind == kind, Member.name == name
            )
        )

    def set_member(
        self, who: HubUser, slug: t.Any, kind: t.Any, name: t.Any, role: t.Any
    ) -> dict[str, t.Any]:
        """Add a member, or change their role (200 either way)."""
        with self.sessions.begin() as db:
            project = self.check_manager(who, slug, db=db)
            kind, role = check_kind(kind), check_role(role)
            name = check_member_name(name, kind)
            member = self._member(db, project, kind, name)
            previous = member.role if member is not None else None
            if role != MANAGER:
                self._last_manager_check(db, project, member)
            if member is None:
                member = Member(project_id=project.id, kind=kind, name=name, role=role)
                db.add(member)
            member.role = role
            if role != previous:
                self._audit(
                    db, who.name, "member.set", project.slug, f"{kind}:{name}",
                    role=role, previous=previous,
                )  # fmt: skip
            return {"kind": kind, "name": name, "role": role}

    def remove_member(self, who: HubUser, slug: t.Any, kind: t.Any, name: t.Any) -> None:
        with self.sessions.begin() as db:
            project = self.check_manager(who, slug, db=db)
            kind = check_kind(kind)
            name = check_member_name(name, kind)
            member = self._member(db, project, kind, name)
            if member is None:
                raise RegistryError(404, f"{kind} {name!r} is not a member of {project.slug!r}.")
            self._last_manager_check(db, project, member)
            db.delete(member)
            self._audit(
                db, who.name, "member.remove", project.slug, f"{kind}:{name}", previous=member.role
            )

    def create_share(self, who: HubUser, slug: t.Any, model: t.Any) -> dict[str, t.Any]:
        """A share for a model of the project; its folder (or volume) made ready."""
        try:
            with self.sessions.begin() as db:
                project = self.check_manager(who, slug, db=db)
                model_slug = slug_of(model, "model")
                share = ShareRow(
                    project_id=project.id, model=model_slug, name=model.strip(), created=_now()
                )
                db.add(share)
                db.flush()
                ref = ShareRef(share_id(project.slug, model_slug), project.slug, model_slug)
                try:
                    self.storage.prepare(ref)
                except OSError as error:
                    raise RegistryError(
                        409, f"The folder of {ref.id} cannot be made: {error.strerror or error}."
                    ) from None
                self._audit(db, who.name, "share.create", project.slug, model_slug, name=share.name)
                return self._share_model(project, share)
        except IntegrityError:
            raise RegistryError(409, f"The share {slug}/{model_slug} exists already.") from None

    # -- deleting a share: forget it and detach its data, then purge ---------------

    async def delete_share(
        self, who: HubUser, slug: t.Any, model: t.Any, confirm: t.Any
    ) -> dict[str, t.Any]:
        """Irrevocable: the share is forgotten and its data put out of reach in one
        transaction, then the data is removed (exactly once, see storage.py)."""
        ref, pending = self._forget_share(who, slug, model, confirm)
        try:
            removed = await self.storage.purge(ref, pending.detached)
        except StorageError as error:
            raise RegistryError(
                502,
                f"{ref.project}/{ref.model} is deleted, but removing its data failed "
                f"({error.strerror or error}); the registry retries.",
            ) from None
        finally:
            self._deleting.discard(ref.id)
        self._purged(pending, removed)
        return {"deleted_files": removed.files, "deleted_bytes": removed.bytes}

    def _forget_share(
        self, who: HubUser, slug: t.Any, model: t.Any, confirm: t.Any
    ) -> tuple[ShareRef, PendingPurge]:
        detached: tuple[ShareRef, str | None] | None = None
        try:
            with self.sessions.begin() as db:
                project = self.check_manager(who, slug, db=db)
                check_slug(model, "model")
                key = f"{project.slug}/{model}"
                ref = ShareRef(share_id(project.slug, model), project.slug, model)
                found = _deleted(
                    db,
                    delete(ShareRow).where(
                        ShareRow.project_id == project.id, ShareRow.model == model
                    ),
                )
                if found != 1 or ref.id in self._deleting:
                    raise RegistryError(404, f"There is no share {key}.")
                if confirm != key:
                    raise RegistryError(
                        400,
                        "Deleting a share removes all its files for good, for every member. "
                        f'To confirm, send {{"confirm": "{key}"}}.',
                    )
                entry = self._audit(db, who.name, "share.delete", project.slug, model)
                try:
                    detached = (ref, self.storage.detach(ref))
                except StorageError as error:
                    raise RegistryError(
                        409, f"Cannot delete {key}: {error.strerror or error}. Nothing was deleted."
                    ) from None
                pending = PendingPurge(
                    share=ref.id,
                    project=ref.project,
                    model=ref.model,
                    detached=detached[1],
                    audit_id=entry.id,
                )
                db.add(pending)
        except BaseException:
            if detached is not None:  # the database kept the share: so does the disk
                self.storage.undo_detach(*detached)
            raise
        self._deleting.add(ref.id)
        return ref, pending

    def _purged(self, pending: PendingPurge, removed: Removed) -> None:
        with self.sessions.begin() as db:
            db.execute(delete(PendingPurge).where(PendingPurge.id == pending.id))
            entry = db.get(AuditEntry, pending.audit_id)
            if entry is not None:
                detail = json.loads(entry.detail or "{}")
                detail.update(deleted_files=removed.files, deleted_bytes=removed.bytes)
                entry.detail = json.dumps(detail, sort_keys=True)

    async def retry_purges(self) -> int:
        """Purge what a failed or interrupted delete left; how many were purged."""
        with self.sessions() as db:
            pending = [p for p in db.scalars(select(PendingPurge)) if p.share not in self._deleting]
        done = 0
        for item in pending:
            ref = ShareRef(item.share, item.project, item.model)
            try:
                removed = await self.storage.purge(ref, item.detached)
            except StorageError:
                continue  # kept for the next try
            self._purged(item, removed)
            done += 1
        return done

    async def recover(self) -> None:
        """At start: finish every delete a stop interrupted (see storage.py)."""
        for project, model in self.storage.interrupted():
            ref = ShareRef(share_id(project, model), project, model)
            if self.storage.is_present(ref):
                continue  # made again since: not the one that was deleted
            with self.sessions.begin() as db:
                owner = db.scalar(select(Project).where(Project.slug == project))
                if owner is None:
                    continue
                gone = _deleted(
                    db,
                    delete(ShareRow).where(
                        ShareRow.project_id == owner.id, ShareRow.model == model
                    ),
                )
                if gone:
                    self._audit(db, SYSTEM_ACTOR, "share.delete", project, model, completed=True)
        await self.retry_purges()
        self.storage.clean_up()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.engine.dispose()


__all__ = [
    "KINDS",
    "ROLES",
    "HubUser",
    "RegistryError",
    "RegistryStore",
    "make_engine",
    "permission_of",
]


def _deleted(db: Session, statement: t.Any) -> int:
    """How many rows a DELETE removed (its cursor's row count)."""
    result = t.cast(CursorResult[t.Any], db.execute(statement))
    return int(result.rowcount)
