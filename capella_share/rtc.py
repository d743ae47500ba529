"""The RTC guard: read-only enforced inside real-time collaboration.

jupyter-collaboration's document websocket (``YDocWebSocketHandler``) checks only
that its user may read ``contents`` when it opens, then relays every Yjs message
into the room, which applies it, stores it, forwards it to the other clients and
saves it to the file. The route guard gives that route the subclass made here: a
client that may not write the document's path (a view guest anywhere, anyone in a
read-only project share) still receives the document, its live updates and its
peers' awareness, and its own awareness (cursor, name) still flows; every other
message it sends is dropped before it reaches the room. The policy is asked on
each such message, so a share switched to read-only applies to open sockets.

Awareness (who is in the document, their name, cursor and selection) is relayed by
the room to every client as it comes, up to 1 GiB, and names whoever its sender
claims to be. From a guest, the guard drops awareness messages over
``CapellaShareApp.max_awareness_bytes``, drops entries for client ids another
socket announced first, and sets the name fields of each state to the guest's own.

Merging a fork back into its document (``DELETE api/collaboration/fork/<id>?merge=true``)
writes the document too, and is guarded the same way. (Asking for a document's room,
``PUT api/collaboration/session/<path>``, only looks the file's id up: the policy's
ROUTE_ACTIONS judges it a read.) The shapes of jupyter-collaboration relied on here
are functions of :mod:`capella_share.upstream`.
"""

from __future__ import annotations

import json
import time
import typing as t

from jupyter_core.utils import ensure_async
from tornado import web

from . import policy, scope, trust, upstream
from .identity import principal_of
from .settings import ACTIVITY_SETTING, SHARES_SETTING, configured
from .shares.paths import READ, check_path
from .yjs import (
    AWARENESS,
    RAW,
    SYNC,
    SYNC_STEP1,
    SYNC_STEP2,
    SYNC_UPDATE,
    Reader,
    message_kind,
    sync_update,
)

#: An empty Yjs update: what a client that has nothing new sends as its sync step 2.
EMPTY_UPDATE = b"\x00\x00"

#: What a client that may not write can still send: its awareness, and a request
#: for the document's state.
_HARMLESS = {(AWARENESS, None), (SYNC, SYNC_STEP1)}

#: The fields of an awareness state's "user" that say who someone is.
IDENTITY_FIELDS = ("username", "name", "display_name", "initials", "avatar_url")

#: room id -> Yjs client id -> the socket that announced it first (until it closes).
_AWARENESS_HOLDERS: dict[str, dict[int, t.Any]] = {}


def read_awareness(message: bytes) -> list[tuple[int, int, str]]:
    """The entries (client id, clock, JSON state) of an awareness message;
    ValueError if it is not exactly one well-formed awareness update."""
    outer = Reader(bytes(message))
    if outer.var_uint() != AWARENESS:
        raise ValueError("not an awareness message")
    update = Reader(outer.var_bytes())
    if not outer.done:
        raise ValueError("bytes after the awareness update")
    entries = []
    for _ in range(update.var_uint()):
        client_id, clock = update.var_uint(), update.var_uint()
        entries.append((client_id, clock, update.var_bytes().decode("utf-8")))
    if not update.done:
        raise ValueError("bytes after the last awareness entry")
    return entries


def write_awareness(entries: list[tuple[int, int, str]]) -> bytes:
    """An awareness message of ``entries``; their states must be ASCII (pycrdt's
    Encoder writes a string's length in characters)."""
    from pycrdt import Encoder, create_awareness_message

    encoder = Encoder()
    encoder.write_var_uint(len(entries))
    for client_id, clock, state in entries:
        encoder.write_var_uint(client_id)
        encoder.write_var_uint(clock)
        encoder.write_var_string(state)
    return create_awareness_message(encoder.to_bytes())


def _no_constant(name: str) -> t.NoReturn:
    raise ValueError(f"{name} is not JSON")  # a browser's JSON.parse would fail on it


def as_user(state: str, user: t.Any) -> str | None:
    """``state`` (an awareness state, JSON) with whatever its "user" says about who
    it is replaced by ``user``'s identity; None when it is not a JSON object."""
    if state in ("", "null"):
        return "null"  # the client leaves
    try:
        value = json.loads(state, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    own = {field: getattr(user, field, None) for field in IDENTITY_FIELDS}
    if "user" in value:
        claimed = value["user"]
        value["user"] = (
            {**claimed, **{field: own[field] for field in IDENTITY_FIELDS if field in claimed}}
            if isinstance(claimed, dict)
            else own
        )
    try:
        return json.dumps(value, separators=(",", ":"))  # ASCII: non-ASCII is escaped
    except (ValueError, RecursionError):
        return None


def _is_save_request(message: bytes) -> int | None:
    """The id of a RAW "save" request, or None if ``message`` is not one."""
    from pycrdt import Decoder

    try:
        decoder = Decoder(bytes(message))
        if decoder.read_var_uint() != RAW or decoder.read_var_string() != "save":
            return None
        return decoder.read_var_uint()
    except Exception:
        return None


def _document_room(room_id: str) -> str | None:
    """The id of the document room ``room_id`` stands for (a fork stands for the
    document it was forked from); None for rooms that hold no file (awareness)."""
    room_id = upstream.document_of_fork(room_id)
    return room_id if upstream.room_file_id(room_id) is not None else None


#: Seconds a socket's document path is reused. A document moved meanwhile is
#: judged by its old place for at most that long; a move into a read-only share
#: is refused anyway, so this matters only for a share switched to read-only in
#: that fraction of a second after a document was moved into it.
PATH_LIFETIME = 0.25


class DocumentPath:
    """Where a socket's document is, as the file id manager says, asked again once
    :data:`PATH_LIFETIME` has passed: the lookup (a database query) would otherwise
    cost more than the rest of the guard for each of a burst of updates. Whether
    that path may be written is still asked on every message."""

    def __init__(self) -> None:
        self.document = ""
        self.path: str | None = None
        self.until = 0.0

    def of(self, handler: web.RequestHandler, document: str) -> str | None:
        now = time.monotonic()
        if document != self.document or now >= self.until:
            self.path = _path_of(handler, document)
            self.document, self.until = document, now + PATH_LIFETIME
        return self.path


def _path_of(handler: web.RequestHandler, document: str) -> str | None:
    """The path of the file of the document room ``document`` (None if unknown)."""
    return upstream.room_file_path(handler.settings, document)


def may_write(handler: web.RequestHandler, room_id: str, known: DocumentPath | None = None) -> bool:
    """Whether the handler's user may change what ``room_id`` holds (``known``:
    the socket's recent lookups of its document's path)."""
    principal = principal_of(handler.current_user)
    shares = handler.settings.get(SHARES_SETTING)
    read_only = policy.nothing_read_only if shares is None else shares.is_read_only
    document = _document_room(room_id)
    if document is None:
        return policy.allows(principal, policy.WRITE, "contents")
    path = _path_of(handler, document) if known is None else known.of(handler, document)
    # a file the id manager lost track of (deleted or moved outside the server) is
    # judged by the principal's own rights, as it lies in no share any more
    return policy.allows(principal, policy.WRITE, "contents", path and path.strip("/"), read_only)


def scope_refusal(handler: web.RequestHandler, room_id: str) -> str | None:
    """Why a guest whose link shares one folder or file may not join room
    ``room_id`` (None: it may): only rooms of documents inside its scope. The
    session-wide awareness room (who has which document open) is closed to it."""
    principal = principal_of(handler.current_user)
    if not principal.scope:
        return None
    document = _document_room(room_id)
    if document is None:
        return policy.scope_refusal(principal)
    path = _path_of(handler, document)
    root = getattr(handler.settings.get("contents_manager"), "root_dir", "")
    if path is None or not policy.in_scope(principal, path.strip("/")):
        return policy.scope_refusal(principal, path or room_id)
    if root and not scope.really_in_scope(principal, path, root):
        return policy.scope_refusal(principal, path)
    return None


def guard_document_socket(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``YDocWebSocketHandler`` that drops the document changes of those who may
    not write the document."""

    class GuardedYDocWebSocketHandler(cls):  # type:ignore[valid-type,misc]
        _capella_dropped = 0
        _capella_noted: frozenset[str] = frozenset()
        _capella_client_ids: frozenset[int] = frozenset()
        _capella_document: DocumentPath | None = None

        async def get(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
            refusal = scope_refusal(self, upstream.room_of(self))
            if refusal:
                raise web.HTTPError(403, refusal)
            return await super().get(*args, **kwargs)

        async def on_message(self, message: t.Any) -> t.Any:
            kind = message_kind(message)
            if kind == (AWARENESS, None):
                message = self._capella_awareness(message)
                if message is None:
                    return None
            if kind in _HARMLESS:
                return await super().on_message(message)
            if self._capella_document is None:
                self._capella_document = DocumentPath()
            if may_write(self, upstream.room_of(self), self._capella_document):
                if trust.may_trust(principal_of(self.current_user)):
                    self._capella_edited(kind, message)
                    return await super().on_message(message)
                # nothing the guest changes may be trusted by anyone else
                rewritten = trust.guest_message(self, message)
                if rewritten is not None:
                    self._capella_edited(kind, message)
                    return await super().on_message(rewritten)
                self._capella_note("document updates that depend on changes never sent")
                return None
            self._capella_dropped += 1
            if self._capella_dropped == 1:
                self.log.info(
                    "capella-share: %s may not write %s; its document changes are dropped",
                    getattr(self.current_user, "username", "?"),
                    upstream.room_of(self),
                )
                self._capella_refused()
            save_id = _is_save_request(message)
            if save_id is not None:
                # answer as the handler does when a save fails, so the client is not left waiting
                reply = {"type": "save", "responseTo": save_id, "status": "failed"}
                await self.send(upstream.raw_message(reply))
            return None

        async def open(self, *args: t.Any, **kwargs: t.Any) -> None:
            await super().open(*args, **kwargs)
            principal = principal_of(self.current_user)
            activity = self.settings.get(ACTIVITY_SETTING)
            document = _document_room(upstream.room_of(self))
            if activity is None or principal.is_owner or document is None:
                return
            try:
                path = _path_of(self, document)
            except Exception:  # the file id manager could not say: nothing to name
                path = None
            if path is not None:
                activity.guest(
                    principal, "file.open", self.current_user.display_name, path=path, via="rtc"
                )

        def _capella_edited(self, kind: t.Any, message: bytes) -> None:
            """Note for the trail whose change went into the document (a sync step
            2 with nothing in it is no change)."""
            activity = self.settings.get(ACTIVITY_SETTING)
            if activity is None or kind not in ((SYNC, SYNC_UPDATE), (SYNC, SYNC_STEP2)):
                return
            if kind == (SYNC, SYNC_STEP2) and sync_update(message) in (None, EMPTY_UPDATE):
                return
            document = _document_room(upstream.room_of(self))
            edited = None if document is None else upstream.room_file_id(document)
            if edited is not None:
                user = self.current_user
                activity.live_edit(edited, principal_of(user), user.display_name)

        def _capella_refused(self) -> None:
            """The trail's record that a guest's live changes are refused."""
            activity = self.settings.get(ACTIVITY_SETTING)
            if activity is None:
                return
            path = self._capella_document.path if self._capella_document else None
            where = path or upstream.room_of(self)
            activity.refused(
                principal_of(self.current_user),
                f"edit {where} live",
                "You may not change this document: it is read-only for you; "
                "your changes are not kept.",
                self.current_user.display_name,
                path=path,
            )

        def _capella_awareness(self, message: bytes) -> bytes | None:
            """The awareness message as the room may relay it; None to drop it.

            Every socket's client ids are bound to it; the owner's messages pass as
            they are, a guest's are limited and speak for the guest only."""
            user = self.current_user
            guest = not principal_of(user).is_owner
            limit = configured(self.settings, "max_awareness_bytes")
            if len(message) > limit:
                if guest:
                    self._capella_note(f"awareness messages over {limit} bytes")
                    return None
                return message
            try:
                entries = read_awareness(message)
            except ValueError:
                if guest:
                    self._capella_note("malformed awareness messages")
                    return None
                return message
            holders = _AWARENESS_HOLDERS.setdefault(upstream.room_of(self), {})
            # the room's own awareness (the server's client id) is nobody's to change
            room_awareness = getattr(getattr(self, "room", None), "awareness", None)
            server_id = getattr(room_awareness, "client_id", None)
            kept = []
            for client_id, clock, state in entries:
                holder = self if client_id == server_id else holders.setdefault(client_id, self)
                if holder is self and client_id != server_id:
                    self._capella_client_ids = self._capella_client_ids | {client_id}
                if not guest:
                    continue
                foreign = holder is not self and (
                    getattr(holder.current_user, "username", None) != user.username
                )
                if foreign or client_id == server_id:
                    self._capella_note("awareness of client ids other sockets hold")
                    continue
                own_state = as_user(state, user)
                if own_state is None:
                    self._capella_note("awareness states that are not JSON objects")
                    continue
                kept.append((client_id, clock, own_state))
            if not guest:
                return message
            return write_awareness(kept) if kept else None

        def _capella_note(self, what: str) -> None:
            """Log, once per socket and kind, that a guest's messages are dropped."""
            if what in self._capella_noted:
                return
            self._capella_noted = self._capella_noted | {what}
            self.log.warning(
                "capella-share: %s sends %s in %s; they are dropped",
                getattr(self.current_user, "username", "?"),
                what,
                upstream.room_of(self),
            )

        def on_close(self) -> None:
            try:
                super().on_close()
            finally:
                # its client ids are free again (a reconnecting client announces them anew)
                holders = _AWARENESS_HOLDERS.get(upstream.room_of(self), {})
                for client_id in self._capella_client_ids:
                    if holders.get(client_id) is self:
                        del holders[client_id]
                if not holders:
                    _AWARENESS_HOLDERS.pop(upstream.room_of(self), None)

    return upstream.named_as(GuardedYDocWebSocketHandler, cls, __name__)


def guard_fork_merge(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``DocForkHandler`` that refuses to merge a fork into a document its user
    may not write."""

    class GuardedDocForkHandler(cls):  # type:ignore[valid-type,misc]
        @web.authenticated
        async def delete(self, fork_roomid: str) -> t.Any:
            merging = self.get_query_argument("merge", "") == "true"
            if merging and not may_write(self, fork_roomid):
                raise web.HTTPError(403, "You may not change this document: it is read-only.")
            return await super().delete(fork_roomid)

    return upstream.named_as(GuardedDocForkHandler, cls, __name__)


def guard_document_session(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``DocSessionHandler`` that opens rooms for real files only.

    Asking for a document's room gives its file an id, kept by the file id manager
    in its database for good: upstream indexes whatever string it is given (paths
    outside the root, missing files, names of kilobytes). Only a file the contents
    manager will serve to the requester (inside the root, not hidden unless the
    server shows hidden files) gets one."""

    class GuardedDocSessionHandler(cls):  # type:ignore[valid-type,misc]
        @web.authenticated
        async def put(self, path: str) -> t.Any:
            checked = check_path(path, READ)
            try:
                model = await ensure_async(self.contents_manager.get(checked, content=False))
            except web.HTTPError as error:
                if error.status_code == 404:
                    raise web.HTTPError(
                        404, f"There is no file {checked!r} to open together."
                    ) from None
                raise
            if model.get("type") == "directory":
                raise web.HTTPError(
                    400, f"{checked!r} is a folder: only files are opened together."
                )
            return await super().put(path)

    return upstream.named_as(GuardedDocSessionHandler, cls, __name__)
