"""init(): collections, the reference's indexes, TTL indexes, custom indexes; documents in the reference's shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from mastra_core import records as r
from mastra_mongodb.schema import COLLECTIONS

SEED_COLLECTIONS = {"mastra_threads", "mastra_messages", "mastra_resources", "mastra_workflow_snapshot",
                    "mastra_scorers", "mastra_ai_spans", "mastra_evals", "mastra_traces"}

#: Reference section 4.4 (key pattern, unique?)
REFERENCE_INDEXES = {
    "mastra_threads": [({"id": 1}, True), ({"resourceId": 1}, False), ({"createdAt": -1}, False),
                       ({"updatedAt": -1}, False)],
    "mastra_messages": [({"id": 1}, True), ({"thread_id": 1}, False), ({"resourceId": 1}, False),
                        ({"createdAt": -1}, False), ({"thread_id": 1, "createdAt": 1}, False)],
    "mastra_resources": [({"id": 1}, True), ({"createdAt": -1}, False), ({"updatedAt": -1}, False)],
    "mastra_workflow_snapshot": [({"workflow_name": 1, "run_id": 1}, True), ({"run_id": 1}, False),
                                 ({"workflow_name": 1}, False), ({"resourceId": 1}, False), ({"createdAt": -1}, False),
                                 ({"snapshot.status": 1}, False)],
    "mastra_scorers": [({"id": 1}, True), ({"scorerId": 1}, False), ({"runId": 1}, False),
                       ({"entityId": 1, "entityType": 1}, False), ({"traceId": 1, "spanId": 1}, False),
                       ({"createdAt": -1}, False), ({"source": 1}, False)],
    "mastra_ai_spans": [({"spanId": 1, "traceId": 1}, True), ({"traceId": 1}, False), ({"parentSpanId": 1}, False),
                        ({"startedAt": -1}, False), ({"spanType": 1}, False), ({"name": 1}, False)],
}


async def indexes(store: Any, collection: str) -> list[dict[str, Any]]:
    return await (await store.db[collection].list_indexes()).to_list(None)


def keys(index: dict[str, Any]) -> dict[str, Any]:
    return {k: int(v) for k, v in dict(index["key"]).items()}


async def test_init_creates_every_seed_collection_with_the_reference_indexes(store: Any) -> None:
    assert SEED_COLLECTIONS <= set(COLLECTIONS)
    for collection in COLLECTIONS:
        found = await indexes(store, collection)
        assert len(found) >= 2, collection  # exists: _id plus at least one of ours
        for pattern, unique in REFERENCE_INDEXES.get(collection, []):
            match = [i for i in found if keys(i) == pattern]
            assert match, f"{collection} lacks {pattern}"
            assert bool(match[0].get("unique")) is unique, f"{collection} {pattern} unique={unique}"


async def test_init_is_idempotent(store: Any) -> None:
    before = {c: sorted(i["name"] for i in await indexes(store, c)) for c in COLLECTIONS}
    for name in store.domains:
        await store.get_store(name)._init()
    after = {c: sorted(i["name"] for i in await indexes(store, c)) for c in COLLECTIONS}
    assert before == after


async def test_skip_default_indexes_keeps_only_the_unique_keys(make_store: Any) -> None:
    store = await make_store(skip_default_indexes=True)
    threads = [keys(i) for i in await indexes(store, "mastra_threads")]
    assert sorted(map(str, threads)) == sorted(map(str, [{"_id": 1}, {"id": 1}]))
    spans = [keys(i) for i in await indexes(store, "mastra_ai_spans")]
    assert {"spanId": 1, "traceId": 1} in spans and {"traceId": 1} not in spans


async def test_custom_indexes_are_created(make_store: Any) -> None:
    store = await make_store(indexes=[
        {"collection": "mastra_messages", "keys": {"resourceId": 1, "createdAt": -1},
         "options": {"name": "by_resource_time"}},
        {"collection": "mastra_threads", "keys": [("title", 1)]},
    ])
    msg = {i["name"]: keys(i) for i in await indexes(store, "mastra_messages")}
    assert msg["by_resource_time"] == {"resourceId": 1, "createdAt": -1}
    assert {"title": 1} in [keys(i) for i in await indexes(store, "mastra_threads")]


async def test_ttl_index_and_expiry_only_for_configured_entities(make_store: Any) -> None:
    store = await make_store(ttl={"message": {"default_ttl_seconds": 60}})
    ttl = [i for i in await indexes(store, "mastra_messages") if keys(i) == {"expiresAt": 1}]
    assert len(ttl) == 1 and ttl[0]["expireAfterSeconds"] == 0
    assert not [i for i in await indexes(store, "mastra_threads") if keys(i) == {"expiresAt": 1}]
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="r"))
    await store.memory.save_messages(messages=[r.Message.from_text("hi", id="m", thread_id="t", resource_id="r")])
    doc = await store.db["mastra_messages"].find_one({"id": "m"})
    left = doc["expiresAt"] - datetime.now(UTC)
    assert timedelta(seconds=55) < left <= timedelta(seconds=60)
    assert "expiresAt" not in await store.db["mastra_threads"].find_one({"id": "t"})


async def test_documents_use_the_reference_field_names(store: Any) -> None:
    created = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    await store.memory.save_thread(thread=r.Thread(id="t1", resource_id="res", title="T", metadata={"a": {"b": 1}},
                                                   created_at=created, updated_at=created))
    await store.memory.save_messages(messages=[r.Message.from_text("hello", id="m1", thread_id="t1", resource_id="res",
                                                                   created_at=created)])
    await store.memory.save_resource(resource=r.Resource(id="res", working_memory="# wm", metadata={"k": "v"}))
    await store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="run", snapshot={"status": "running"},
                                                    resource_id="res")
    thread = await store.db["mastra_threads"].find_one({"id": "t1"})
    assert {k: thread[k] for k in ("id", "resourceId", "title", "metadata")} == {
        "id": "t1", "resourceId": "res", "title": "T", "metadata": {"a": {"b": 1}}}
    assert thread["createdAt"] == created and isinstance(thread["updatedAt"], datetime)
    message = await store.db["mastra_messages"].find_one({"id": "m1"})
    stored = (message["thread_id"], message["resourceId"], message["role"], message["type"])
    assert stored == ("t1", "res", "user", "v2")
    assert isinstance(message["content"], str) and '"format":2' in message["content"]
    assert message["createdAt"] == created
    resource = await store.db["mastra_resources"].find_one({"id": "res"})
    assert resource["workingMemory"] == "# wm" and resource["metadata"] == '{"k":"v"}'
    run = await store.db["mastra_workflow_snapshot"].find_one({"workflow_name": "wf", "run_id": "run"})
    assert run["snapshot"] == {"status": "running"} and run["resourceId"] == "res"


async def test_documents_written_by_the_reference_are_read(store: Any) -> None:
    created = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    # no seq, rev or expiresAt; resource metadata as JSON text; snapshot as JSON text (older builds)
    await store.db["mastra_threads"].insert_one({"id": "rt", "resourceId": "rr", "title": "old", "metadata": {"x": 1},
                                                 "createdAt": created, "updatedAt": created})
    await store.db["mastra_messages"].insert_many([
        {"id": f"rm{i}", "thread_id": "rt", "resourceId": "rr", "role": "user", "type": "v2",
         "createdAt": created + timedelta(seconds=i),
         "content": json.dumps({"format": 2, "parts": [{"type": "text", "text": f"t{i}"}]})} for i in range(3)])
    await store.db["mastra_resources"].insert_one({"id": "rr", "workingMemory": "wm", "metadata": '{"m":true}',
                                                   "createdAt": created, "updatedAt": created})
    await store.db["mastra_workflow_snapshot"].insert_one({"workflow_name": "w", "run_id": "r1",
                                                           "snapshot": '{"status":"success"}',
                                                           "createdAt": created, "updatedAt": created})
    thread = await store.memory.get_thread_by_id(thread_id="rt")
    assert (thread.title, thread.metadata, thread.created_at) == ("old", {"x": 1}, created)
    page = await store.memory.list_messages(thread_id="rt", per_page=2, page=0)
    assert [m.content.parts[0].text for m in page] == ["t0", "t1"] and page.total == 3 and page.has_more
    assert (await store.memory.get_resource_by_id(resource_id="rr")).metadata == {"m": True}
    assert await store.workflows.load_workflow_snapshot(workflow_name="w", run_id="r1") == {"status": "success"}
    updated = await store.memory.update_thread(id="rt", title="new")
    assert updated.title == "new" and updated.created_at == created


async def test_init_records_the_schema_version(store: Any) -> None:
    from mastra_mongodb.schema import SCHEMA_VERSION

    doc = await store.db["mastra_schema_version"].find_one({"_id": "mongodb"})
    assert doc["version"] == SCHEMA_VERSION and isinstance(doc["updatedAt"], datetime)
    await store.db["mastra_schema_version"].update_one({"_id": "mongodb"}, {"$set": {"version": SCHEMA_VERSION + 5}})
    await store.connection.record_schema_version()  # a newer layout is never lowered
    assert (await store.db["mastra_schema_version"].find_one({"_id": "mongodb"}))["version"] == SCHEMA_VERSION + 5
