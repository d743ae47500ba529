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

from .identity import principal_of

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


def guard_event_stream(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``SubscribeWebsocket`` that sends a guest none of our events."""

    async def event_listener(self: t.Any, logger: t.Any, schema_id: str, data: t.Any) -> None:
        if schema_id in SCHEMAS and not principal_of(self.current_user).is_owner:
            return
        await cls.event_listener(self, logger, schema_id, data)  # type:ignore[attr-defined]

    return type(cls.__name__, (cls,), {"event_listener": event_listener, "__module__": __name__})
