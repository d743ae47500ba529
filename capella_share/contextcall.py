"""Calls whose result may be awaitable (a contents manager may be synchronous or
asynchronous), made with a context variable set for as long as their work runs."""

from __future__ import annotations

import contextvars
import inspect
import typing as t

T = t.TypeVar("T")


def call_with(
    variable: contextvars.ContextVar[T],
    value: T,
    call: t.Callable[[], t.Any],
    then: t.Callable[[t.Any], t.Any],
) -> t.Any:
    """``then(call())`` with ``variable`` set to ``value`` while ``call`` runs and,
    when it returns an awaitable, while that is awaited: in the task that awaits
    it, which a value set around the call alone would not reach."""
    token = variable.set(value)
    try:
        result = call()
    finally:
        variable.reset(token)
    if not inspect.isawaitable(result):
        return then(result)

    async def finish() -> t.Any:
        inner = variable.set(value)
        try:
            done = await result
        finally:
            variable.reset(inner)
        return then(done)

    return finish()
