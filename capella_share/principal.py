"""Whose work is in hand: the principal of the request being served, for code
below the handlers (the contents, session, kernel and terminal managers) to ask
the policy about.

The identity provider sets it when it authenticates a request. It has no
default: work done outside a request is nobody's until its code says whose it
is (:func:`acting_as`). A read where nobody said (:func:`current_principal`) is
refused (:class:`NoPrincipal`), never taken for the owner's; a listing asks
:func:`principal_or_nobody` and shows nobody nothing.
"""

from __future__ import annotations

import contextvars
import typing as t
from contextlib import contextmanager

from tornado import web

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from .policy import Principal

#: The principal of the work in hand; None for a request that is nobody's (a
#: visitor no one admitted). Unset outside a request, unless its code said whose
#: work it is. Read it with :func:`current_principal`.
_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "capella_share_principal"
)


class NoPrincipal(web.HTTPError):
    """Work that nobody said whose it is: refused (a 403 inside a request)."""

    def __init__(self) -> None:
        super().__init__(403, "Refused: nobody this server knows asked for this.")


def current_principal() -> Principal:
    """The principal of the work in hand; :class:`NoPrincipal` if nobody said
    whose it is, or it is a request nobody is admitted to."""
    principal = _principal.get(None)
    if principal is None:
        raise NoPrincipal()
    return principal


def principal_or_nobody() -> Principal | None:
    """The principal of the work in hand; None if nobody said whose it is, or it
    is a request nobody is admitted to (for a listing: nobody sees nothing)."""
    return _principal.get(None)


def set_principal(principal: Principal | None) -> contextvars.Token[Principal | None]:
    """Say whose the work of the current context is from here on (the identity
    provider: for the rest of the request it authenticated)."""
    return _principal.set(principal)


@contextmanager
def acting_as(principal: Principal | None) -> Iterator[Principal | None]:
    """Do the work inside as ``principal``'s (None: nobody's), then go back to
    whoever it was before."""
    token = _principal.set(principal)
    try:
        yield principal
    finally:
        _principal.reset(token)
