"""``lean.run(..., chunk=k)``: rows read and loaded k at a time as they come (libpq's chunked rows mode), the runs
and scores pages' path. The same rows as the whole result and as psycopg's cursor; the result really came in
chunks; a server error, a loader error or a lost connection part way through leave the connection as a whole result
would."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from mastra_core.testing.factories import sample_score
from mastra_pg import lean
from mastra_pg.domains import scores, workflows

#: Rows of ~3 KB each, so the reply comes in several packets (the server writes 8 KB at a time).
BIG_ROWS = ("SELECT g, repeat('x', 3000), jsonb_build_object('n', g, 's', repeat('y', 2000), 'l', "
            "jsonb_build_array(g)) FROM generate_series(1, %(n)s) g")


@pytest.fixture(autouse=True)
def _chunked_rows_mode() -> None:
    # the bundled libpq (psycopg[binary]) is 17 or later: the tests below must exercise the chunked path itself
    assert lean.CAN_CHUNK, "this libpq has no chunked rows mode: these tests would only see whole results"


def _count_chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The row counts of the chunks :class:`lean._Chunks` was handed, in order (the final, empty result included)."""
    seen: list[int] = []
    original = lean._Chunks.__call__

    def counted(self: Any, res: Any) -> None:
        seen.append(res.ntuples)
        original(self, res)

    monkeypatch.setattr(lean._Chunks, "__call__", counted)
    return seen


@pytest.mark.parametrize("chunk", [1, 4, 7, 50])
async def test_chunked_rows_are_the_whole_results_rows(raw: Any, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    expected = await (await raw.execute(BIG_ROWS, {"n": 23})).fetchall()
    assert len(expected) == 23 and expected[0][2]["n"] == 1
    seen = _count_chunks(monkeypatch)
    full, rest = divmod(23, chunk)
    for prepare in (False, True, lean.CUSTOM):  # unnamed, prepared, always planned for its values
        for _ in range(2):  # (a CUSTOM statement's first run prepares it in a pipeline: read whole, see lean)
            seen.clear()
            result = await lean.run(raw, BIG_ROWS, {"n": 23}, prepare, chunk)
            assert result.rows == expected and result.rowcount == 23
        assert seen == [chunk] * full + ([rest] if rest else []) + [0]  # libpq's chunks, then the empty end
    assert (await lean.run(raw, BIG_ROWS, {"n": 0}, None, chunk)).rows == []


@pytest.mark.parametrize("prepare", [False, True])
async def test_a_pipeline_entered_after_a_chunked_statement_gets_its_rows_whole(raw: Any, prepare: bool) -> None:
    # libpq keeps a statement's chunked rows mode until it moves on to another command: without the statement's own
    # pipeline (lean._send_chunked), psycopg's next pipeline got TUPLES_CHUNK for its first command and raised
    for _ in range(2):
        assert len((await lean.run(raw, BIG_ROWS, {"n": 9}, prepare, 2)).rows) == 9
        async with raw.pipeline():
            cur = await raw.execute("SELECT g FROM generate_series(1, 5) g")
            assert await cur.fetchall() == [(1,), (2,), (3,), (4,), (5,)]
        assert len((await lean.run(raw, BIG_ROWS, {"n": 9}, prepare, 2)).rows) == 9
        cur = raw.cursor()
        await cur.executemany("SELECT %s::int + g FROM generate_series(1, 3) g", [(10,), (20,)], returning=True)
        assert await cur.fetchall() == [(11,), (12,), (13,)]
        assert cur.nextset() and await cur.fetchall() == [(21,), (22,), (23,)]


async def test_a_server_error_after_some_chunks_raises_it_and_the_connection_is_idle(
        raw: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _count_chunks(monkeypatch)
    with pytest.raises(psycopg.errors.DivisionByZero):
        await lean.run(raw, "SELECT 10 / (15 - g), repeat('x', 3000) FROM generate_series(1, 20) g", None, False, 4)
    assert seen[:3] == [4, 4, 4]  # rows did come (and were loaded) before the error
    assert raw.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert (await lean.run(raw, "SELECT 1", None, None)).rows == [(1,)]


async def test_a_loader_error_is_raised_once_the_whole_reply_is_read(raw: Any) -> None:
    class Refuses7(psycopg.adapt.Loader):
        def load(self, data: Any) -> Any:
            if bytes(data) == b"7":
                raise ValueError("seven")
            return int(bytes(data))

    raw.adapters.register_loader("int4", Refuses7)  # (before lean's first statement here: it copies the adapters)
    with pytest.raises(ValueError, match="seven"):
        await lean.run(raw, "SELECT g, repeat('x', 3000) FROM generate_series(1, 20) g", None, False, 4)
    assert raw.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE  # the rest was read, not left behind
    assert (await lean.run(raw, "SELECT g FROM generate_series(8, 9) g", None, False, 1)).rows == [(8,), (9,)]


@pytest.mark.parametrize("chunk", [0, 4])
async def test_each_turns_every_row_as_it_is_loaded(raw: Any, chunk: int) -> None:
    turned: list[int] = []

    def each(row: Any) -> Any:
        turned.append(row[0])
        return (row[0] * 10, row[2]["n"])

    rows = (await lean.run(raw, BIG_ROWS, {"n": 11}, False, chunk, each)).rows
    assert rows == [(g * 10, g) for g in range(1, 12)] and turned == list(range(1, 12))


async def test_an_error_in_each_is_raised_once_the_whole_reply_is_read(raw: Any) -> None:
    def each(row: Any) -> Any:
        if row[0] == 6:
            raise KeyError("six")
        return row[0]

    with pytest.raises(KeyError, match="six"):
        await lean.run(raw, BIG_ROWS, {"n": 20}, False, 4, each)
    assert raw.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert (await lean.run(raw, BIG_ROWS, {"n": 3}, False, 4, lambda row: row[0])).rows == [1, 2, 3]


async def test_a_connection_lost_between_chunks_raises_and_leaves_no_registration(raw: Any, pg_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as victim:
        pid = victim.info.backend_pid
        slow = "SELECT g, pg_sleep(0.05), repeat('x', 3000) FROM generate_series(1, 200) g"
        reading = asyncio.create_task(lean.run(victim, slow, None, False, 2))
        await asyncio.sleep(0.5)  # some chunks read by now, most of the 10 s result still to come
        await raw.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.OperationalError):
            await asyncio.wait_for(reading, 10)
        state: Any = victim._mastra_lean  # type: ignore[attr-defined]
        assert state.watch.fd == -1 and state.watch.handle is None  # unregistered, its duplicate closed


async def test_a_runs_page_is_read_in_chunks_with_the_same_runs(make_store: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store = await make_store()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(23):
        snapshot = {"runId": f"r{i}", "status": "success", "context": {f"s{k}": {"out": "z" * 200} for k in range(12)}}
        await store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id=f"r{i}", snapshot=snapshot,
                                                        created_at=base + timedelta(seconds=i))

    async def pages() -> list[Any]:  # (the fourth page is past the end: the empty page's marker row)
        return [await store.workflows.list_workflow_runs(workflow_name="wf", page=p, per_page=10) for p in range(4)]

    whole, chunked = await _whole_and_chunked(monkeypatch, workflows, "RUNS_CHUNK", pages)
    assert chunked == whole
    assert [run.run_id for page in whole for run in page.items] == [f"r{i}" for i in reversed(range(23))]
    assert [(page.total, page.has_more) for page in whole] == [(23, True), (23, True), (23, False), (23, False)]
    assert whole[0].items[0].snapshot["context"]["s0"] == {"out": "z" * 200}


async def test_a_scores_page_is_read_in_chunks_with_the_same_scores(make_store: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store = await make_store()
    said = [{"role": "user", "content": f"question {i} " + "words " * 60} for i in range(8)]
    saved = [await store.scores.save_score(score=sample_score(scorer_id="sc", input=said, output={"n": i}))
             for i in range(23)]

    async def pages() -> list[Any]:
        return [await store.scores.list_scores_by_scorer_id(scorer_id="sc", page=p, per_page=10) for p in range(3)]

    whole, chunked = await _whole_and_chunked(monkeypatch, scores, "SCORES_CHUNK", pages)
    assert chunked == whole
    assert sorted(s.id for page in whole for s in page.items) == sorted(s.id for s in saved)
    assert [page.total for page in whole] == [23, 23, 23] and whole[0].items[0].input == said


async def _whole_and_chunked(monkeypatch: pytest.MonkeyPatch, module: Any, knob: str,
                             read: Callable[[], Awaitable[list[Any]]]) -> tuple[list[Any], list[Any]]:
    """What ``read`` returns with ``module.knob`` at 0 (whole results) and at its default, checking that the
    default really read chunks and 0 none."""
    seen = _count_chunks(monkeypatch)
    default = getattr(module, knob)
    assert default > 0
    monkeypatch.setattr(module, knob, 0)
    whole = await read()
    assert seen == []
    monkeypatch.setattr(module, knob, default)
    chunked = await read()
    assert seen and max(seen) <= default and seen[-1] == 0
    return whole, chunked
