"""The one poller every follower of something remote uses (capella_share.poller)."""

from __future__ import annotations

import asyncio
import itertools

from capella_share.poller import BACKOFF, Poller


async def test_steps_follow_each_other_and_stop_cleanly():
    steps: list[float] = []
    loop = asyncio.get_running_loop()

    async def step() -> None:
        steps.append(loop.time())
        await asyncio.sleep(0.05)  # longer than the interval: never two at once

    poller = Poller(step, 0.01)
    poller.start(now=True)
    await asyncio.sleep(0.3)
    poller.stop()
    done = len(steps)
    await asyncio.sleep(0.1)
    assert 3 <= done == len(steps)
    assert all(b - a >= 0.05 for a, b in itertools.pairwise(steps))
    assert not poller.running


async def test_a_failing_step_backs_off_up_to_its_longest_and_comes_back():
    poller = Poller(asyncio.sleep, 1.0)
    assert [poller.next_wait(False) for _ in range(5)] == [2.0, 4.0, 8.0, BACKOFF, BACKOFF]
    assert poller.next_wait(True) == 1.0
    assert poller.next_wait(False) == 2.0
    assert Poller(asyncio.sleep, 1.0, longest=1.0).next_wait(False) == 1.0


async def test_an_exception_counts_as_a_failure_and_the_following_goes_on():
    calls = 0

    async def step() -> bool:
        nonlocal calls
        calls += 1
        raise RuntimeError("no")

    poller = Poller(step, 0.01, longest=0.01)
    poller.start()
    await asyncio.sleep(0.1)
    poller.stop()
    assert calls >= 3 and poller.failures >= 3


async def test_a_poller_stopped_before_its_first_step_never_steps():
    calls = []

    async def step() -> None:
        calls.append(1)

    poller = Poller(step, 0.01)
    poller.start()
    poller.stop()
    await asyncio.sleep(0.05)
    assert calls == []
