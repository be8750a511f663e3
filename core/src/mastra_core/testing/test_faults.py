"""The fault suite: a loopback chaos proxy between the storage and its service breaks the connection on purpose.

Collected only for harnesses that opt in (``fault_upstream`` + ``make_proxied_storage``); the storage under
test reaches its service through the proxy, with ``operation_timeout`` and ``connect_timeout`` set to BOUND.
For every fault: a batch lands whole or not at all, a read-modify-write is applied at most once (exactly once
when the call returns), the error is a ``StorageError`` that arrives within LIMIT (a generous multiple of the
bound), and the next call on the same storage object succeeds.

The one-shot faults (a request cut in half, a lost reply) are swept over every round trip of the operation:
fault at the 1st, 2nd, ... request until an operation finishes before the fault's turn comes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import pytest

from mastra_core import StorageError

from .factories import sample_message, sample_resource, sample_thread, uid

#: The configured bound (seconds) of every wait.
BOUND = 2.0
#: What a test accepts as "within the bound" (timing on a loaded CI machine varies; a hang does not).
LIMIT = 15.0
#: The most round trips a swept operation may take (a sweep that never ends is a failure).
MAX_TRIPS = 40


async def proxied(make_proxied: Any) -> Any:
    """A storage through the proxy with every wait bounded by BOUND."""
    return await make_proxied(operation_timeout=BOUND, connect_timeout=BOUND)


async def attempt(call: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
    """Run ``call``: (True, result) or (False, the StorageError); anything else fails the test; within LIMIT."""
    started = time.monotonic()
    try:
        result = await call()
        ok = True
    except StorageError as exc:
        result, ok = exc, False
    elapsed = time.monotonic() - started
    assert elapsed < LIMIT, f"took {elapsed:.1f} s with every wait bounded by {BOUND} s"
    return ok, result


def appender(tag: str) -> Callable[[Any], Any]:
    """A read-modify-write that appends ``tag`` to the working memory (applied twice, it shows twice)."""

    def change(old: Any) -> Any:
        assert old is not None
        return attrs.evolve(old, working_memory=(old.working_memory or "") + tag)

    return change


def titler(tag: str) -> Callable[[Any], Any]:
    """A read-modify-write that appends ``tag`` to a thread's title."""

    def change(old: Any) -> Any:
        return attrs.evolve(old, title=(old.title or "") + tag)

    return change


async def sweep(chaos: Any, arm: Callable[[int], None], step: Callable[[int], Awaitable[None]]) -> int:
    """Arm the fault at request k = 1, 2, ... and run ``step(k)``; stop when the fault no longer fires."""
    for k in range(1, MAX_TRIPS + 1):
        before = chaos.fired
        arm(k)
        await step(k)
        chaos.heal()
        if chaos.fired == before:
            assert k > 1, "the fault never fired: the operation made no request"
            return k
    raise AssertionError(f"the operation still made requests after {MAX_TRIPS} round trips")


#: The one-shot faults, armed at request k.
ONE_SHOT: dict[str, Callable[[Any, int], None]] = {
    "lost_reply": lambda chaos, k: chaos.lose_reply(k),
    "cut_request": lambda chaos, k: chaos.cut_request(k),
}


@pytest.mark.parametrize("fault", sorted(ONE_SHOT))
async def test_modify_resource_is_applied_exactly_once(fault: str, make_proxied: Any, chaos: Any) -> None:
    storage = await proxied(make_proxied)
    memory = storage.get_store("memory")
    rid = uid("resource-")
    await memory.save_resource(resource=sample_resource(id=rid, working_memory="[0]"))
    expected = "[0]"

    async def step(k: int) -> None:
        nonlocal expected
        tag = f"[{k}]"
        ok, _ = await attempt(lambda: memory.modify_resource(resource_id=rid, change=appender(tag)))
        chaos.heal()
        got = (await memory.get_resource_by_id(resource_id=rid)).working_memory
        if ok:
            assert got == expected + tag, f"fault at request {k}: applied {got.count(tag)} times"
        else:
            assert got in (expected, expected + tag), f"fault at request {k}: {got!r} after {expected!r}"
        expected = got

    await sweep(chaos, lambda k: ONE_SHOT[fault](chaos, k), step)


@pytest.mark.parametrize("fault", sorted(ONE_SHOT))
async def test_modify_thread_is_applied_exactly_once(fault: str, make_proxied: Any, chaos: Any) -> None:
    storage = await proxied(make_proxied)
    memory = storage.get_store("memory")
    thread = sample_thread(title="t")
    await memory.save_thread(thread=thread)
    expected = "t"

    async def step(k: int) -> None:
        nonlocal expected
        tag = f"[{k}]"
        ok, _ = await attempt(lambda: memory.modify_thread(thread_id=thread.id, change=titler(tag)))
        chaos.heal()
        got = (await memory.get_thread_by_id(thread_id=thread.id)).title
        if ok:
            assert got == expected + tag, f"fault at request {k}: applied {got.count(tag)} times"
        else:
            assert got in (expected, expected + tag), f"fault at request {k}: {got!r} after {expected!r}"
        expected = got

    await sweep(chaos, lambda k: ONE_SHOT[fault](chaos, k), step)


@pytest.mark.parametrize("fault", sorted(ONE_SHOT))
async def test_message_batch_is_all_or_nothing(fault: str, make_proxied: Any, chaos: Any) -> None:
    storage = await proxied(make_proxied)
    memory = storage.get_store("memory")
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    total = 0

    async def step(k: int) -> None:
        nonlocal total
        batch = [sample_message(thread.id, text=f"m{k}-{i}") for i in range(5)]
        ok, _ = await attempt(lambda: memory.save_messages(messages=batch))
        chaos.heal()
        got = await memory.list_messages_by_id(message_ids=[m.id for m in batch])
        assert len(got) in ((5,) if ok else (0, 5)), f"fault at request {k}: {len(got)} of 5 messages stored"
        total += len(got)
        page = await memory.list_messages(thread_id=thread.id, per_page=False)
        assert len(page.items) == total

    await sweep(chaos, lambda k: ONE_SHOT[fault](chaos, k), step)


@pytest.mark.parametrize("fault", sorted(ONE_SHOT))
async def test_clone_thread_is_all_or_nothing_and_once(fault: str, make_proxied: Any, chaos: Any) -> None:
    storage = await proxied(make_proxied)
    memory = storage.get_store("memory")
    source = sample_thread()
    await memory.save_thread(thread=source)
    await memory.save_messages(messages=[sample_message(source.id, text=f"s{i}") for i in range(3)])

    async def step(k: int) -> None:
        new_id = uid("clone-")
        ok, _ = await attempt(lambda: memory.clone_thread(source_thread_id=source.id, new_thread_id=new_id))
        chaos.heal()
        thread = await memory.get_thread_by_id(thread_id=new_id)
        copies = (await memory.list_messages(thread_id=new_id, per_page=False)).items
        if ok:
            assert thread is not None and len(copies) == 3, f"fault at request {k}: {len(copies)} copies"
        else:
            assert (thread is None and not copies) or (thread is not None and len(copies) == 3), (
                f"fault at request {k}: half a clone ({thread is not None}, {len(copies)} copies)"
            )

    await sweep(chaos, lambda k: ONE_SHOT[fault](chaos, k), step)


async def recovers(memory: Any, rid: str, expected: str) -> None:
    """The same storage object works again: a write lands once and reads back."""
    await memory.modify_resource(resource_id=rid, change=appender("[after]"))
    got = (await memory.get_resource_by_id(resource_id=rid)).working_memory
    assert got == expected + "[after]"


async def test_stall_fails_within_the_bound_and_recovers(make_proxied: Any, chaos: Any) -> None:
    storage = await proxied(make_proxied)
    memory = storage.get_store("memory")
    rid = uid("resource-")
    await memory.save_resource(resource=sample_resource(id=rid, working_memory="[0]"))
    chaos.stall()
    ok, error = await attempt(lambda: memory.modify_resource(resource_id=rid, change=appender("[1]")))
    assert not ok, "a write went through a stalled connection"
    assert isinstance(error, StorageError)
    ok, _ = await attempt(lambda: memory.get_resource_by_id(resource_id=rid))
    assert not ok, "a read went through a stalled connection"
    chaos.heal()
    got = (await memory.get_resource_by_id(resource_id=rid)).working_memory
    assert got in ("[0]", "[0][1]")
    await recovers(memory, rid, got)


async def test_trickle_is_bounded_and_recovers(make_proxied: Any, chaos: Any) -> None:
    storage = await proxied(make_proxied)
    memory = storage.get_store("memory")
    rid = uid("resource-")
    await memory.save_resource(resource=sample_resource(id=rid, working_memory="[0]" + "x" * 4000))
    chaos.trickle()
    ok, result = await attempt(lambda: memory.get_resource_by_id(resource_id=rid))
    if ok:
        assert result.working_memory.startswith("[0]")
    ok, _ = await attempt(lambda: memory.modify_resource(resource_id=rid, change=appender("[1]")))
    chaos.heal()
    got = (await memory.get_resource_by_id(resource_id=rid)).working_memory
    assert got in ("[0]" + "x" * 4000, "[0]" + "x" * 4000 + "[1]")
    if ok:
        assert got.endswith("[1]")
    await recovers(memory, rid, got)


async def test_connection_refused_fails_within_the_bound_and_recovers(make_proxied: Any, chaos: Any) -> None:
    storage = await proxied(make_proxied)
    memory = storage.get_store("memory")
    rid = uid("resource-")
    await memory.save_resource(resource=sample_resource(id=rid, working_memory="[0]"))
    await chaos.stop_listening()
    chaos.kill_connections()
    ok, error = await attempt(lambda: memory.modify_resource(resource_id=rid, change=appender("[1]")))
    assert not ok, "a write went through a refused connection"
    await chaos.resume_listening()
    got = (await memory.get_resource_by_id(resource_id=rid)).working_memory
    assert got == "[0]"
    await recovers(memory, rid, got)


async def test_killed_session_is_replaced(make_proxied: Any, chaos: Any) -> None:
    storage = await proxied(make_proxied)
    memory = storage.get_store("memory")
    rid = uid("resource-")
    await memory.save_resource(resource=sample_resource(id=rid, working_memory="[0]"))
    chaos.kill_connections()
    ok, _ = await attempt(lambda: memory.modify_resource(resource_id=rid, change=appender("[1]")))
    got = (await memory.get_resource_by_id(resource_id=rid)).working_memory
    assert got == "[0][1]" if ok else got in ("[0]", "[0][1]")
    await recovers(memory, rid, got)
