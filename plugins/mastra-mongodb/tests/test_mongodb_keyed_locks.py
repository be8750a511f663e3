"""``KeyedLocks``: one holder per key at a time, other keys not held up, and no idle key kept."""

from __future__ import annotations

import asyncio

from mastra_mongodb.keyed_locks import KeyedLocks


async def test_one_holder_per_key_others_run_and_nothing_idle_is_kept() -> None:
    locks = KeyedLocks()
    inside: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}
    overlap = asyncio.Event()

    async def hold(key: str) -> None:
        async with locks.hold(key):
            inside[key] += 1
            most[key] = max(most[key], inside[key])
            if inside["a"] and inside["b"]:
                overlap.set()  # a holder of "a" and one of "b" at once: other keys are not held up
            await asyncio.sleep(0.001)
            inside[key] -= 1

    await asyncio.gather(*(hold("a" if i % 2 else "b") for i in range(20)))
    assert most == {"a": 1, "b": 1}
    assert overlap.is_set()
    assert len(locks) == 0


async def test_a_failing_holder_releases_its_key() -> None:
    locks = KeyedLocks()
    try:
        async with locks.hold("k"):
            raise ValueError("boom")
    except ValueError:
        pass
    assert len(locks) == 0
    async with asyncio.timeout(1):
        async with locks.hold("k"):
            assert len(locks) == 1
