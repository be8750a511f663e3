"""PostgreSQL: round trips, ops/s and p50/p95 per operation on threads of 1k, 100k and 1M messages.

Round trips are counted on the wire by a TCP proxy (``mastra_pg.roundtrips.RoundTripProxy``): each time
the client speaks after the server did is one. Latencies are measured on a direct connection (no
proxy). The raw-driver floor is the same SELECT run with plain psycopg. The large threads are
bulk-loaded with ``generate_series`` (setup, not measured); the bench schema is dropped afterwards.

Run: ``MASTRA_TEST_PG_URL=... python -m bench pg`` (``BENCH_PG_SIZES=1000,100000`` to shorten).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from bench.common import Result, RoundTrips, measure, report

SIZES = [int(x) for x in os.environ.get("BENCH_PG_SIZES", "1000,100000,1000000").split(",")]
N = int(os.environ.get("BENCH_PG_N", "300"))


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


async def _load(conn: Any, schema: str, thread_id: str, n: int) -> None:
    """Bulk-load a thread of ``n`` messages 1 ms apart (setup, not measured)."""
    from psycopg import sql

    t0 = time.perf_counter()
    await conn.execute(
        sql.SQL(
            'INSERT INTO {t} (id, "resourceId", title, metadata, "createdAt", "updatedAt", "createdAtZ", "updatedAtZ") '
            "VALUES (%s, 'bench-resource', 'bench', '{{}}', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', "
            "now(), now())"
        ).format(t=sql.Identifier(schema, "mastra_threads")),
        (thread_id,),
    )
    await conn.execute(
        sql.SQL(
            'INSERT INTO {t} (id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId") '
            "SELECT %(tid)s || '-' || g, %(tid)s, "
            '\'{{"format":2,"parts":[{{"type":"text","text":"message \' || g || \'"}}],'
            '"content":"message \' || g || \'"}}\', '
            "CASE WHEN g %% 2 = 0 THEN 'user' ELSE 'assistant' END, 'v2', "
            "(timestamp '2025-01-01' + g * interval '1 millisecond'), "
            "(timestamptz '2025-01-01 00:00:00+00' + g * interval '1 millisecond'), 'bench-resource' "
            "FROM generate_series(0, %(n)s - 1) AS g"
        ).format(t=sql.Identifier(schema, "mastra_messages")),
        {"tid": thread_id, "n": n},
    )
    await conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, "mastra_messages")))
    print(f"   loaded {n:>9,} messages in {time.perf_counter() - t0:.1f} s")


async def main() -> None:
    import psycopg
    from mastra_core import MessageInclude
    from mastra_core.clock import utc_now
    from mastra_core.records import Message
    from mastra_pg import PostgresStore
    from mastra_pg.roundtrips import RoundTripProxy
    from psycopg import sql

    url = os.environ["MASTRA_TEST_PG_URL"]
    info = psycopg.conninfo.conninfo_to_dict(url)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
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

        async def both(op: str, size: str, fn: Any, cfn: Any, note: str = "") -> None:
            r = await measure("pg", f"{op} [{size}]", fn, n=N, note=note)
            c = await measure("pg", op, cfn, n=50, warmup=5, trips=trips)
            r.round_trips_per_op = c.round_trips_per_op
            results.append(r)

        async def raw_floor(op: str, size: str, query: Any, args: Any, *extra: Any) -> None:
            async def fn(conn: Any = raw) -> None:
                await (await conn.execute(query, args)).fetchall()
                for q2 in extra:
                    await (await conn.execute(q2, args)).fetchall()

            r = await measure("pg-raw", f"{op} [{size}]", fn, n=N)
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
            "save_messages(10)",
            "-",
            lambda: mem.save_messages(messages=batch()),
            lambda: cmem.save_messages(messages=batch()),
            note="1 statement: upsert + thread bump",
        )
        ids = [str(uuid.uuid4()) for _ in range(10)]
        insert_raw = sql.SQL(
            'INSERT INTO {m} (id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId") '
            "SELECT i, %s, '{{}}', 'user', 'v2', now(), now(), 'r' FROM unnest(%s::text[]) i"
        ).format(m=msgs)

        async def raw_insert(conn: Any = raw) -> None:
            await conn.execute(insert_raw, (write_thread, [str(uuid.uuid4()) for _ in ids]))

        r = await measure("pg-raw", "insert 10 rows [-]", raw_insert, n=N)
        c = await measure("pg-raw", "insert 10 rows", lambda: raw_insert(raw_counted), n=50, warmup=5, trips=trips)
        r.round_trips_per_op = c.round_trips_per_op
        results.append(r)

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as setup:
            for size in SIZES:
                label = f"{size:,}"
                tid = f"bench-{size}-{uuid.uuid4().hex[:6]}"
                await _load(setup, schema, tid, size)
                mid = f"{tid}-{size // 2}"
                await both(
                    "get_thread_by_id",
                    label,
                    lambda tid=tid: mem.get_thread_by_id(thread_id=tid),
                    lambda tid=tid: cmem.get_thread_by_id(thread_id=tid),
                )
                await raw_floor("get_thread_by_id", label, get_sql, (tid,))
                desc = {"field": "created_at", "direction": "DESC"}
                await both(
                    "list_messages last 10 (DESC, total)",
                    label,
                    lambda tid=tid, desc=desc: mem.list_messages(thread_id=tid, per_page=10, order_by=desc),
                    lambda tid=tid, desc=desc: cmem.list_messages(thread_id=tid, per_page=10, order_by=desc),
                )
                await raw_floor("last 10 SELECT (no total)", label, last10_sql, (tid,))
                inc = [MessageInclude(id=mid, with_previous_messages=2, with_next_messages=2)]
                await both(
                    "list_messages include ±2 (per_page 0)",
                    label,
                    lambda tid=tid, inc=inc: mem.list_messages(thread_id=tid, include=inc, per_page=0),
                    lambda tid=tid, inc=inc: cmem.list_messages(thread_id=tid, include=inc, per_page=0),
                )
                await raw_floor("window ±2 SELECTs (2 statements)", label, window_sql, (mid,), window_next_sql)
                page = await mem.list_messages(thread_id=tid, per_page=10, order_by=desc)
                assert page.total == size and len(page.items) == 10, (page.total, len(page.items))
        report(results, "pg")
    finally:
        await raw.close()
        await raw_counted.close()
        await counted.close()
        await direct.close()
        await proxy.close()
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
