"""``bounded``: the client-side deadline of every pg attempt, run in the caller's task (no task of its own).

Its contract: the result when the work ends in time; an OperationalError at the deadline, with the caller's task
left uncancelled; a cancellation from outside still propagates; work that outlives the first cancellation (as
psycopg does while it asks the server to cancel) is cancelled again until it ends.
"""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from mastra_pg.connection import bounded


async def test_result_in_time() -> None:
    async def work() -> int:
        await asyncio.sleep(0)
        return 7

    assert await bounded(work(), 5) == 7


async def test_deadline_raises_and_leaves_the_caller_uncancelled() -> None:
    with pytest.raises(psycopg.OperationalError, match="operation_timeout=0.05"):
        await bounded(asyncio.sleep(30), 0.05)
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    await asyncio.sleep(0.01)  # the caller goes on: no cancellation is pending


async def test_work_ignoring_the_first_cancel_is_cancelled_again() -> None:
    cancels = 0

    async def stubborn() -> None:  # as psycopg: the first cancellation only asks the server to stop
        nonlocal cancels
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancels += 1
        await asyncio.sleep(30)

    with pytest.raises(psycopg.OperationalError):
        await asyncio.wait_for(bounded(stubborn(), 0.05), 5)
    assert cancels == 1


async def test_outside_cancellation_propagates() -> None:
    started = asyncio.Event()

    async def caller() -> None:
        async def work() -> None:
            started.set()
            await asyncio.sleep(30)

        await bounded(work(), 30)

    task = asyncio.ensure_future(caller())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_errors_before_the_deadline_pass_through() -> None:
    async def failing() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await bounded(failing(), 5)
