"""Buffers per read (a timing-free flatness check for bench_pg): the statements a store call sends, re-run under
``EXPLAIN (ANALYZE, BUFFERS)``.

A read that stays flat from 1k to 1M messages touches about the same number of 8 KB pages at every size; one that
scans the thread grows with it. Page counts do not depend on the load of the machine, unlike latencies.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any


@contextlib.asynccontextmanager
async def captured() -> AsyncIterator[list[tuple[Any, Any]]]:
    """Every (query, params) run through a psycopg async cursor inside the block."""
    import psycopg

    seen: list[tuple[Any, Any]] = []
    original = psycopg.AsyncCursor.execute

    async def spy(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        seen.append((query, params))
        return await original(self, query, params, **kwargs)

    psycopg.AsyncCursor.execute = spy  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        psycopg.AsyncCursor.execute = original  # type: ignore[method-assign]


def _is_read(query: Any) -> bool:
    text = query if isinstance(query, str) else getattr(query, "_obj", "")
    head = str(text).lstrip(" \n(").upper()  # a UNION ALL of parenthesised SELECTs starts with "("
    return head.startswith(("SELECT", "WITH")) and not any(w in head for w in ("FOR UPDATE", "INSERT", "UPDATE "))


async def buffers(conn: Any, call: Callable[[], Awaitable[Any]]) -> tuple[int, str]:
    """Shared buffers (hit + read) of the store's statements for one ``call``, and their top plan nodes."""
    async with captured() as seen:
        await call()
    total, nodes = 0, []
    for query, params in seen:
        if not _is_read(query):
            continue
        text = query if isinstance(query, str) else query.as_string(conn)
        cur = await conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + text, params)
        row = await cur.fetchone()
        plan = row[0][0]["Plan"]
        total += int(plan.get("Shared Hit Blocks", 0)) + int(plan.get("Shared Read Blocks", 0))
        nodes.append(_scans(plan))
    return total, "; ".join(nodes)


def _scans(plan: dict[str, Any]) -> str:
    """The scans of a plan (index or sequential, with the relation), to show which index serves the read."""
    out: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Scan" in node.get("Node Type", ""):
            name = node.get("Index Name") or node.get("Relation Name") or ""
            out.append(f"{node['Node Type']} {name}".strip())
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan)
    return ", ".join(dict.fromkeys(out))
