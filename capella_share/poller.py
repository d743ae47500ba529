"""Following something remote: the one way the server reads a remote list again and
again (the hub's shares of this server, the share registry's list of the user's
shares) or sends to it (the activity trail).

A :class:`Poller` runs an async step on the server's IOLoop every ``interval``
seconds, one step at a time: a slow answer delays the next reading instead of
overlapping it. A step that fails (it returns ``False`` or raises) is tried again
after a wait that doubles, up to ``longest``; the first success brings the pace
back to ``interval``. A follower whose list stays in force while it cannot be read
gives ``longest=interval`` (no backoff), so that a change made meanwhile is seen
within ``interval`` of the answers coming back. :meth:`Poller.stop` ends it: no
step starts afterwards, and one under way is cancelled at its next ``await``.

The hub side does not use it: the spawner hooks ask the registry once per spawn,
and the registry service's own periodic purge retry runs in its process.
"""

from __future__ import annotations

import asyncio
import logging
import typing as t
from collections.abc import Awaitable, Callable

from tornado.ioloop import IOLoop

#: How many intervals a failing follower waits at most, unless it says otherwise.
BACKOFF = 8

_log = logging.getLogger(__name__)


class Poller:
    """Calls ``step`` every ``interval`` seconds on the IOLoop until stopped."""

    def __init__(
        self,
        step: Callable[[], Awaitable[t.Any]],
        interval: float,
        *,
        longest: float | None = None,
        name: str = "poller",
        log: logging.Logger | logging.LoggerAdapter[t.Any] | None = None,
    ):
        self.step = step
        self.interval = interval
        self.longest = max(interval, interval * BACKOFF if longest is None else longest)
        self.name = name
        self.log = log or _log
        #: failed steps in a row
        self.failures = 0
        self._task: asyncio.Future[t.Any] | None = None
        self._started = False
        self._stopped = False

    def start(self, now: bool = True) -> None:
        """Follow from the IOLoop's next turn: the first step at once with ``now``,
        else after ``interval``."""
        if self._started or self._stopped:
            return
        self._started = True
        IOLoop.current().add_callback(self._run, now)

    def stop(self) -> None:
        self._stopped = True
        if self._task is not None and not self._task.done():
            self._task.cancel()

    @property
    def running(self) -> bool:
        return self._started and not self._stopped

    def next_wait(self, succeeded: bool) -> float:
        """Seconds until the next step, after one that ``succeeded`` or not."""
        if succeeded:
            self.failures = 0
            return self.interval
        self.failures += 1
        return float(min(self.longest, self.interval * 2**self.failures))

    async def _run(self, now: bool) -> None:
        self._task = asyncio.current_task()
        wait = 0.0 if now else self.interval
        try:
            while not self._stopped:
                if wait:
                    await asyncio.sleep(wait)
                if self._stopped:
                    return
                wait = self.next_wait(await self._once())
        except asyncio.CancelledError:
            return  # stopped

    async def _once(self) -> bool:
        try:
            result = await self.step()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log.exception("capella-share: %s failed", self.name)
            return False
        return result is not False


__all__ = ["BACKOFF", "Poller"]
