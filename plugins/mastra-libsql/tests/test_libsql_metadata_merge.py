"""update_resource merges metadata inside one SQL statement on a file (``json_merge``), update_thread in Python inside
one transaction: either way the result must be exactly the in-memory reference's ``{**old, **patch}`` (values, key
order, stored bytes), and rows the SQL merge cannot handle must take the read-modify-write path with its exact
outcome."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mastra_core import create_storage
from mastra_core.domains.memory import MemoryStore, ResourcePatch
from mastra_core.records import Thread
from mastra_core.serde import json_dumps
from mastra_libsql import LibSQLStore
from mastra_libsql.connection import RecordingConnection

#: keys a JSON path spells awkwardly (quotes and backslashes go the read-modify-write way, the rest in SQL)
KEYS = ["k", "a.b", "$", "[0]", "a b", "", "é", "日本", "\u2028", 'q"uote', "back\\slash", "tab\t", "k*", "a'b"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from([0.1, 1e16, -0.0, 1e-05, 2.5, 1e308]),
    st.sampled_from(["", "x", 'q"', "é\n", "\\", "\u2028", "null"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
                      max_leaves=5)
patches = st.one_of(st.none(), st.dictionaries(st.sampled_from(KEYS), values, max_size=4))
ops = st.lists(st.tuples(st.sampled_from(["resource", "thread"]), st.sampled_from(["a", "b"]), patches,
                         st.one_of(st.none(), st.sampled_from(["w", "", "wé"]))), min_size=1, max_size=8)


def _ordered(value: Any) -> str:
    """Equality that sees key order: the JSON text as Python writes it."""
    return json.dumps(value, ensure_ascii=False)


async def _apply(store: Any, kind: str, key: str, patch: dict[str, Any] | None, text: str | None) -> Any:
    m = store.memory
    try:
        if kind == "resource":
            res = await m.update_resource(resource_id=key, metadata=patch,
                                          **({} if text is None else {"working_memory": text}))
            return (res.id, res.working_memory, _ordered(res.metadata))
        t = await m.update_thread(id=key, metadata=patch, **({} if text is None else {"title": text}))
        return (t.id, t.title, _ordered(t.metadata))
    except Exception as exc:  # update_thread of a missing thread fails alike
        return ("error", type(exc).__name__)


_SELECT_METADATA = {"mastra_resources": 'SELECT metadata FROM "mastra_resources" WHERE id = ?',
                    "mastra_threads": 'SELECT metadata FROM "mastra_threads" WHERE id = ?'}


async def _stored(lib: LibSQLStore, table: str, key: str) -> Any:
    rows = await lib.db.read(lambda db: db.one(_SELECT_METADATA[table], (key,)))
    return None if rows is None else rows[0]


async def _compare(steps: list[tuple[str, str, dict[str, Any] | None, str | None]]) -> None:
    ref = create_storage("inmemory")
    lib = LibSQLStore(id="merge", url=":memory:")
    async with ref, lib:
        for s in (ref, lib):
            await s.memory.save_thread(thread=Thread(id="a", resource_id="r", metadata={"k": 1, "z": [1]}))
        for step in steps:
            expected, got = await _apply(ref, *step), await _apply(lib, *step)
            assert got == expected, step
            if got[0] != "error":
                table = "mastra_resources" if step[0] == "resource" else "mastra_threads"
                assert await _stored(lib, table, step[1]) == json_dumps(json.loads(got[2]))  # the bytes Python writes


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_merge_matches_the_reference(steps: list[tuple[str, str, dict[str, Any] | None, str | None]]) -> None:
    asyncio.run(_compare(steps))


def test_a_patch_past_one_json_set_call_matches_the_reference() -> None:
    big = {f"k{i}": i for i in range(150)}
    asyncio.run(_compare([("resource", "a", {"k7": "old", "x": 1}, None), ("resource", "a", big, "w"),
                          ("thread", "a", big, None)]))


@pytest.fixture
async def lib(tmp_path: Path) -> Any:
    store = LibSQLStore(id="merge", url=f"file:{tmp_path / 'merge.db'}")
    await store.init()
    yield store
    await store.close()


async def _counted(store: LibSQLStore, call: Any) -> tuple[Any, int]:
    recorder = RecordingConnection(store.db.conn)
    store.db.conn = recorder
    try:
        return await call(), len(recorder.statements)
    finally:
        store.db.conn = recorder.inner


@pytest.mark.parametrize("raw", ["[1,2]", '"text"', "7", "null", "not json", "{bad"])
async def test_metadata_that_is_not_an_object_takes_the_general_path(lib: LibSQLStore, tmp_path: Path,
                                                                     raw: str) -> None:
    """A TS writer may leave anything in the column: the statement leaves it alone and the default path decides."""
    twin = LibSQLStore(id="twin", url=f"file:{tmp_path / 'twin.db'}")
    await twin.init()
    patch = ResourcePatch(set_working_memory=False, working_memory=None, metadata={"k": 1})
    calls = [lambda: lib.memory._update_resource("r", patch),
             lambda: MemoryStore._update_resource(twin.memory, "r", patch)]  # the default (general) path
    outcomes = []
    for store, call in zip((lib, twin), calls, strict=True):
        await store.memory.update_resource(resource_id="r", working_memory="w")
        await store.db.write(lambda db: db.execute('UPDATE "mastra_resources" SET metadata = ?', (raw,)))
        try:
            res = await call()
            outcomes.append((res.working_memory, res.metadata))
        except Exception as exc:
            outcomes.append(("error", type(exc).__name__))
    await twin.close()
    assert outcomes[0] == outcomes[1]
    if outcomes[0][0] != "error":  # the general path wrote an object: from now on merged in SQL, one statement
        _, statements = await _counted(lib, lambda: lib.memory.update_resource(resource_id="r", metadata={"k": 2}))
        assert statements == 1


async def test_an_expired_resource_is_created_anew(lib: LibSQLStore) -> None:
    old = await lib.memory.update_resource(resource_id="r", working_memory="w", metadata={"old": 1})
    await lib.db.write(lambda db: db.execute('UPDATE "mastra_resources" SET "expiresAt" = ?',
                                             ("2000-01-01T00:00:00.000Z",)))
    new, statements = await _counted(lib, lambda: lib.memory.update_resource(resource_id="r", metadata={"k": None}))
    # left alone by the UPDATE of live rows and by the upsert, then the general path: BEGIN, SELECT, upsert, COMMIT
    assert statements == 6
    assert (new.working_memory, new.metadata) == (None, {"k": None})
    assert new.created_at == new.updated_at and new.created_at >= old.updated_at
    assert await lib.memory.get_resource_by_id(resource_id="r") == new


async def test_an_expired_thread_is_missing(lib: LibSQLStore) -> None:
    await lib.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    await lib.db.write(lambda db: db.execute('UPDATE "mastra_threads" SET "expiresAt" = ?',
                                             ("2000-01-01T00:00:00.000Z",)))
    with pytest.raises(Exception, match="not found"):
        await lib.memory.update_thread(id="t", metadata={"k": 1})


async def test_updated_at_moves_strictly_forward_and_created_at_stays(lib: LibSQLStore) -> None:
    first = await lib.memory.update_resource(resource_id="r", metadata={"k": 0})
    future = "2999-01-01T00:00:00.999Z"  # a stored clock ahead of ours: the bump is +1 ms, as in Python
    await lib.db.write(lambda db: db.execute('UPDATE "mastra_resources" SET "updatedAt" = ?', (future,)))
    bumped = await lib.memory.update_resource(resource_id="r", metadata={"k": 1})
    assert bumped.created_at == first.created_at
    assert bumped.updated_at.isoformat() == "2999-01-01T00:00:01+00:00"
    thread = await lib.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    await lib.db.write(lambda db: db.execute('UPDATE "mastra_threads" SET "updatedAt" = ?', (future,)))
    moved = await lib.memory.update_thread(id="t", title="x")
    assert moved.created_at == thread.created_at and moved.updated_at.isoformat() == "2999-01-01T00:00:01+00:00"
