"""Batches: unprocessed items are retried, transactions are all or nothing, oversized items fail clearly."""

from __future__ import annotations

import os
from typing import Any

import pytest
from dynamodb_helpers import message, thread
from mastra_core.errors import ErrorCategory, StorageError
from mastra_dynamodb.connection import Cancelled


class Unprocessed:
    """Fault injection on the REAL client: the first BatchWriteItem/BatchGetItem sends only half of its requests and
    reports the other half back as unprocessed, exactly as DynamoDB does under throttling."""

    def __init__(self, client: Any, op: str) -> None:
        self.client, self.op, self.held, self.calls = client, op, None, 0
        self.field = "UnprocessedItems" if op == "BatchWriteItem" else "UnprocessedKeys"

    def params(self, params: dict[str, Any], **_: Any) -> None:
        self.calls += 1
        if self.calls != 1:
            return
        (table, reqs), = params["RequestItems"].items()
        if self.op == "BatchWriteItem":
            keep, self.held = reqs[: len(reqs) // 2], {table: reqs[len(reqs) // 2:]}
            params["RequestItems"] = {table: keep}
        else:
            keys = reqs["Keys"]
            params["RequestItems"] = {table: {**reqs, "Keys": keys[: len(keys) // 2]}}
            self.held = {table: {**reqs, "Keys": keys[len(keys) // 2:]}}

    def after(self, parsed: dict[str, Any], **_: Any) -> None:
        if self.held is not None:
            parsed[self.field] = self.held
            self.held = None

    def __enter__(self) -> Unprocessed:
        events = self.client.meta.events
        events.register(f"provide-client-params.dynamodb.{self.op}", self.params)
        events.register(f"after-call.dynamodb.{self.op}", self.after)
        return self

    def __exit__(self, *_: Any) -> None:
        events = self.client.meta.events
        events.unregister(f"provide-client-params.dynamodb.{self.op}", self.params)
        events.unregister(f"after-call.dynamodb.{self.op}", self.after)


async def test_unprocessed_items_are_retried(store: Any) -> None:
    items = [{"pk": f"X#{i}", "sk": "X", "entity": "test", "v": i} for i in range(20)]
    with Unprocessed(store.client, "BatchWriteItem") as fault:
        await store.db.batch_write(puts=items)
    assert fault.calls == 2  # the unprocessed half went again
    with Unprocessed(store.client, "BatchGetItem") as fault:
        got = await store.db.batch_get([(f"X#{i}", "X") for i in range(20)])
    assert fault.calls == 2
    assert sorted(it["v"] for it in got) == list(range(20))


async def test_unprocessed_deletes_of_a_big_thread_are_retried(store: Any) -> None:
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    msgs = [message(t.id, f"m{i}") for i in range(150)]
    await mem.save_messages(messages=msgs)
    with Unprocessed(store.client, "BatchWriteItem") as fault:
        await mem.delete_thread(thread_id=t.id)
    assert fault.calls >= 2
    assert await mem.list_messages_by_id(message_ids=[m.id for m in msgs]) == []
    assert await mem.get_thread_by_id(thread_id=t.id) is None


async def test_a_cancelled_transaction_writes_nothing(store: Any) -> None:
    db = store.db
    ok = {"pk": "T#a", "sk": "T", "entity": "test"}
    doomed = {"pk": "T#b", "sk": "T", "entity": "test"}
    with pytest.raises(Cancelled) as info:
        await db.transact([{"Put": db.put_request(ok)},
                           {"Put": db.put_request(doomed, condition="attribute_exists(pk)")}])
    assert [code for code, _ in info.value.reasons] == ["None", "ConditionalCheckFailed"]
    assert await db.get("T#a", "T") is None and await db.get("T#b", "T") is None


async def test_save_messages_fails_whole_when_the_service_refuses_one(store: Any) -> None:
    """The service rejects the transaction (an action on a missing table): no message, counter or bump lands."""
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    before = await mem.get_thread_by_id(thread_id=t.id)
    msgs = [message(t.id, f"m{i}") for i in range(10)]

    def sabotage(params: dict[str, Any], **_: Any) -> None:
        params["TransactItems"][5]["Put"]["TableName"] = "no-such-table-mastra"

    events = store.client.meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", sabotage)
    try:
        with pytest.raises(StorageError) as info:
            await mem.save_messages(messages=msgs)
    finally:
        events.unregister("provide-client-params.dynamodb.TransactWriteItems", sabotage)
    assert info.value.category == ErrorCategory.THIRD_PARTY
    assert await mem.list_messages_by_id(message_ids=[m.id for m in msgs]) == []
    assert (await mem.list_messages(thread_id=t.id)).total == 0
    assert (await mem.get_thread_by_id(thread_id=t.id)).updated_at == before.updated_at


async def test_oversized_message_is_a_clear_error_and_writes_nothing(store: Any) -> None:
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    noise = os.urandom(450 * 1024).hex()  # incompressible, far over 400 KB
    msgs = [message(t.id, "before"), message(t.id, noise), message(t.id, "after")]
    with pytest.raises(StorageError) as info:
        await mem.save_messages(messages=msgs)
    assert info.value.id == "MASTRA_STORAGE_DYNAMODB_SAVE_MESSAGES_ITEM_TOO_LARGE"
    assert info.value.category == ErrorCategory.USER
    assert msgs[1].id in str(info.value) and "400" in str(info.value)
    assert await mem.list_messages_by_id(message_ids=[m.id for m in msgs]) == []


async def test_large_compressible_message_fits(store: Any) -> None:
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    big = "the quick brown fox " * 60000  # 1.2 MB of text, compresses far below 400 KB
    m = message(t.id, big)
    await mem.save_messages(messages=[m])
    (back,) = await mem.list_messages_by_id(message_ids=[m.id])
    assert back == m


async def test_two_hundred_fifty_messages_in_one_call(store: Any, counter: Any) -> None:
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    msgs = [message(t.id, f"m{i}") for i in range(250)]
    counter.reset()
    await mem.save_messages(messages=msgs)
    assert counter.ops == ["TransactWriteItems"] * 3  # ceil(250 / 98): the bump and counter ride in each
    page = await mem.list_messages(thread_id=t.id, per_page=False)
    assert [m.id for m in page] == [m.id for m in msgs] and page.total == 250


async def test_floats_become_decimals_and_round_trip(store: Any) -> None:
    s = await store.scores.save_score(score={"scorer_id": "s", "run_id": "r", "entity_id": "e", "score": 0.1 + 0.2,
                                             "scorer": {"w": 1.5e-7}, "entity": {}, "source": "LIVE"})
    back = await store.scores.get_score_by_id(id=s.id)
    assert back.score == 0.1 + 0.2 and back.scorer == {"w": 1.5e-7}
    raw = store.client.get_item(TableName=store.table_name, Key={"pk": {"S": f"SCORE#{s.id}"}, "sk": {"S": "SCORE"}})
    assert raw["Item"]["score"] == {"N": "0.30000000000000004"}
