"""``lean.run``'s own parameter conversion (named placeholders picked by a cached getter) against psycopg's cursor:
the same rows for every placeholder shape, psycopg's own errors for a missing parameter, and a statement cache that
follows a change of client encoding."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from mastra_pg import lean
from psycopg.types.json import Jsonb

CASES: list[tuple[str, Any]] = [
    ("SELECT %(a)s::text, %(b)s::int, %(a)s::text", {"a": "x", "b": 2, "unused": 1}),
    ("SELECT %(a)s::timestamptz, %(n)s::text", {"a": datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC), "n": None}),
    ("SELECT %(j)s::jsonb", {"j": Jsonb({"k": [1, "\u00e9"]})}),
    ("SELECT %(a)b::text[]", {"a": ["p", "q"]}),
    ("SELECT %s::int, %s::text", (5, "five")),
    ("SELECT '100%%', %(a)s::int", {"a": 3}),
    ("SELECT '100%'", None),
]


@pytest.mark.parametrize(("query", "params"), CASES)
async def test_lean_rows_match_the_cursor(raw: Any, query: str, params: Any) -> None:
    expected = await (await raw.execute(query, params)).fetchall()
    for _ in range(4):  # unnamed, then prepared (threshold), then by name
        assert (await lean.run(raw, query, params, None)).rows == expected


async def test_a_missing_parameter_raises_psycopgs_error(raw: Any) -> None:
    query = "SELECT %(a)s::text, %(b)s::int"
    assert (await lean.run(raw, query, {"a": "x", "b": 1}, None)).rows == [("x", 1)]
    with pytest.raises(psycopg.ProgrammingError, match="query parameter missing: b"):
        await lean.run(raw, query, {"a": "x"}, None)
    assert (await lean.run(raw, query, {"a": "y", "b": 2}, None)).rows == [("y", 2)]  # the connection is fine


async def test_the_statement_cache_follows_the_client_encoding(raw: Any) -> None:
    query = "SELECT %(a)s::text, 'caf\u00e9'"
    assert (await lean.run(raw, query, {"a": "\u00e9"}, None)).rows == [("\u00e9", "caf\u00e9")]
    await raw.execute("SET client_encoding TO 'LATIN1'")
    try:
        assert (await lean.run(raw, query, {"a": "\u00e9"}, None)).rows == [("\u00e9", "caf\u00e9")]
    finally:
        await raw.execute("SET client_encoding TO 'UTF8'")
