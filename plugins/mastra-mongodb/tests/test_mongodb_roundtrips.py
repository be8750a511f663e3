"""Commands per operation (counted by pymongo's command monitoring) and reads that touch only what they return."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from conftest import is_jongodb
from mastra_core import records as r
from mastra_core.clock import utc_now
from pymongo import monitoring


class Recorder(monitoring.CommandListener):
    """Every command a client sends, with how many documents each reply carried."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.docs_returned = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in ("hello", "isMaster", "buildInfo", "endSessions"):
            self.commands.append((event.command_name, dict(event.command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        cursor = event.reply.get("cursor") if isinstance(event.reply, dict) else None
        if cursor:
            self.docs_returned += len(cursor.get("firstBatch", ())) + len(cursor.get("nextBatch", ()))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def reset(self) -> None:
        self.commands.clear()
        self.docs_returned = 0

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.commands]


@pytest.fixture
async def recorded(make_store: Any, uri: str) -> tuple[Any, Recorder]:
    from pymongo import AsyncMongoClient

    rec = Recorder()
    client: Any = AsyncMongoClient(uri, tz_aware=True, event_listeners=[rec])
    store = await make_store(client=client)
    yield store, rec
    await client.close()


async def fill(store: Any, n: int) -> list[r.Message]:
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    t0 = utc_now() - timedelta(hours=1)
    msgs = [r.Message.from_text(f"m{i}", id=f"m{i:04d}", thread_id="t", resource_id="res",
                                created_at=t0 + timedelta(milliseconds=i))
            for i in range(n)]
    for i in range(0, n, 500):
        await store.memory.save_messages(messages=msgs[i:i + 500])
    return msgs


async def test_get_thread_by_id_is_one_command(recorded: tuple[Any, Recorder]) -> None:
    store, rec = recorded
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    rec.reset()
    assert (await store.memory.get_thread_by_id(thread_id="t")).id == "t"
    assert rec.names == ["find"]


async def test_save_messages_is_one_insert_plus_the_thread_bump(recorded: tuple[Any, Recorder]) -> None:
    store, rec = recorded
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    rec.reset()
    await store.memory.save_messages(messages=[
        r.Message.from_text(f"x{i}", id=f"x{i}", thread_id="t", resource_id="res") for i in range(10)])
    if store.supports_transactions:  # one bulk of 10 upserts, the bump, the commit
        assert rec.names == ["update", "update", "commitTransaction"]
        assert [len(c["updates"]) for _, c in rec.commands[:2]] == [10, 1]
    else:  # one insert of 10 documents and the bump, sent concurrently
        assert sorted(rec.names) == ["insert", "update"]
        assert [len(c["documents"]) for n, c in rec.commands if n == "insert"] == [10]
        assert [c["update"] for n, c in rec.commands if n == "update"] == ["mastra_threads"]


async def test_saving_stored_messages_again_upserts_only_those(recorded: tuple[Any, Recorder]) -> None:
    store, rec = recorded
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    first = [r.Message.from_text(f"x{i}", id=f"x{i}", thread_id="t", resource_id="res") for i in range(3)]
    await store.memory.save_messages(messages=first)
    before = {d["id"]: (d["createdAt"], d["seq"]) for d in await store.db["mastra_messages"].find().to_list(None)}
    rec.reset()
    again = [r.Message.from_text("edited", id="x0", thread_id="t", resource_id="res"),
             r.Message.from_text("new", id="x9", thread_id="t", resource_id="res")]
    await store.memory.save_messages(messages=again)
    inserts = [len(c["documents"]) for n, c in rec.commands if n == "insert"]
    upserts = [len(c["updates"]) for n, c in rec.commands if n == "update" and c["update"] == "mastra_messages"]
    if store.supports_transactions:  # one bulk of upserts in the transaction
        assert (inserts, upserts) == ([], [2])
    elif is_jongodb():  # the server refuses the whole insert: one read finds the stored id, the new one is inserted
        assert (inserts, upserts, rec.names.count("distinct")) == ([2, 1], [1], 1)
    else:  # MongoDB inserts the new one and reports the stored one
        assert (inserts, upserts) == ([2], [1])
    page = await store.memory.list_messages(thread_id="t", per_page=False)
    assert [m.id for m in page] == ["x0", "x1", "x2", "x9"]
    assert page.items[0].content == again[0].content
    after = {d["id"]: (d["createdAt"], d["seq"]) for d in await store.db["mastra_messages"].find().to_list(None)}
    assert all(after[k] == v for k, v in before.items())  # a saved-again message keeps its time and sequence


async def test_a_page_of_the_last_messages_reads_only_that_page(recorded: tuple[Any, Recorder]) -> None:
    store, rec = recorded
    msgs = await fill(store, 600)
    rec.reset()
    page = await store.memory.list_messages(thread_id="t", per_page=10, order_by={"direction": "DESC"})
    assert [m.id for m in page] == [m.id for m in reversed(msgs[-10:])] and page.total == 600 and page.has_more
    assert rec.names == ["aggregate"]  # the page, then its count joined by $unionWith: one command
    stages = rec.commands[0][1]["pipeline"]
    assert stages[1:3] == [{"$sort": {"createdAt": -1, "seq": -1, "_id": -1}}, {"$limit": 10}]
    assert rec.docs_returned == 10 + 1  # ten messages and the count


async def test_a_thread_list_page_is_one_command(recorded: tuple[Any, Recorder]) -> None:
    store, rec = recorded
    for i in range(30):
        await store.memory.save_thread(thread=r.Thread(id=f"t{i}", resource_id="res" if i % 3 else "other"))
    rec.reset()
    page = await store.memory.list_threads(filter={"resource_id": "res"}, per_page=5, page=1)
    assert page.total == 20 and len(page.items) == 5 and page.has_more
    assert rec.names == ["aggregate"] and rec.docs_returned == 5 + 1
    rec.reset()
    empty = await store.memory.list_threads(filter={"resource_id": "nobody"}, per_page=5)
    assert empty.total == 0 and empty.items == [] and rec.names == ["aggregate"]
    beyond = await store.memory.list_threads(filter={"resource_id": "res"}, per_page=5, page=9)
    assert beyond.total == 20 and beyond.items == [] and not beyond.has_more


async def test_an_include_window_reads_only_the_neighbours(recorded: tuple[Any, Recorder]) -> None:
    store, rec = recorded
    msgs = await fill(store, 600)
    rec.reset()
    page = await store.memory.list_messages(thread_id="t", per_page=0, include=[
        {"id": msgs[300].id, "with_previous_messages": 3, "with_next_messages": 2}])
    assert [m.id for m in page] == [m.id for m in msgs[297:303]]
    # one aggregate: the count (per_page=0 reads no page) and the target; then one reading both windows with $limit
    assert rec.names == ["aggregate", "aggregate"]
    assert rec.docs_returned == 1 + 3 + 2 + 1  # target, neighbours, count
    if not is_jongodb():
        plan = await store.db.command("explain", {"find": "mastra_messages", "filter": {"thread_id": "t"},
                                                  "sort": {"createdAt": 1, "seq": 1, "_id": 1}, "limit": 5})
        assert "IXSCAN" in str(plan) and "SORT" not in str(plan["queryPlanner"]["winningPlan"]).replace("SORT_KEY", "")


async def test_a_page_with_include_windows_is_two_commands(recorded: tuple[Any, Recorder]) -> None:
    store, rec = recorded
    msgs = await fill(store, 60)
    rec.reset()
    page = await store.memory.list_messages(thread_id="t", per_page=5, order_by={"direction": "DESC"}, include=[
        {"id": msgs[10].id, "with_previous_messages": 1, "with_next_messages": 1},
        {"id": msgs[58].id, "with_previous_messages": 2}])
    assert page.total == 60 and page.has_more
    assert sorted(m.id for m in page) == sorted(m.id for m in msgs[9:12] + msgs[55:60])  # the order: the suite
    # the page, its count and the two targets in one aggregate; the three windows in a second
    assert rec.names == ["aggregate", "aggregate"]
    assert rec.docs_returned == 5 + 1 + 2 + 4
    rec.reset()
    empty = await store.memory.list_messages(thread_id="none", per_page=5, include=[
        {"id": msgs[10].id, "with_next_messages": 1}])
    assert empty.total == 0 and [m.id for m in empty] == [msgs[10].id, msgs[11].id]
    assert rec.names == ["aggregate", "aggregate"]


async def test_read_modify_writes_are_one_command_where_set_paths_say_the_merge(recorded: tuple[Any, Recorder]) -> None:
    """update_thread, working-memory update_resource and update_workflow_* are one findAndModify (merge.py); a
    metadata patch of a resource (JSON text, the reference's schema) and a caller's modify_* read first."""
    store, rec = recorded
    mem, wf = store.memory, store.workflows
    past = utc_now() - timedelta(hours=1)
    await mem.save_thread(thread=r.Thread(id="t", resource_id="res", metadata={"a": 1}, created_at=past,
                                          updated_at=past))
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="1", snapshot={"status": "running",
                                                                               "requestContext": {}})

    async def cost(coro: Any) -> list[str]:
        rec.reset()
        await coro
        return rec.names

    assert await cost(mem.update_thread(id="t", title="x", metadata={"b": {"c": [1]}})) == ["findAndModify"]
    assert (await mem.get_thread_by_id(thread_id="t")).metadata == {"a": 1, "b": {"c": [1]}}
    assert await cost(mem.update_resource(resource_id="new", working_memory="wm")) == ["findAndModify"]
    assert await cost(mem.update_resource(resource_id="new", working_memory="wm2")) == ["findAndModify"]
    assert (await mem.get_resource_by_id(resource_id="new")).working_memory == "wm2"
    assert await cost(mem.update_resource(resource_id="new", metadata={"m": 1})) == ["find", "update"]
    assert await cost(wf.update_workflow_results(workflow_name="w", run_id="1", step_id="s",
                                                 result={"ok": 1})) == ["findAndModify"]
    assert await cost(wf.update_workflow_results(workflow_name="w", run_id="2", step_id="s", result=1,
                                                 request_context={"u": 1})) == ["findAndModify"]  # inserted
    assert await cost(wf.update_workflow_state(workflow_name="w", run_id="1",
                                               opts={"status": "success"})) == ["findAndModify"]
    snap = await wf.load_workflow_snapshot(workflow_name="w", run_id="1")
    assert snap["status"] == "success" and snap["context"] == {"s": {"ok": 1}}
    assert await cost(mem.modify_thread(thread_id="t", change=lambda t: t)) == ["find", "update"]


async def test_the_one_command_merges_fall_back_where_set_paths_cannot_say_them(recorded: tuple[Any, Recorder]) -> None:
    """null metadata, a non-object context, a dotted key, a future updatedAt: the general path, same results."""
    store, rec = recorded
    mem, wf = store.memory, store.workflows
    future = utc_now() + timedelta(hours=1)
    await mem.save_thread(thread=r.Thread(id="t", resource_id="res", metadata=None))
    got = await mem.update_thread(id="t", metadata={"a.b": 1, "c": None})
    assert got.metadata == {"a.b": 1, "c": None} == (await mem.get_thread_by_id(thread_id="t")).metadata
    await mem.save_thread(thread=r.Thread(id="f", resource_id="res", created_at=future, updated_at=future))
    rec.reset()
    moved = await mem.update_thread(id="f", metadata={})
    assert moved.updated_at == future + timedelta(milliseconds=1) and moved.metadata == {}
    assert rec.names == ["findAndModify", "find", "update"]
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="1", snapshot={"status": "running", "context": []})
    assert await wf.update_workflow_results(workflow_name="w", run_id="1", step_id="s", result=1) == {"s": 1}
    rec.reset()
    assert await wf.update_workflow_state(workflow_name="w", run_id="none", opts={"status": "success"}) is None
    assert rec.names == ["findAndModify", "find"]  # nothing matched: the general path confirms and writes nothing
