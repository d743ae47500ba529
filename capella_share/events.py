"""capella-share's events on the server's event bus (jupyter_events), and who may
read them.

Events of ours are the owner's business (they name links and what their guests
did): a guest's subscription to the event stream never receives them, and the
activity trail's records go only to the event handlers an operator configured
(:func:`activity_emitter`). Events a client posts to the bus are never taken for
ours: only the server emits under our schemas, and ``POST api/events`` naming
one of them is refused, whoever sends it.
"""

from __future__ import annotations

import json
import typing as t

from tornado import web

from . import policy, scope
from .connections import is_open
from .identity import principal_of
from .policy import Principal

#: A kernel was restarted because a guest who had run code in it lost access.
KERNEL_RESTARTED = "urn:capella-share:event:kernel-restarted:v1"
#: A record of the activity trail (docs/activity.md).
ACTIVITY = "urn:capella-share:event:activity:v1"

#: The policy's resource our events are read with (the links' and their trail's).
READ_WITH = "capella-share:links"

#: Why an event under one of our schemas cannot be posted.
POST_REFUSED = (
    "Events of capella-share are emitted by the server only: a client may not post "
    "them to the event bus."
)

_TEXT = {"type": "string"}

SCHEMAS: dict[str, dict[str, t.Any]] = {
    KERNEL_RESTARTED: {
        "$id": KERNEL_RESTARTED,
        "version": "1",
        "title": "A kernel restarted because a link ended",
        "description": (
            "A guest of a link that ended (revoked or expired) had run code in a kernel "
            "that stays; the kernel was restarted so nothing that code started survives."
        ),
        "type": "object",
        "required": ["kernel_id", "link_id"],
        "properties": {
            "kernel_id": {"type": "string"},
            "link_id": {"type": "string"},
            "label": {"type": "string"},
        },
    },
    ACTIVITY: {
        "$id": ACTIVITY,
        "version": "1",
        "title": "A record of capella-share's activity trail",
        "description": (
            "What a guest did through a link or hub grant (arrived, left, opened, "
            "saved, ran code, was refused...), or what the owner did to links and "
            "shares, as written to the server's hash-chained trail (seq and hash "
            "let a copy be checked against the file). See docs/activity.md."
        ),
        "type": "object",
        "required": ["seq", "at", "action", "hash"],
        "properties": {
            "seq": {"type": "integer", "minimum": 1},
            "at": _TEXT,
            "action": _TEXT,
            "hash": _TEXT,
            "prev": _TEXT,
            "link": _TEXT,
            "user": _TEXT,
            "name": _TEXT,
            "level": {"enum": ["view", "edit", "full", "owner"]},
            "path": _TEXT,
            "to": _TEXT,
            "kernel": _TEXT,
            "terminal": _TEXT,
            "reason": _TEXT,
            "what": _TEXT,
            "status": {"type": "integer"},
        },
    },
}


def register(serverapp: t.Any) -> None:
    """Make the server's event logger know our schemas that go on its bus (the
    trail's records do not: see :func:`activity_emitter`)."""
    logger = getattr(serverapp, "event_logger", None)
    if logger is None:
        return
    for schema_id, schema in SCHEMAS.items():
        if schema_id != ACTIVITY and schema_id not in logger.schemas.schema_ids:
            logger.register_event_schema(schema)


def emit_kernel_restarted(serverapp: t.Any, kernel_id: str, link: t.Any) -> None:
    logger = getattr(serverapp, "event_logger", None)
    if logger is None:
        return
    data = {"kernel_id": kernel_id, "link_id": link.id, "label": link.label or ""}
    logger.emit(schema_id=KERNEL_RESTARTED, data=data)


def shown_to(principal: Principal, schema_id: str, data: t.Any) -> bool:
    """Whether an event goes to ``principal``'s event stream: ours only to whom the
    policy lets read links (the owner), and to a guest whose link shares one folder
    or file only events about paths inside it (an event naming no path says nothing
    it may see)."""
    if schema_id in SCHEMAS:
        # they name links and what their guests did: read by whoever may read links
        return policy.allows(principal, policy.READ, READ_WITH)
    if principal.is_owner or not principal.scope:
        return True
    if not isinstance(data, dict):
        return False
    paths = [data.get(key) for key in ("path", "source_path") if key in data]
    return bool(paths) and all(scope.shown(principal, path) for path in paths)


def activity_emitter(serverapp: t.Any) -> t.Callable[[dict[str, t.Any]], None] | None:
    """What hands each trail record, as an event of our schema, to the event
    handlers the operator configured (``c.EventLogger.handlers``: a platform ships
    them to its SIEM); None when there are none.

    The records go through an event logger of their own, configured as the
    server's is, and not on the server's event bus: there every open Lab, guests'
    included, listens, and each record would cost a schema check and a task per
    Lab (the owner's activity view asks the trail's API instead)."""
    if getattr(serverapp, "event_logger", None) is None:
        return None
    from jupyter_events import EventLogger

    logger = EventLogger(parent=serverapp)
    if not logger.handlers:
        return None
    logger.register_event_schema(SCHEMAS[ACTIVITY])

    def emit(record: dict[str, t.Any]) -> None:
        logger.emit(schema_id=ACTIVITY, data=record)

    return emit


def guard_event_post(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``EventHandler`` that refuses a posted event under one of our schemas."""

    @web.authenticated
    async def post(self: t.Any) -> t.Any:
        try:
            payload = json.loads(self.request.body or b"null")
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("schema_id") in SCHEMAS:
            raise web.HTTPError(403, POST_REFUSED)
        upstream_post: t.Any = cls.post
        return await upstream_post(self)

    return type(cls.__name__, (cls,), {"post": post, "__module__": __name__})


def guard_event_stream(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``SubscribeWebsocket`` that sends a guest only the events it may see."""

    async def event_listener(self: t.Any, logger: t.Any, schema_id: str, data: t.Any) -> None:
        if not shown_to(principal_of(self.current_user), schema_id, data):
            return
        if not is_open(self):
            return  # closing: a write now would fail where nobody hears of it
        await cls.event_listener(self, logger, schema_id, data)  # type:ignore[attr-defined]

    return type(cls.__name__, (cls,), {"event_listener": event_listener, "__module__": __name__})
