"""Which guest's HTTP request the running code serves, for what it records.

The route guard sets :data:`request_scope` once a guest's request (not a
websocket) is let through to its handler; code below the handlers (the contents
manager) records what that request did. Tasks that outlive a request keep no
scope: those a websocket starts (a document room saving to disk, a kernel
socket's reader) run with none, since their work is not the request's.
"""

from __future__ import annotations

import contextvars
import typing as t
from dataclasses import dataclass

from ..policy import Principal


@dataclass(frozen=True)
class RequestScope:
    """A guest's HTTP request: who, and the route (module.qualname) serving it."""

    principal: Principal
    #: the guest's display name now
    name: str
    route: str
    method: str


request_scope: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar(
    "capella_share_activity_scope", default=None
)


def current() -> RequestScope | None:
    return request_scope.get()


__all__: t.Sequence[str] = ["RequestScope", "current", "request_scope"]
