"""``bounded`` and ``Deadlines.run`` (the same on one shared timer per store): the client-side deadline of every pg
attempt, run in the caller's task (no task of its own).

Their contract: the result when the work ends in time; an OperationalError at the deadline, with the caller's task
left uncancelled; a cancellation from outside still propagates; work that outlives the first cancellation (as
psycopg does while it asks the server to cancel) is cancelled again until it ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest
from mastra_pg.connection import Deadlines, bounded

Bound = Callable[[Awaitable[Any], float], Awaitable[Any]]


def _shared(work: Awaitable[Any], limit: float) -> Awaitable[Any]:
    return Deadlines(limit).run(work)


@pytest.fixture(params=["bounded", "deadlines"])
def bound(request: pytest.FixtureRequest) -> Bound:
    return bounded if request.param == "bounded" else _shared


async def test_result_in_time(bound: Bound) -> None:
    async def work() -> int:
        await asyncio.sleep(0)
        return 7

    assert await bound(work(), 5) == 7


async def test_deadline_raises_and_leaves_the_caller_uncancelled(bound: Bound) -> None:
    with pytest.raises(psycopg.OperationalError, match="operation_timeout=0.05"):
        await bound(asyncio.sleep(30), 0.05)
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    await asyncio.sleep(0.01)  # the caller goes on: no cancellation is pending


async def test_work_ignoring_the_first_cancel_is_cancelled_again(bound: Bound) -> None:
    cancels = 0

    async def stubborn() -> None:  # as psycopg: the first cancellation only asks the server to stop
        nonlocal cancels
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancels += 1
        await asyncio.sleep(30)

    with pytest.raises(psycopg.OperationalError):
        await asyncio.wait_for(bound(stubborn(), 0.05), 5)
    assert cancels == 1


async def test_outside_cancellation_propagates(bound: Bound) -> None:
    started = asyncio.Event()

    async def caller() -> None:
        async def work() -> None:
            started.set()
            await asyncio.sleep(30)

        await bound(work(), 30)

    task = asyncio.ensure_future(caller())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_errors_before_the_deadline_pass_through(bound: Bound) -> None:
    async def failing() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await bound(failing(), 5)


async def test_one_timer_bounds_overlapping_attempts() -> None:
    """Attempts in flight together: each gets its own deadline from the one timer; quick ones are untouched."""
    deadlines = Deadlines(0.05)

    async def quick() -> int:
        await asyncio.sleep(0)
        return 1

    async def slow() -> None:
        await deadlines.run(asyncio.sleep(30))

    stuck = [asyncio.ensure_future(slow()) for _ in range(3)]
    assert [await deadlines.run(quick()) for _ in range(5)] == [1] * 5
    for task in stuck:
        with pytest.raises(psycopg.OperationalError, match="operation_timeout=0.05"):
            await asyncio.wait_for(task, 5)
    assert await deadlines.run(quick()) == 1  # the timer re-arms after going idle
    with pytest.raises(psycopg.OperationalError):
        await asyncio.wait_for(deadlines.run(asyncio.sleep(30)), 5)
