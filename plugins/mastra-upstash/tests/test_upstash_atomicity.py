"""All-or-nothing writes: a connection cut half-way through a save_messages request writes nothing; a reply lost
after the script ran leaves everything written; concurrent read-modify-writes lose no update.

On both transports: the cutting proxy sits in front of Redis (Redis protocol) or of the REST stand-in (HTTP)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from mastra_core import ErrorCategory, StorageError
from mastra_core.clock import epoch_ms, utc_now
from mastra_core.records import Message, MessageContent, TextPart, Thread
from upstash_helpers import CuttingProxy, no_retry_client, redis_url, rest_env


def _msgs(thread_id: str, n: int, start) -> list[Message]:
    return [Message(id=f"{thread_id}-m{i}", role="user", thread_id=thread_id, resource_id="r",
                    created_at=start + timedelta(milliseconds=i),
                    content=MessageContent(parts=[TextPart(text="x" * 200)]))
            for i in range(n)]


@pytest.fixture
async def proxy(transport):
    parts = urlsplit(rest_env()[0] if transport == "rest" else redis_url())
    p = CuttingProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    await p.start()
    yield p
    await p.stop()


def through(proxy, transport) -> dict:
    """The store config that reaches the server through ``proxy``."""
    return {"url": proxy.http_url} if transport == "rest" else {"url": proxy.url}


class _NoClient:
    async def aclose(self) -> None:
        pass


async def _store_through(proxy, make_store, transport):
    """A store through the proxy that surfaces a dropped connection at once (no retries)."""
    if transport == "rest":
        client = _NoClient()
        store = await make_store(url=proxy.http_url, retries=0)
    else:
        client = no_retry_client(proxy.url)
        store = await make_store(client=client)
    t0 = utc_now() - timedelta(minutes=1)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
    await store.memory.save_messages(messages=_msgs("warm", 1, t0))  # loads the script
    return store, client, t0


async def test_connection_cut_mid_request_writes_nothing(proxy, make_store, raw, transport) -> None:
    store, client, t0 = await _store_through(proxy, make_store, transport)
    before = await raw.hgetall(f"{store.prefix}thread:t")
    proxy.mode = "cut-request"
    with pytest.raises(StorageError) as info:
        await store.memory.save_messages(messages=_msgs("t", 10, t0))
    assert info.value.category == ErrorCategory.THIRD_PARTY
    p = store.prefix
    assert await raw.exists(*(f"{p}message:t-m{i}" for i in range(10))) == 0
    assert await raw.zcard(f"{p}thread:t:messages") == 0
    assert await raw.hgetall(f"{p}thread:t") == before  # not bumped either
    await client.aclose()


async def test_reply_lost_after_the_script_ran_leaves_everything_written(proxy, make_store, raw, transport) -> None:
    store, client, t0 = await _store_through(proxy, make_store, transport)
    proxy.mode = "drop-reply"
    with pytest.raises(StorageError):
        await store.memory.save_messages(messages=_msgs("t", 10, t0))
    p = store.prefix
    assert await raw.exists(*(f"{p}message:t-m{i}" for i in range(10))) == 10
    members = await raw.zrange(f"{p}thread:t:messages", 0, -1)
    assert [m.split(":", 1)[1] for m in members] == [f"t-m{i}" for i in range(10)]
    await client.aclose()


async def test_concurrent_working_memory_updates_lose_nothing(make_store) -> None:
    store = await make_store()
    other = await make_store(prefix=store.prefix)  # a second process's store on the same keys

    def add(tag: str):
        def change(old):
            import attrs
            from mastra_core.records import Resource

            if old is None:
                now = utc_now()
                return Resource(id="r", working_memory=tag, metadata={}, created_at=now, updated_at=now)
            return attrs.evolve(old, working_memory=f"{old.working_memory},{tag}")
        return change

    await asyncio.gather(*(s.memory.modify_resource(resource_id="r", change=add(str(i)))
                           for i in range(40) for s in ((store, other)[i % 2],)))
    res = await store.memory.get_resource_by_id(resource_id="r")
    assert sorted(res.working_memory.split(","), key=int) == [str(i) for i in range(40)]


async def test_concurrent_workflow_step_results_all_land(make_store) -> None:
    store = await make_store()
    await store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="run",
                                                    snapshot={"status": "running", "context": {}})
    await asyncio.gather(*(store.workflows.update_workflow_results(workflow_name="wf", run_id="run", step_id=f"s{i}",
                                                                   result={"i": i}) for i in range(30)))
    snap = await store.workflows.load_workflow_snapshot(workflow_name="wf", run_id="run")
    assert snap["context"] == {f"s{i}": {"i": i} for i in range(30)}


async def test_concurrent_saves_and_bumps_keep_the_thread_consistent(make_store, raw) -> None:
    store = await make_store()
    t0 = utc_now() - timedelta(minutes=1)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
    await asyncio.gather(*(store.memory.save_messages(messages=[Message(
        id=f"m{i}", role="user", thread_id="t", resource_id="r", created_at=t0,
        content=MessageContent(parts=[TextPart(text=str(i))]))]) for i in range(50)),
        *(store.memory.update_thread(id="t", metadata={f"k{i}": i}) for i in range(20)))
    thread = await store.memory.get_thread_by_id(thread_id="t")
    assert thread.metadata == {f"k{i}": i for i in range(20)}
    page = await store.memory.list_messages(thread_id="t", per_page=False)
    assert page.total == 50 and len({m.id for m in page.items}) == 50
    first = (await raw.zrange(f"{store.prefix}threads:updated", 0, 0))[0]
    score = await raw.zscore(f"{store.prefix}threads:updated", first)
    assert score == epoch_ms(thread.updated_at)  # the updated_at index moved with every bump


async def test_a_connection_the_server_closed_is_replaced_transparently(proxy, make_store, transport) -> None:
    """No health-check PINGs: a connection closed while idle (Upstash closes idle ones) fails once and is retried."""
    proxy.reconnect = True
    store = await make_store(**through(proxy, transport))
    t0 = utc_now()
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
    await proxy.close_connections()  # the kept-alive connection is gone under the client's feet
    await asyncio.sleep(0.05)
    assert (await store.memory.get_thread_by_id(thread_id="t")).id == "t"
    await store.memory.save_messages(messages=_msgs("t", 3, t0))
    assert (await store.memory.list_messages(thread_id="t")).total == 3


async def test_a_retried_compare_and_set_whose_reply_was_lost_applies_once(proxy, make_store, transport) -> None:
    """The client retries a script whose reply was lost; the write token makes the retry a no-op answered OK."""
    proxy.reconnect = True
    proxy.match = b"EVALSHA"  # lose the reply of the write script, not of the read before it
    store = await make_store(**through(proxy, transport))
    await store.memory.update_resource(resource_id="r", working_memory="a")

    def append(old):
        import attrs

        return attrs.evolve(old, working_memory=f"{old.working_memory}+b")

    proxy.mode = "drop-reply"
    await store.memory.modify_resource(resource_id="r", change=append)
    assert proxy.mode == "pass"  # the reply was dropped and the connection cut
    assert (await store.memory.get_resource_by_id(resource_id="r")).working_memory == "a+b"
    proxy.mode = "drop-reply"
    created = await store.agents.create_agent(agent={"id": "ag", "name": "A", "instructions": "i", "model": {}})
    assert (await store.agents.get_agent_by_id(id="ag")).name == created.name == "A"


async def test_a_merge_whose_reply_was_lost_is_answered_with_the_stored_resource(proxy, make_store, transport) -> None:
    """update_resource merges inside its script; the retry of a script whose reply was lost finds its write token and
    answers the stored record instead of merging again."""
    proxy.reconnect = True
    proxy.match = b"EVALSHA"
    store = await make_store(**through(proxy, transport))
    await store.memory.update_resource(resource_id="r", working_memory="a", metadata={"k": 0})
    proxy.mode = "drop-reply"
    got = await store.memory.update_resource(resource_id="r", metadata={"n": 1})
    assert proxy.mode == "pass"  # the reply was dropped and the connection cut
    stored = await store.memory.get_resource_by_id(resource_id="r")
    assert got == stored and stored.metadata == {"k": 0, "n": 1} and stored.working_memory == "a"



async def test_thread_and_workflow_merges_whose_reply_was_lost_apply_once(proxy, make_store, transport) -> None:
    """update_thread and update_workflow_results merge inside their script too: a retry after a lost reply answers
    the stored record (bumped once), never merging again."""
    proxy.reconnect = True
    proxy.match = b"EVALSHA"
    store = await make_store(**through(proxy, transport))
    t0 = utc_now() - timedelta(minutes=1)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r", metadata={"k": 0}, created_at=t0,
                                                 updated_at=t0))
    proxy.mode = "drop-reply"
    got = await store.memory.update_thread(id="t", title="x", metadata={"n": 1})
    assert proxy.mode == "pass"
    stored = await store.memory.get_thread_by_id(thread_id="t")
    assert got == stored and stored.metadata == {"k": 0, "n": 1} and stored.title == "x"
    await store.workflows.persist_workflow_snapshot(workflow_name="w", run_id="1", snapshot={"status": "running"})
    proxy.mode = "drop-reply"
    ctx = await store.workflows.update_workflow_results(workflow_name="w", run_id="1", step_id="s", result=1)
    assert proxy.mode == "pass" and ctx == {"s": 1}
    proxy.mode = "drop-reply"
    snap = await store.workflows.update_workflow_state(workflow_name="w", run_id="1", opts={"status": "success"})
    assert proxy.mode == "pass" and snap == await store.workflows.load_workflow_snapshot(workflow_name="w", run_id="1")
    assert snap["status"] == "success" and snap["context"] == {"s": 1}
