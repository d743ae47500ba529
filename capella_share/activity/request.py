"""Which guest's HTTP request the running code serves, for what it records.

The route guard sets :data:`guest_request` once a guest's request (not a
websocket) is let through to its handler; code below the handlers (the contents
manager) records what that request did. Tasks that outlive a request keep no
guest request: those a websocket starts (a document room saving to disk, a kernel
socket's reader) run with none, since their work is not the request's.
"""

from __future__ import annotations

import contextvars
import typing as t
from dataclasses import dataclass

from ..policy import Principal


@dataclass(frozen=True)
class GuestRequest:
    """A guest's HTTP request: who, and the route (module.qualname) serving it."""

    principal: Principal
    #: the guest's display name now
    name: str
    route: str
    method: str


guest_request: contextvars.ContextVar[GuestRequest | None] = contextvars.ContextVar(
    "capella_share_activity_guest_request", default=None
)


__all__: t.Sequence[str] = ["GuestRequest", "guest_request"]
