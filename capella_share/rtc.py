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

Merging a fork back into its document (``DELETE api/collaboration/fork/<id>?merge=true``)
writes the document too, and is guarded the same way. Asking for a document's room
(``PUT api/collaboration/session/<path>``) only looks the file's id up, yet its verb
makes the Authorizer ask for ``write``: it is asked for ``read``, so that those who
may only read can follow a document live.
"""

from __future__ import annotations

import typing as t

from jupyter_server.utils import ensure_async
from tornado import web

from . import policy
from .identity import principal_of

#: Yjs message types (the first var-uint of a message) and sync steps (the second).
SYNC, AWARENESS, RAW = 0, 1, 2
SYNC_STEP1 = 0

#: What a client that may not write can still send: its awareness, and a request
#: for the document's state.
_HARMLESS = {(AWARENESS, None), (SYNC, SYNC_STEP1)}


def message_kind(message: t.Any) -> tuple[int, int | None] | None:
    """(type, sync step or None) of a Yjs message; None when it cannot be read."""
    if not isinstance(message, bytes | bytearray | memoryview) or not message:
        return None
    from pycrdt import Decoder

    try:
        decoder = Decoder(bytes(message))
        kind = decoder.read_var_uint()
        return (kind, decoder.read_var_uint() if kind == SYNC else None)
    except Exception:
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
    from jupyter_server_ydoc.handlers import FORK_ROOMS

    fork = FORK_ROOMS.get(room_id)
    if fork is not None:
        room_id = fork["root_roomid"]
    return room_id if room_id.count(":") >= 2 else None


def may_write(handler: web.RequestHandler, room_id: str) -> bool:
    """Whether the handler's user may change what ``room_id`` holds."""
    from jupyter_server_ydoc.utils import decode_file_path

    principal = principal_of(handler.current_user)
    document = _document_room(room_id)
    if document is None:
        return policy.allows(principal, policy.WRITE, "contents")
    _, _, file_id = decode_file_path(document)
    path = handler.settings["file_id_manager"].get_path(file_id)
    # a file the id manager lost track of (deleted or moved outside the server) is
    # judged by the principal's own rights, as it lies in no share any more
    return policy.allows(principal, policy.WRITE, "contents", path and path.strip("/"))


def guard_document_socket(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``YDocWebSocketHandler`` that drops the document changes of those who may
    not write the document."""

    class GuardedYDocWebSocketHandler(cls):  # type:ignore[valid-type,misc]
        _capella_dropped = 0

        async def on_message(self, message: t.Any) -> t.Any:
            if message_kind(message) in _HARMLESS or may_write(self, self._room_id):
                return await super().on_message(message)
            self._capella_dropped += 1
            if self._capella_dropped == 1:
                self.log.info(
                    "capella-share: %s may not write %s; its document changes are dropped",
                    getattr(self.current_user, "username", "?"),
                    self._room_id,
                )
            save_id = _is_save_request(message)
            if save_id is not None:
                # answer as the handler does when a save fails, so the client is not left waiting
                reply = {"type": "save", "responseTo": save_id, "status": "failed"}
                await self.send(self._encode_json_message(reply))
            return None

    GuardedYDocWebSocketHandler.__name__ = cls.__name__
    GuardedYDocWebSocketHandler.__qualname__ = cls.__name__
    GuardedYDocWebSocketHandler.__module__ = __name__
    return GuardedYDocWebSocketHandler


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

    GuardedDocForkHandler.__name__ = cls.__name__
    GuardedDocForkHandler.__qualname__ = cls.__name__
    GuardedDocForkHandler.__module__ = __name__
    return GuardedDocForkHandler


def guard_session_request(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``DocSessionHandler`` whose PUT asks the Authorizer for ``read`` on
    ``contents``: it creates no file, it names the room of an existing one."""
    lookup = _undecorated(cls.put)  # type:ignore[attr-defined]

    class GuardedDocSessionHandler(cls):  # type:ignore[valid-type,misc]
        @web.authenticated
        async def put(self, path: str) -> t.Any:
            allowed = await ensure_async(
                self.authorizer.is_authorized(self, self.current_user, policy.READ, "contents")
            )
            if not allowed:
                raise web.HTTPError(403, "You may not read this document.")
            return await lookup(self, path)

    GuardedDocSessionHandler.__name__ = cls.__name__
    GuardedDocSessionHandler.__qualname__ = cls.__name__
    GuardedDocSessionHandler.__module__ = __name__
    return GuardedDocSessionHandler


def _undecorated(method: t.Callable) -> t.Callable:
    """``method`` without its decorators (``@web.authenticated``, ``@authorized``)."""
    while hasattr(method, "__wrapped__"):
        method = method.__wrapped__
    return method
