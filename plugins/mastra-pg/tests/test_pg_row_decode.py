"""A row decoded by the generated decoder (``TableCodec.decode``) gives what structuring its wire dict gives.

``_compile_decode`` writes one function per table codec so a page of rows is not decoded by a loop over the columns'
plan; ``TableCodec._decode_wire`` is the general path (the row's wire dict through the cattrs converter) that every
record decoded by before. For every codec the domains build, rows drawn by Hypothesis from the values psycopg hands
back per column kind (NULL, naive and aware timestamps in several zones and precisions, JSON values and JSON text,
escaped text, values not of the field's type) decode to equal records, or both fail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_core import clock
from mastra_core import records as r
from mastra_core.backend.reference_schema import table
from mastra_pg.codec import ESC, TableCodec
from mastra_pg.domains.agents import KINDS as AGENT_KINDS
from mastra_pg.domains.evals import KINDS as EVAL_KINDS
from mastra_pg.domains.scores import KINDS as SCORE_KINDS
from mastra_pg.schema import TABLES

CODECS: list[tuple[str, Any, dict[str, Any]]] = [
    ("threads", r.Thread, {"title": "text"}),
    ("resources", r.Resource, {"workingMemory": "text"}),
    ("workflows", r.WorkflowRun, {"snapshot": "json_null"}),
    ("agents", r.Agent, AGENT_KINDS),
    ("evals", r.EvalRow, EVAL_KINDS),
    ("scorers", r.Score, SCORE_KINDS),
    ("spans", r.Span, {"name": "text"}),
    ("traces", r.TraceRow, {"other": "json_text"}),
]

_BASE = datetime(2026, 12, 1, 1, 2, 3, 456789)
TIMES = st.sampled_from([
    _BASE,  # a naive timestamp column
    _BASE.replace(microsecond=456000, tzinfo=UTC),  # our UTC sessions: taken as it is
    _BASE.replace(tzinfo=UTC),  # sub-millisecond: truncated
    _BASE.replace(tzinfo=ZoneInfo("Etc/UTC")),  # a server default zone
    _BASE.replace(tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(1970, 1, 1, tzinfo=UTC),
])
TEXTS = st.sampled_from(["", "plain", "é😀", f"a{ESC}0b", f"{ESC}1", "\x00"]) | st.text(max_size=6)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=4),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=8)
JSON_TEXT = st.sampled_from(['{"a": 1}', "[1, 2]", '"text"', "null", "not json", f'"{ESC}0"', "12"])
ODD = st.sampled_from([0, 1.5, True, "2026-12-01T00:00:00Z", ["x"], {"k": "v"}])


def _value(kind: str) -> st.SearchStrategy[Any]:
    if kind == "time":
        return st.none() | TIMES
    if kind in ("json", "json_null"):
        return st.none() | JSON | JSON_TEXT
    if kind == "json_text":
        return st.none() | JSON_TEXT
    if kind == "text":
        return st.none() | TEXTS
    return st.none() | TEXTS | ODD


def _outcome(decode: Any, row: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        return "ok", decode(row)
    except Exception:  # a row no table holds (a required column NULL...): both paths must refuse it
        return "error", None


@pytest.mark.parametrize(("key", "record", "kinds"), CODECS, ids=[c[0] for c in CODECS])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_generated_decoder_matches_the_wire_path(key: str, record: Any, kinds: dict[str, Any], data: Any) -> None:
    codec: TableCodec[Any] = TableCodec("public", table(TABLES[key]), record, kinds)
    assert codec._decoder is not None, f"{key}: no generated decoder (the record needs its wire form)"
    row = tuple(data.draw(_value(c.kind), label=c.name) for c in codec.columns)
    # a NULL timestamp leaves the field's default, utc_now(): one instant for both paths
    with mock.patch.object(clock, "time", SimpleNamespace(time_ns=lambda: 1_764_550_923_456_789_000)):
        fast = _outcome(lambda x: codec.decode(x), row)
        wire = _outcome(lambda x: codec._decode_wire(x, 0), row)
    assert fast == wire


def test_a_row_at_an_offset_decodes_its_own_columns() -> None:
    codec: TableCodec[r.Thread] = TableCodec("public", table(TABLES["threads"]), r.Thread, {"title": "text"})
    values = {"id": "t1", "resourceId": "r1", "title": "hello", "metadata": {"a": 1},
              "createdAt": _BASE.replace(microsecond=456000, tzinfo=UTC), "updatedAt": _BASE}
    row = ("other", 42, *(values[name] for name in codec.names))
    thread = codec.decode(row, 2)
    assert (thread.id, thread.resource_id, thread.title, thread.metadata) == ("t1", "r1", "hello", {"a": 1})
    assert thread.created_at == datetime(2026, 12, 1, 1, 2, 3, 456000, tzinfo=UTC)
    assert thread.updated_at == datetime(2026, 12, 1, 1, 2, 3, 456000, tzinfo=UTC)  # naive: UTC, to the millisecond


async def test_our_pool_reads_in_utc_but_pgbouncer_mode_and_a_callers_pool_keep_their_zone(
        pg_url: str, make_store: Any) -> None:
    from psycopg_pool import AsyncConnectionPool

    store = await make_store()
    async with store.pool.connection() as conn:
        assert await (await conn.execute("SHOW TIME ZONE")).fetchone() == ("UTC",)
        now = (await (await conn.execute("SELECT now()")).fetchall())[0][0]
        assert now.tzinfo is UTC  # psycopg's own UTC for a session named "UTC": the decoders take it as it is
    saved = await store.memory.save_thread(thread=r.Thread(id="t1", resource_id="r1", title="x"))
    assert (await store.memory.get_thread_by_id(thread_id="t1")).created_at == saved.created_at

    bouncer_mode = await make_store(prepare_threshold=None)  # no session state: a SET would outlive our use
    async with bouncer_mode.pool.connection() as conn:  # the session's zone is its default: never SET
        assert await (await conn.execute(
            "SELECT setting = reset_val FROM pg_settings WHERE name = 'TimeZone'")).fetchone() == (True,)

    pool = AsyncConnectionPool(pg_url, min_size=1, max_size=1, open=False,
                               kwargs={"options": "-c TimeZone=Asia/Kolkata"})
    await pool.open()
    try:
        owned = await make_store(connection_string=None, pool=pool)
        other = await owned.memory.save_thread(thread=r.Thread(id="t1", resource_id="r1", title="x"))
        read = await owned.memory.get_thread_by_id(thread_id="t1")  # timestamptz in +05:30: converted
        assert read.created_at.tzinfo is UTC and read.created_at == other.created_at
        async with pool.connection() as conn:  # the caller's sessions are left in their own zone
            assert await (await conn.execute("SHOW TIME ZONE")).fetchone() == ("Asia/Kolkata",)
    finally:
        await owned.close()
        await pool.close()
