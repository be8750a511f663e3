"""TTL: any attribute name is written (epoch seconds), expired items are hidden before DynamoDB deletes them."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest
from dynamodb_helpers import message, thread
from mastra_core.errors import ConfigError


async def test_custom_attribute_names_are_written_in_epoch_seconds(make_store: Any) -> None:
    store = await make_store(ttl_attribute="expiresAt", ttl={
        "thread": {"attribute_name": "expiresAt", "default_ttl_seconds": 3600},
        "message": {"attributeName": "msg_expiry_epoch", "defaultTtlSeconds": 600},
        "workflow_snapshot": {"attribute_name": "wfTtl", "default_ttl_seconds": 60},
        "score": {"enabled": False, "attribute_name": "never", "default_ttl_seconds": 60},
    })
    await store.init()
    t = await store.memory.save_thread(thread=thread())
    m = message(t.id, "hi")
    await store.memory.save_messages(messages=[m])
    await store.workflows.persist_workflow_snapshot(workflow_name="w", run_id="r", snapshot={"status": "running"})
    s = await store.scores.save_score(score={"scorer_id": "s", "run_id": "r", "entity_id": "e", "score": 1,
                                             "scorer": {}, "entity": {}, "source": "LIVE"})
    now = time.time()

    def raw(pk: str, sk: str) -> dict[str, Any]:
        return store.client.get_item(TableName=store.table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"]

    th = raw(f"THREAD#{t.id}", "THREAD")
    assert abs(int(th["expiresAt"]["N"]) - (now + 3600)) <= 2 and "ttl" not in th
    ms = raw(f"MSG#{m.id}", "MSG")
    assert abs(int(ms["msg_expiry_epoch"]["N"]) - (now + 600)) <= 2
    assert int(ms["msg_expiry_epoch"]["N"]) == math.ceil(int(ms["expMs"]["N"]) / 1000)
    assert abs(int(raw("WF#w", "RUN#r")["wfTtl"]["N"]) - (now + 60)) <= 2
    sc = raw(f"SCORE#{s.id}", "SCORE")
    assert "never" not in sc and "expMs" not in sc
    ttl = store.client.describe_time_to_live(TableName=store.table_name)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiresAt"


async def test_expired_items_are_hidden_although_still_stored(make_store: Any) -> None:
    store = await make_store(ttl={"thread": {"default_ttl_seconds": 1}, "message": {"default_ttl_seconds": 1}})
    await store.init()
    t = await store.memory.save_thread(thread=thread())
    m = message(t.id, "bye")
    await store.memory.save_messages(messages=[m])
    assert (await store.memory.list_messages(thread_id=t.id)).total == 1
    await asyncio.sleep(1.3)
    assert await store.memory.get_thread_by_id(thread_id=t.id) is None
    page = await store.memory.list_messages(thread_id=t.id)
    assert page.items == [] and page.total == 0
    assert await store.memory.list_messages_by_id(message_ids=[m.id]) == []
    still = store.client.get_item(TableName=store.table_name, Key={"pk": {"S": f"MSG#{m.id}"}, "sk": {"S": "MSG"}})
    assert "Item" in still  # DynamoDB deletes late; reads hid it anyway


@pytest.mark.parametrize("name", ["pk", "sk", "gsi1sk", "data", "expMs", "entity"])
async def test_ttl_attribute_may_not_clobber_store_attributes(make_store: Any, name: str) -> None:
    with pytest.raises(ConfigError) as info:
        await make_store(create=False, ttl={"message": {"attribute_name": name, "default_ttl_seconds": 60}})
    assert name in str(info.value)
