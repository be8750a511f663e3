"""PostgreSQL: round trips, ops/s and p50/p95 of the thread reads (``bench/thread_reads.py``) on ONE thread of
1k / 100k (default) or 1M messages (``BENCH_THREAD_SIZES=1000,100000,1000000``), among 100 threads of its resource.

Round trips are counted on the wire by a TCP proxy (``mastra_pg.roundtrips.RoundTripProxy``): each time
the client speaks after the server did is one. Latencies are measured on a direct connection (no
proxy). Beside each read, the shared buffers its statements touch (``bench/pg_plans.py``: EXPLAIN ANALYZE
BUFFERS; a flat read touches as many pages at 1M as at 1k) and the scans of its plan. The raw-driver floor is
the same SELECT run with plain psycopg. The thread is seeded by ONE ``INSERT ... SELECT generate_series`` (1M
messages in well under a minute, where ``save_messages`` takes minutes) that writes exactly the rows
``save_messages`` writes: the content text is the store's own encoding of the message (the number substituted in
SQL), and :func:`_check_layout` compares a seeded thread with a ``save_messages``-written one, column by column,
before anything is timed; ``thread_reads.verify`` reads every seeded thread back through the store. The bench
schema is dropped afterwards.

Run: ``MASTRA_TEST_PG_URL=... python -m bench pg``.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Result, RoundTrips, measure, report
from bench.pg_plans import buffers
from bench.thread_reads import SeededThread, add_sibling_threads, read_ops, sizes, text, verify

SIZES = sizes(os.environ.get("BENCH_PG_SIZES", "1000,100000"))
N = int(os.environ.get("BENCH_PG_N", "300"))
T0 = datetime(2025, 1, 1, tzinfo=UTC)
MARK = "MSGNUMBER"  # stands for the message number in the content template


def available() -> bool:
    try:
        import mastra_pg  # noqa: F401
    except ImportError:
        return False
    return bool(os.environ.get("MASTRA_TEST_PG_URL"))


def _proxied(url: str, port: int) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params.update(host="127.0.0.1", port=str(port))
    return make_conninfo(**params)


def _content_template() -> str:
    """The content text ``save_messages`` stores for :func:`text`, with :data:`MARK` where the number goes."""
    from mastra_core.records import Message
    from mastra_core.serde import to_wire
    from mastra_pg.codec import text_json

    template = text_json(to_wire(Message.from_text(text(0).replace("0", MARK, 1), id="x").content))
    assert template.count(MARK) == 2, template  # the part's text and content.content
    return template


async def _load(conn: Any, schema: str, t: SeededThread) -> None:
    """Seed ``t.size`` messages (setup, not measured): the thread itself was saved through the store."""
    from psycopg import sql

    start = time.perf_counter()
    await conn.execute(
        sql.SQL(
            'INSERT INTO {m} (id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId") '
            "SELECT %(tid)s || '-' || g, %(tid)s, replace(%(tpl)s, %(mark)s, g::text), "
            "CASE WHEN g %% 2 = 0 THEN 'user' ELSE 'assistant' END, 'v2', "
            "(%(t0)s::timestamptz + g * interval '1 millisecond') AT TIME ZONE 'UTC', "
            "%(t0)s::timestamptz + g * interval '1 millisecond', %(rid)s "
            "FROM generate_series(0, %(n)s - 1) AS g ORDER BY g"
        ).format(m=sql.Identifier(schema, "mastra_messages")),
        {"tid": t.thread_id, "tpl": _content_template(), "mark": MARK, "t0": t.t0, "rid": t.resource_id,
         "n": t.size},
    )
    await conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, "mastra_messages")))
    print(f"   seeded {t.size:>9,} messages in {time.perf_counter() - start:.1f} s")


async def _check_layout(mem: Any, conn: Any, schema: str) -> None:
    """A seeded thread's rows equal ``save_messages``' rows for the same messages (all but id, thread, seq)."""
    from mastra_core.records import Message, Thread
    from psycopg import sql

    seeded = SeededThread(f"layout-seed-{uuid.uuid4().hex[:6]}", "layout", T0, 4)
    saved = SeededThread(f"layout-save-{uuid.uuid4().hex[:6]}", "layout", T0, 4)
    for t in (seeded, saved):
        await mem.save_thread(thread=Thread(id=t.thread_id, resource_id=t.resource_id))
    await _load(conn, schema, seeded)
    await mem.save_messages(messages=[
        Message.from_text(text(i), id=saved.message_id(i), role="user" if i % 2 == 0 else "assistant",
                          thread_id=saved.thread_id, resource_id=saved.resource_id,
                          created_at=T0 + timedelta(milliseconds=i)) for i in range(saved.size)])
    query = sql.SQL("SELECT to_jsonb(m) - 'id' - 'thread_id' - 'seq' FROM {} m WHERE thread_id = %s "
                    'ORDER BY "createdAt"').format(sql.Identifier(schema, "mastra_messages"))
    rows = [[r[0] for r in await (await conn.execute(query, (t.thread_id,))).fetchall()] for t in (seeded, saved)]
    assert rows[0] == rows[1] and len(rows[0]) == 4, f"seeded rows differ from save_messages' rows: {rows}"
    await mem.delete_thread(thread_id=seeded.thread_id)
    await mem.delete_thread(thread_id=saved.thread_id)


async def main() -> None:
    import psycopg
    from mastra_core.clock import utc_now
    from mastra_core.records import Message, Thread
    from mastra_pg import PostgresStore
    from mastra_pg.roundtrips import RoundTripProxy
    from psycopg import sql

    url = os.environ["MASTRA_TEST_PG_URL"]
    info = psycopg.conninfo.conninfo_to_dict(url)
    schema = f"bench_{os.environ.get('BENCH_SCHEMA_TAG', '')}{uuid.uuid4().hex[:8]}"
    trips = RoundTrips()
    proxy = RoundTripProxy(str(info.get("host", "127.0.0.1")), int(info.get("port", 5432)), on_trip=trips.hit)
    await proxy.start()
    direct = PostgresStore(
        id="bench-direct", connection_string=url, schema_name=schema, min_pool_size=1, max_pool_size=2
    )
    counted = PostgresStore(
        id="bench-counted",
        connection_string=_proxied(url, proxy.port),
        schema_name=schema,
        min_pool_size=1,
        max_pool_size=1,
    )
    raw = await psycopg.AsyncConnection.connect(url, autocommit=True, prepare_threshold=0)
    raw_counted = await psycopg.AsyncConnection.connect(_proxied(url, proxy.port), autocommit=True, prepare_threshold=0)
    results: list[Result] = []
    try:
        await direct.init()
        await counted.init()
        mem, cmem = direct.memory, counted.memory
        msgs = sql.Identifier(schema, "mastra_messages")
        threads = sql.Identifier(schema, "mastra_threads")
        last10_sql = sql.SQL(
            'SELECT id, thread_id, content, role, type, "createdAtZ", "resourceId" FROM {m} '
            'WHERE thread_id = %s ORDER BY "createdAt" DESC, seq DESC LIMIT 10'
        ).format(m=msgs)
        window_sql = sql.SQL(
            "SELECT m.id, m.content FROM {m} t CROSS JOIN LATERAL (SELECT * FROM {m} m WHERE m.thread_id = t.thread_id "
            'AND (m."createdAt", m.seq) <= (t."createdAt", t.seq) ORDER BY m."createdAt" DESC, m.seq DESC LIMIT 3) m '
            "WHERE t.id = %s"
        ).format(m=msgs)
        window_next_sql = sql.SQL(
            "SELECT m.id, m.content FROM {m} t CROSS JOIN LATERAL (SELECT * FROM {m} m WHERE m.thread_id = t.thread_id "
            'AND (m."createdAt", m.seq) > (t."createdAt", t.seq) ORDER BY m."createdAt", m.seq LIMIT 2) m '
            "WHERE t.id = %s"
        ).format(m=msgs)
        get_sql = sql.SQL(
            'SELECT id, "resourceId", title, metadata, "createdAtZ", "updatedAtZ" FROM {t} WHERE id = %s'
        ).format(t=threads)

        async def both(op: str, fn: Any, cfn: Any, note: str = "") -> None:
            r = await measure("pg", op, fn, n=N, note=note)
            c = await measure("pg", op, cfn, n=50, warmup=5, trips=trips)
            r.round_trips_per_op = c.round_trips_per_op
            results.append(r)

        async def raw_floor(op: str, query: Any, args: Any, *extra: Any) -> None:
            async def fn(conn: Any = raw) -> None:
                await (await conn.execute(query, args)).fetchall()
                for q2 in extra:
                    await (await conn.execute(q2, args)).fetchall()

            r = await measure("pg-raw", op, fn, n=N)
            c = await measure("pg-raw", op, lambda: fn(raw_counted), n=50, warmup=5, trips=trips)
            r.round_trips_per_op = c.round_trips_per_op
            results.append(r)

        # writes: save_messages(10) into a thread of its own
        write_thread = f"bench-write-{uuid.uuid4().hex[:6]}"
        await mem.save_thread(thread={"id": write_thread, "resourceId": "bench-resource", "title": "w"})

        def batch() -> list[Message]:
            now = utc_now()
            return [
                Message.from_text(
                    f"hello {i}",
                    id=str(uuid.uuid4()),
                    thread_id=write_thread,
                    resource_id="bench-resource",
                    created_at=now,
                )
                for i in range(10)
            ]

        await both(
            "save_messages(10) [-]",
            lambda: mem.save_messages(messages=batch()),
            lambda: cmem.save_messages(messages=batch()),
            note="1 statement: upsert + thread bump",
        )
        insert_raw = sql.SQL(
            'INSERT INTO {m} (id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId") '
            "SELECT i, %s, '{{}}', 'user', 'v2', now(), now(), 'r' FROM unnest(%s::text[]) i"
        ).format(m=msgs)

        async def raw_insert(conn: Any = raw) -> None:
            await conn.execute(insert_raw, (write_thread, [str(uuid.uuid4()) for _ in range(10)]))

        r = await measure("pg-raw", "insert 10 rows [-]", raw_insert, n=N)
        c = await measure("pg-raw", "insert 10 rows", lambda: raw_insert(raw_counted), n=50, warmup=5, trips=trips)
        r.round_trips_per_op = c.round_trips_per_op
        results.append(r)

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as setup:
            await _check_layout(mem, setup, schema)
            for size in SIZES:
                tid = f"bench-{size}-{uuid.uuid4().hex[:6]}"
                t = SeededThread(tid, f"bench-resource-{size}", T0, size)
                await mem.save_thread(thread=Thread(id=tid, resource_id=t.resource_id, title="bench"))
                await add_sibling_threads(mem, t)
                await _load(setup, schema, t)
                await verify(mem, t)
                for (op, fn), (_, cfn) in zip(read_ops(mem, t), read_ops(cmem, t), strict=True):
                    pages, scans = await buffers(setup, fn)
                    await both(op, fn, cfn, note=f"{pages} buffers; " + scans.replace(f"{schema}_", ""))
                label = f"[{size:,}]"
                mid = t.message_id(t.middle)
                await raw_floor(f"get_thread_by_id {label}", get_sql, (tid,))
                await raw_floor(f"last 10 SELECT (no total) {label}", last10_sql, (tid,))
                await raw_floor(f"window +-2 SELECTs (2 statements) {label}", window_sql, (mid,), window_next_sql)
        report(results, "pg")
    finally:
        await raw.close()
        await raw_counted.close()
        await counted.close()
        await direct.close()
        await proxy.close()
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
