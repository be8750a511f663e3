"""All or nothing: a failure in the middle of a batch leaves nothing half-written.

Failures are real database errors, injected with a trigger that aborts on a marked row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mastra_core import StorageError
from mastra_core.records import Message, MessageContent, TextPart, Thread
from mastra_libsql import LibSQLStore


def _msg(mid: str, thread: str = "t", text: str = "x") -> Message:
    return Message(
        id=mid, role="user", thread_id=thread, resource_id="r", content=MessageContent(parts=[TextPart(text=text)])
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[LibSQLStore]:
    s = LibSQLStore(id="tx", url=f"file:{tmp_path / 'tx.db'}")
    async with s:
        await s.memory.save_thread(thread=Thread(id="t", resource_id="r", title="T"))
        await s.memory.save_messages(messages=[_msg("keep", text="before")])
        yield s


async def _trigger(store: LibSQLStore, sql: str) -> None:
    await store.db.write(lambda db: db.execute(sql))


async def test_save_messages_rolls_back_when_the_thread_bump_fails(store: LibSQLStore) -> None:
    before = await store.memory.get_thread_by_id(thread_id="t")
    await _trigger(store, "CREATE TRIGGER boom BEFORE UPDATE ON mastra_threads BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(StorageError) as err:
        await store.memory.save_messages(messages=[_msg("a"), _msg("b"), _msg("keep", text="after")])
    assert "boom" in str(err.value)
    page = await store.memory.list_messages(thread_id="t", per_page=False)
    assert [m.id for m in page.items] == ["keep"] and page.items[0].content.parts[0].text == "before"
    assert await store.memory.get_thread_by_id(thread_id="t") == before


async def test_a_failing_row_in_a_large_batch_writes_none_of_it(store: LibSQLStore) -> None:
    await _trigger(
        store,
        "CREATE TRIGGER boom BEFORE INSERT ON mastra_messages WHEN NEW.id = 'm2500' "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END",
    )
    with pytest.raises(StorageError):
        await store.memory.save_messages(
            messages=[_msg(f"m{i}") for i in range(3000)]
        )  # spans several INSERT statements
    assert (await store.memory.list_messages(thread_id="t", per_page=False)).total == 1


async def test_clone_thread_is_one_transaction(store: LibSQLStore) -> None:
    await store.memory.save_messages(messages=[_msg(f"c{i}") for i in range(5)])
    await _trigger(
        store,
        "CREATE TRIGGER boom BEFORE INSERT ON mastra_messages WHEN NEW.thread_id = 'clone' "
        "AND (SELECT count(*) FROM mastra_messages WHERE thread_id = 'clone') >= 3 "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END",
    )
    with pytest.raises(StorageError):
        await store.memory.clone_thread(source_thread_id="t", new_thread_id="clone")
    assert await store.memory.get_thread_by_id(thread_id="clone") is None
    assert (await store.memory.list_messages(thread_id="clone", per_page=False)).total == 0
    await _trigger(store, "DROP TRIGGER boom")
    result = await store.memory.clone_thread(source_thread_id="t", new_thread_id="clone")
    assert len(result.cloned_messages) == 6


async def test_delete_thread_is_all_or_nothing(store: LibSQLStore) -> None:
    await _trigger(store, "CREATE TRIGGER boom BEFORE DELETE ON mastra_threads BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(StorageError):
        await store.memory.delete_thread(thread_id="t")
    assert (await store.memory.list_messages(thread_id="t")).total == 1  # the messages went back too


async def test_a_failing_change_writes_nothing(store: LibSQLStore) -> None:
    def change(thread: Thread) -> Thread:
        raise RuntimeError("change failed")

    with pytest.raises(StorageError) as err:
        await store.memory.modify_thread(thread_id="t", change=change)
    assert isinstance(err.value.__cause__, RuntimeError)
    assert (await store.memory.get_thread_by_id(thread_id="t")).title == "T"  # type: ignore[union-attr]
    assert not store.db.conn.in_transaction  # the connection is usable again


async def test_span_batch_is_all_or_nothing(store: LibSQLStore) -> None:
    from mastra_core.clock import utc_now

    await _trigger(
        store,
        "CREATE TRIGGER boom BEFORE INSERT ON mastra_ai_spans WHEN NEW.\"spanId\" = 's3' "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END",
    )
    spans = [
        {
            "traceId": "tr",
            "spanId": f"s{i}",
            "name": "n",
            "spanType": "generic",
            "startedAt": utc_now(),
            "parentSpanId": None if i == 0 else "s0",
        }
        for i in range(5)
    ]
    with pytest.raises(StorageError):
        await store.observability.batch_create_spans(records=spans)
    assert await store.observability.get_trace(trace_id="tr") is None


async def test_workflow_update_is_atomic(store: LibSQLStore) -> None:
    await store.workflows.persist_workflow_snapshot(
        workflow_name="wf", run_id="r", snapshot={"runId": "r", "status": "running", "context": {}}
    )
    await _trigger(
        store, "CREATE TRIGGER boom BEFORE UPDATE ON mastra_workflow_snapshot BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    with pytest.raises(StorageError):
        await store.workflows.update_workflow_state(workflow_name="wf", run_id="r", opts={"status": "success"})
    snap = await store.workflows.load_workflow_snapshot(workflow_name="wf", run_id="r")
    assert snap is not None and snap["status"] == "running"
