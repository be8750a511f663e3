"""Property-based: random operation sequences give the same results on libSQL and on the in-memory reference."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mastra_core import create_storage
from mastra_core.records import Message, MessageContent, TextPart, Thread
from mastra_libsql import LibSQLStore

BASE = datetime(2025, 1, 1, tzinfo=UTC)
THREADS = ["t0", "t1", "t2"]
IDS = [f"m{i}" for i in range(12)]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([1.0, 2.5, -0.0]),
    st.sampled_from(["a", "b", "", "1", "true", 'q"uote']),
    st.integers(2**40, 2**40 + 1),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["x", "y", "a.b", 'k"q']), inner, max_size=3)
    ),
    max_leaves=6,
)
metadata = st.dictionaries(st.sampled_from(["k", "n", "flag", "obj", "_x9"]), json_values, max_size=3)

save_thread = st.tuples(
    st.just("save_thread"), st.sampled_from(THREADS), st.sampled_from(["r0", "r1"]), metadata, st.integers(0, 3)
)
save_messages = st.tuples(
    st.just("save_messages"),
    st.lists(
        st.tuples(st.sampled_from(IDS), st.sampled_from(THREADS), st.integers(0, 4), st.sampled_from(["r0", "r1"])),
        min_size=1,
        max_size=5,
        unique_by=lambda m: m[0],
    ),
)
delete_messages = st.tuples(st.just("delete_messages"), st.lists(st.sampled_from(IDS), min_size=1, max_size=3))
update_thread = st.tuples(st.just("update_thread"), st.sampled_from(THREADS), metadata)
delete_thread = st.tuples(st.just("delete_thread"), st.sampled_from(THREADS))
list_messages = st.tuples(
    st.just("list_messages"),
    st.lists(st.sampled_from(THREADS), min_size=1, max_size=2, unique=True),
    st.one_of(st.just(False), st.integers(0, 4)),
    st.integers(0, 3),
    st.sampled_from(["ASC", "DESC"]),
    st.lists(st.tuples(st.sampled_from(IDS), st.integers(0, 3), st.integers(0, 3)), max_size=2),
    st.one_of(st.none(), st.tuples(st.integers(0, 4), st.booleans(), st.integers(0, 4), st.booleans())),
    st.one_of(st.none(), st.sampled_from(["r0", "r1"])),
)
list_threads = st.tuples(
    st.just("list_threads"),
    st.one_of(st.none(), st.sampled_from(["r0", "r1"])),
    metadata,
    st.sampled_from(["ASC", "DESC"]),
    st.one_of(st.just(False), st.integers(1, 3)),
    st.integers(0, 2),
)
operations = st.lists(
    st.one_of(save_thread, save_messages, delete_messages, update_thread, delete_thread, list_messages, list_threads),
    min_size=1,
    max_size=14,
)


def _t(slot: int) -> datetime:
    return BASE + timedelta(milliseconds=slot)


async def _apply(store: Any, op: tuple[Any, ...]) -> Any:
    mem = store.memory
    kind = op[0]
    try:
        if kind == "save_thread":
            _, tid, rid, meta, slot = op
            t = await mem.save_thread(
                thread=Thread(
                    id=tid, resource_id=rid, metadata=meta, title=tid, created_at=_t(slot), updated_at=_t(slot)
                )
            )
            return ("thread", t.id, t.resource_id, t.metadata, t.created_at)
        if kind == "save_messages":
            msgs = [
                Message(
                    id=mid,
                    role="user",
                    thread_id=tid,
                    resource_id=rid,
                    created_at=_t(slot),
                    content=MessageContent(parts=[TextPart(text=f"{mid}@{slot}")]),
                )
                for mid, tid, slot, rid in op[1]
            ]
            await mem.save_messages(messages=msgs)
            return None
        if kind == "delete_messages":
            await mem.delete_messages(message_ids=op[1])
            return None
        if kind == "update_thread":
            t = await mem.update_thread(id=op[1], metadata=op[2])
            return ("updated", t.id, t.metadata)
        if kind == "delete_thread":
            await mem.delete_thread(thread_id=op[1])
            return None
        if kind == "list_messages":
            _, tids, per_page, page, direction, includes, dates, rid = op
            filt = None
            if dates is not None:
                s, sx, e, ex = dates
                filt = {"date_range": {"start": _t(s), "start_exclusive": sx, "end": _t(e), "end_exclusive": ex}}
            result = await mem.list_messages(
                thread_id=tids,
                per_page=per_page,
                page=page,
                order_by={"field": "created_at", "direction": direction},
                include=[{"id": i, "with_previous_messages": p, "with_next_messages": n} for i, p, n in includes],
                filter=filt,
                resource_id=rid,
            )
            return (
                "messages",
                [(m.id, m.thread_id, m.created_at, m.content.parts[0].text) for m in result.items],
                result.total,
                result.has_more,
            )
        if kind == "list_threads":
            _, rid, meta, direction, per_page, page = op
            filt: dict[str, Any] = {"metadata": meta}
            if rid is not None:
                filt["resource_id"] = rid
            result = await mem.list_threads(
                filter=filt, per_page=per_page, page=page, order_by={"field": "created_at", "direction": direction}
            )
            return ("threads", [(t.id, t.metadata) for t in result.items], result.total, result.has_more)
    except Exception as exc:  # both must fail alike (e.g. update of a missing thread)
        return ("error", type(exc).__name__, str(getattr(exc, "id", "")).replace("INMEMORY", "LIBSQL"))
    raise AssertionError(kind)


async def _compare(ops: list[tuple[Any, ...]]) -> None:
    ref = create_storage("inmemory")
    lib = LibSQLStore(id="prop", url=":memory:")
    async with ref, lib:
        for op in ops:
            expected, got = await _apply(ref, op), await _apply(lib, op)
            assert got == expected, f"{op}\nlibsql:   {got}\ninmemory: {expected}"


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_memory_matches_the_reference(ops: list[tuple[Any, ...]]) -> None:
    asyncio.run(_compare(ops))


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(metadata, min_size=1, max_size=4), metadata)
def test_metadata_filter_is_deep_equality(stored: list[dict[str, Any]], wanted: dict[str, Any]) -> None:
    async def go() -> None:
        ref = create_storage("inmemory")
        lib = LibSQLStore(id="prop", url=":memory:")
        async with ref, lib:
            for i, meta in enumerate(stored):
                for s in (ref, lib):
                    await s.memory.save_thread(
                        thread=Thread(id=f"t{i}", resource_id="r", metadata=meta, created_at=_t(i))
                    )
            # also ask for values that exist in the data, so matches are not only ever empty
            for query in (wanted, *({k: v} for meta in stored for k, v in meta.items())):
                a = await ref.memory.list_threads(filter={"metadata": query}, per_page=False)
                b = await lib.memory.list_threads(filter={"metadata": query}, per_page=False)
                assert [t.id for t in b.items] == [t.id for t in a.items], query

    asyncio.run(go())
