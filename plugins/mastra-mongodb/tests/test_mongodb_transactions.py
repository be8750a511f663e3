"""Multi-document writes: one transaction where the server has them, and what happens without."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import is_jongodb
from mastra_core import StorageError
from mastra_core import records as r

UNIQUE_CONTENT = [{"collection": "mastra_messages", "keys": {"content": 1}, "options": {"unique": True}}]


def msg(mid: str, text: str) -> r.Message:
    return r.Message.from_text(text, id=mid, thread_id="t", resource_id="res")


async def failing_batch(store: Any) -> Any:
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    await store.memory.save_messages(messages=[msg("a", "x")])
    before = (await store.memory.get_thread_by_id(thread_id="t")).updated_at
    # b is fine; c repeats a's content, which the custom unique index refuses mid-batch
    with pytest.raises(StorageError) as info:
        await store.memory.save_messages(messages=[msg("b", "y"), msg("c", "x")])
    assert info.value.id == "MASTRA_STORAGE_MONGODB_SAVE_MESSAGES_FAILED"
    return before


async def test_a_failed_batch_writes_nothing_in_a_transaction(make_store: Any) -> None:
    store = await make_store(indexes=UNIQUE_CONTENT, use_transactions=True)
    assert store.supports_transactions
    before = await failing_batch(store)
    assert [m.id for m in await store.memory.list_messages(thread_id="t")] == ["a"]
    assert (await store.memory.get_thread_by_id(thread_id="t")).updated_at == before


async def test_without_transactions_a_failed_batch_keeps_its_earlier_writes(make_store: Any) -> None:
    store = await make_store(indexes=UNIQUE_CONTENT, use_transactions=False)
    assert not store.supports_transactions
    await failing_batch(store)
    assert [m.id for m in await store.memory.list_messages(thread_id="t")] == ["a", "b"]


async def test_delete_thread_in_a_transaction_removes_thread_and_messages(make_store: Any) -> None:
    store = await make_store(use_transactions=True)
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    await store.memory.save_messages(messages=[msg("a", "x"), msg("b", "y")])
    await store.memory.delete_thread(thread_id="t")
    assert await store.db["mastra_messages"].count_documents({"thread_id": "t"}) == 0
    assert await store.memory.get_thread_by_id(thread_id="t") is None


async def test_transactions_are_probed(store: Any) -> None:
    if is_jongodb():
        # jongodb accepts transactions but loses concurrent commits: the store does not use them there
        assert store.connection.is_jongodb and not store.supports_transactions
    else:
        hello = await store.client.admin.command("hello")
        assert store.supports_transactions == ("setName" in hello or hello.get("msg") == "isdbgrid")


@pytest.mark.parametrize("transactions", [True, False])
async def test_clone_thread_copies_or_leaves_nothing(make_store: Any, transactions: bool) -> None:
    store = await make_store(indexes=UNIQUE_CONTENT, use_transactions=transactions)
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res", title="src"))
    await store.memory.save_messages(messages=[msg("a", "x"), msg("b", "y")])
    # the copies repeat the source's content, which the custom unique index refuses: nothing may remain
    with pytest.raises(StorageError):
        await store.memory.clone_thread(source_thread_id="t", new_thread_id="copy")
    assert await store.memory.get_thread_by_id(thread_id="copy") is None
    assert await store.db["mastra_messages"].count_documents({"thread_id": "copy"}) == 0


async def test_clone_thread_in_a_transaction(make_store: Any) -> None:
    store = await make_store(use_transactions=True)
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res", title="src"))
    await store.memory.save_messages(messages=[msg("a", "x"), msg("b", "y")])
    result = await store.memory.clone_thread(source_thread_id="t", new_thread_id="copy", options={"message_limit": 1})
    assert result.thread.id == "copy" and result.thread.title == "Clone of src"
    assert [m.content.text() for m in await store.memory.list_messages(thread_id="copy")] == ["y"]
    assert result.thread.metadata["clone"]["sourceThreadId"] == "t"
