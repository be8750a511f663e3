"""Random thread histories (saves, metadata updates, moves between resources, deletes, message bumps) give the same
list_threads answers as the in-memory spec, for every filter the indexes serve."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mastra_core import create_storage
from mastra_core.clock import utc_now
from mastra_core.records import Message, MessageContent, TextPart, Thread

values = st.sampled_from([1, 1.0, True, 0, None, "a", "b", [1], {"x": 1}, {"x": 1.0}])
meta = st.dictionaries(st.sampled_from(["k", "m"]), values, max_size=2)
op = st.one_of(
    st.tuples(st.just("save"), st.integers(0, 4), st.sampled_from(["r1", "r2"]), meta, st.integers(0, 3)),
    st.tuples(st.just("update"), st.integers(0, 4), meta),
    st.tuples(st.just("delete"), st.integers(0, 4)),
    st.tuples(st.just("message"), st.integers(0, 4)),
)
query = st.tuples(
    st.sampled_from([None, "r1", "r2"]), st.one_of(st.none(), meta), st.sampled_from(["created_at", "updated_at"]),
    st.sampled_from(["ASC", "DESC"]), st.sampled_from([(0, 100), (0, 2), (1, 2), (0, False), (0, 0)]),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=1, max_size=12), queries=st.lists(query, min_size=1, max_size=4))
async def test_list_threads_matches_the_in_memory_spec(make_store, ops, queries) -> None:
    store = await make_store()
    oracle = create_storage("inmemory", id="oracle")
    run = uuid.uuid4().hex[:6]
    t0 = utc_now() - timedelta(hours=1)
    for o in ops:
        for s in (store, oracle):
            mem = s.memory
            tid = f"{run}-t{o[1]}"
            if o[0] == "save":
                at = t0 + timedelta(milliseconds=o[4])  # few distinct timestamps: ties on created_at
                await mem.save_thread(thread=Thread(id=tid, resource_id=o[2], metadata=dict(o[3]),
                                                    created_at=at, updated_at=at))
            elif o[0] == "update" and await mem.get_thread_by_id(thread_id=tid) is not None:
                await mem.update_thread(id=tid, metadata=dict(o[2]))
            elif o[0] == "delete":
                await mem.delete_thread(thread_id=tid)
            elif o[0] == "message":
                message = Message(id=f"{run}-m{o[1]}", role="user", thread_id=tid, resource_id="r1",
                                  content=MessageContent(parts=[TextPart(text="x")]))
                await mem.save_messages(messages=[message])
    for rid, md, field, direction, (page, per_page) in queries:
        flt = {k: v for k, v in (("resource_id", rid), ("metadata", md)) if v is not None}
        args = {"filter": flt, "order_by": {"field": field, "direction": direction}, "page": page, "per_page": per_page}
        got = await store.memory.list_threads(**args)
        want = await oracle.memory.list_threads(**args)
        assert [t.id for t in got.items] == [t.id for t in want.items], args
        assert (got.total, got.has_more) == (want.total, want.has_more), args
        assert [t.metadata for t in got.items] == [t.metadata for t in want.items]
    await oracle.close()
