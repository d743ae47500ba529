"""capella-share's events on the server's event bus (jupyter_events), and who may
read them.

Events of ours are the owner's business (they name links and what their guests
did): a guest's subscription to the event stream never receives them. Events a
client posts to the bus are never taken for ours: only the server emits under
our schemas.
"""

from __future__ import annotations

import typing as t

from tornado import web

from . import scope
from .identity import principal_of
from .policy import Principal

#: A kernel was restarted because a guest who had run code in it lost access.
KERNEL_RESTARTED = "urn:capella-share:event:kernel-restarted:v1"

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
}


def register(serverapp: t.Any) -> None:
    """Make the server's event logger know our schemas."""
    logger = getattr(serverapp, "event_logger", None)
    if logger is None:
        return
    for schema_id, schema in SCHEMAS.items():
        if schema_id not in logger.schemas.schema_ids:
            logger.register_event_schema(schema)


def emit_kernel_restarted(serverapp: t.Any, kernel_id: str, link: t.Any) -> None:
    logger = getattr(serverapp, "event_logger", None)
    if logger is None:
        return
    data = {"kernel_id": kernel_id, "link_id": link.id, "label": link.label or ""}
    logger.emit(schema_id=KERNEL_RESTARTED, data=data)


def shown_to(principal: Principal, schema_id: str, data: t.Any) -> bool:
    """Whether an event goes to ``principal``'s event stream: none of ours to a
    guest, and to a guest whose link shares one folder or file only events about
    paths inside it (an event naming no path says nothing it may see)."""
    if principal.is_owner:
        return True
    if schema_id in SCHEMAS:
        return False
    if not principal.scope:
        return True
    if not isinstance(data, dict):
        return False
    paths = [data.get(key) for key in ("path", "source_path") if key in data]
    return bool(paths) and all(scope.shown(principal, path) for path in paths)


def guard_event_stream(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``SubscribeWebsocket`` that sends a guest only the events it may see."""

    async def event_listener(self: t.Any, logger: t.Any, schema_id: str, data: t.Any) -> None:
        if not shown_to(principal_of(self.current_user), schema_id, data):
            return
        await cls.event_listener(self, logger, schema_id, data)  # type:ignore[attr-defined]

    return type(cls.__name__, (cls,), {"event_listener": event_listener, "__module__": __name__})
