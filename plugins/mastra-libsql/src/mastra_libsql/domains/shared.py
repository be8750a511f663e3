"""What the libSQL domains share: the typed base (schema init, TTL pruning, clearing), one-statement
pages, and JSON filters in SQL.

Every write takes a row's expiry (``self.expires_at(...)``) inside its write job, after the write lock
is held: a job that first waited for another writer's lock must not write rows whose TTL has already
run out while it waited.

The JSON filters have exactly the in-memory semantics (``mastra_core.domains.matching``). Every value is
walked with ``json_each``, so keys of any spelling are bound as parameters (no JSON path quoting) and
objects compare regardless of key order. ``json_equal``: deep equality where ``1 == 1.0`` but
``true != 1``. ``contains``: PostgreSQL ``@>`` (objects recursively, arrays as sub-multisets, scalars equal).
"""
# ruff: noqa: S608  -- SQL text holds only constant, validated, quoted identifiers; values are bound parameters

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from mastra_core.backend import BackendDomain, Table
from mastra_core.clock import utc_now
from mastra_core.errors import ErrorCategory, StorageError, error_id
from mastra_core.pagination import Page, has_more

from ..codec import Codec
from ..connection import LibSQLConnection, awkward, chunks, quote
from ..isotext import iso
from ..schema import EXPIRES, MigrationRequired, ensure

_E = quote(EXPIRES)
#: A row not expired at the bound ``now`` (rows without an expiry never expire).
LIVE = f"({_E} IS NULL OR {_E} > ?)"


def keep_created_sql(table: str) -> str:
    """An upsert's ``"createdAt"``: an existing live row keeps its own, an expired one takes the new row's."""
    return (f'CASE WHEN {table}.{_E} IS NOT NULL AND {table}.{_E} <= ? THEN excluded."createdAt" '
            f'ELSE {table}."createdAt" END')


def now_text() -> str:
    """The current instant as stored (ISO-8601 text, milliseconds)."""
    return iso(utc_now())


class LibSQLDomain(BackendDomain[LibSQLConnection]):
    """Base of the libSQL domains: ``conn`` is the storage's :class:`LibSQLConnection`; ``tables`` made at init."""

    tables: ClassVar[tuple[Table, ...]] = ()

    async def _init(self) -> None:
        if not self.conn.is_open:
            await self.conn.open()
        try:
            await self._ensure_schema()
        except MigrationRequired as exc:
            raise StorageError(
                str(exc), id=error_id(self.backend_token, "MIGRATION_REQUIRED", "DUPLICATE_ROWS"),
                category=ErrorCategory.USER, details={"domain": self.domain},
            ) from exc

    async def _ensure_schema(self) -> None:
        attempt = 0
        while True:
            try:
                await self.conn.write(lambda db: ensure(db, self.domain, self.tables))
                return
            except MigrationRequired:
                raise
            except Exception:
                # A remote server can hand this stream a stale schema while another process creates the
                # same tables (sqld: "no such table" right after CREATE TABLE IF NOT EXISTS skipped it).
                # The transaction was rolled back; a new stream sees the other writer's committed schema.
                if not self.conn.target.remote or attempt >= 3:
                    raise
                attempt += 1
                await self.conn.reconnect()
                await asyncio.sleep(0.05 * attempt)

    async def prune_tables(self, tables: Sequence[Table], now: datetime) -> int:
        """Delete the rows of ``tables`` expired at ``now``; how many."""
        at = iso(now)

        def go(db: LibSQLConnection) -> int:
            return sum(
                db.changes(f"DELETE FROM {quote(t.name)} WHERE {_E} IS NOT NULL AND {_E} <= ?", (at,))
                for t in tables
                if EXPIRES in t.names
            )

        return await self.conn.write(go)

    async def count_tables(self, tables: Sequence[Table], now: datetime) -> int:
        """How many rows of ``tables`` are expired at ``now`` (what :meth:`prune_tables` would delete)."""
        at = iso(now)

        def go(db: LibSQLConnection) -> int:
            return sum(
                int((db.one(f"SELECT count(*) FROM {quote(t.name)} WHERE {_E} IS NOT NULL AND {_E} <= ?", (at,))
                     or (0,))[0])
                for t in tables
                if EXPIRES in t.names
            )

        return await self.conn.read(go)

    async def clear_tables(self, tables: Sequence[Table]) -> None:
        """Delete every row of ``tables`` (one transaction)."""

        def go(db: LibSQLConnection) -> None:
            for t in tables:
                db.execute(f"DELETE FROM {quote(t.name)}")

        await self.conn.write(go)

    async def _clear(self) -> None:
        await self.clear_tables(self.tables)

    async def _prune(self, now: datetime) -> int:
        if not any(EXPIRES in t.names for t in self.tables):
            return 0  # nothing here expires (agents)
        return await self.prune_tables(self.tables, now)

    async def _count_expired(self, now: datetime) -> int | None:
        return await self.count_tables(self.tables, now)


async def fetch_page(db: LibSQLConnection, codec: Codec[Any], where: list[str], params: list[Any], order: str,
                     page: int, per_page: Any, source: tuple[str, str] = ("", "")) -> Page[Any]:
    """One statement: a page of ``codec``'s table plus the total as a trailing UNION ALL row. ``source``: a
    ``WITH`` clause and what the rows are selected from instead of the table alone (both parts read the same)."""
    with_, table = source[0], source[1] or quote(codec.table.name)
    cond = " AND ".join(where) or "1"
    page_sql = f"SELECT {codec.select_list()}, NULL FROM {table} WHERE {cond} ORDER BY {order}"
    page_params = list(params)
    if per_page is not False:
        page_sql += " LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)"
        page_params += [per_page, page * per_page]
    nulls = ", ".join("NULL" for _ in codec.columns)
    sql = f"{with_}SELECT * FROM ({page_sql}) UNION ALL SELECT {nulls}, count(*) FROM {table} WHERE {cond}"
    rows = await db.read(lambda d: d.all(sql, page_params + params))
    total = int(rows[-1][-1])
    items = [codec.decode(row[:-1]) for row in rows[:-1]]
    return Page(items=items, total=total, page=page, per_page=per_page, has_more=has_more(total, page, per_page))


def insert_many(db: LibSQLConnection, table: Table, codec: Codec[Any], rows: list[Any], expires: datetime | None,
                 conflict: str = "") -> None:
    """Insert ``rows`` with as many rows per statement as SQLite's parameter limit allows."""
    per = max(1, 30000 // codec.width)
    for part in chunks(rows, per):
        params: list[Any] = []
        for row in part:
            params += codec.encode(row, expires)
        db.execute(f"INSERT INTO {quote(table.name)} ({codec.insert_columns}) VALUES "
                   f"{', '.join(codec.placeholders for _ in part)}{conflict}", params)


# ---------------------------------------------------------------------------- JSON filters

_I64 = (-(2**63), 2**63 - 1)


class Builder:
    """Accumulates SQL fragments' parameters and hands out unique aliases."""

    def __init__(self) -> None:
        self.params: list[Any] = []
        self._ids = itertools.count()

    def alias(self) -> str:
        """A fresh ``json_each`` alias."""
        return f"j{next(self._ids)}"

    def p(self, value: Any) -> str:
        """Bind ``value``; its placeholder."""
        self.params.append(value)
        return "?"


def text_equals(b: Builder, expr: str, value: str) -> str:
    """``expr = value`` for SQL text, also for text the driver binds as bytes (NUL, lone surrogates)."""
    if awkward(value):
        return f"CAST({expr} AS BLOB) = {b.p(value)}"
    return f"{expr} = {b.p(value)}"


def _key(b: Builder, k: str, key: Any) -> str:
    """SQL true when the key of the json_each element ``k`` is ``key``."""
    return text_equals(b, f"{k}.key", str(key))


def _scalar(b: Builder, j: str, value: Any) -> str:
    """``j`` is a json_each alias; its ``type`` and ``atom`` describe the element."""
    if value is None:
        return f"{j}.type = 'null'"
    if isinstance(value, bool):
        return f"{j}.type = '{'true' if value else 'false'}'"
    if isinstance(value, int):
        if not (_I64[0] <= value <= _I64[1]):
            return f"({j}.type IN ('integer', 'real') AND {j}.atom = {b.p(float(value))})"
        return f"({j}.type IN ('integer', 'real') AND {j}.atom = CAST({b.p(str(value))} AS INTEGER))"
    if isinstance(value, float):
        return f"({j}.type IN ('integer', 'real') AND {j}.atom = {b.p(value)})"
    if isinstance(value, str):
        return f"({j}.type = 'text' AND {text_equals(b, f'{j}.atom', value)})"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def equal(b: Builder, j: str, value: Any) -> str:
    """SQL true when the json_each element ``j`` deep-equals ``value``."""
    if isinstance(value, Mapping):
        parts = [f"{j}.type = 'object'", f"(SELECT count(*) FROM json_each({j}.value)) = {len(value)}"]
        for key, v in value.items():
            k = b.alias()
            parts.append(
                f"EXISTS (SELECT 1 FROM json_each({j}.value) {k} WHERE {_key(b, k, key)} AND {equal(b, k, v)})")
        return "(" + " AND ".join(parts) + ")"
    if isinstance(value, list | tuple):
        parts = [f"{j}.type = 'array'", f"json_array_length({j}.value) = {len(value)}"]
        for i, v in enumerate(value):
            k = b.alias()
            parts.append(f"EXISTS (SELECT 1 FROM json_each({j}.value) {k} WHERE {k}.key = {i} AND {equal(b, k, v)})")
        return "(" + " AND ".join(parts) + ")"
    return _scalar(b, j, value)


def contains(b: Builder, j: str, wanted: Any) -> str:
    """SQL true when the json_each element ``j`` contains ``wanted``."""
    if isinstance(wanted, Mapping):
        parts = [f"{j}.type = 'object'"]
        for key, v in wanted.items():
            k = b.alias()
            parts.append(
                f"EXISTS (SELECT 1 FROM json_each({j}.value) {k} WHERE {_key(b, k, key)} AND {contains(b, k, v)})")
        return "(" + " AND ".join(parts) + ")"
    if isinstance(wanted, list):
        parts = [f"{j}.type = 'array'"]
        for v in wanted:
            k = b.alias()
            parts.append(f"EXISTS (SELECT 1 FROM json_each({j}.value) {k} WHERE {contains(b, k, v)})")
        return "(" + " AND ".join(parts) + ")"
    return _scalar(b, j, wanted)


def metadata_matches(b: Builder, column: str, wanted: Mapping[str, Any] | None) -> list[str]:
    """Conditions (ANDed) for ``metadata_matches(column, wanted)``: each key present and deep-equal."""
    out = []
    for key, value in (wanted or {}).items():
        k = b.alias()
        out.append(f"EXISTS (SELECT 1 FROM json_each({column}) {k} WHERE {_key(b, k, key)} AND {equal(b, k, value)})")
    return out


def column_contains(b: Builder, column: str, wanted: Mapping[str, Any] | None) -> list[str]:
    """Conditions for ``contains(column or {}, wanted)`` on an object column (NULL acts as ``{}``)."""
    out = []
    for key, value in (wanted or {}).items():
        k = b.alias()
        out.append(
            f"EXISTS (SELECT 1 FROM json_each({column}) {k} WHERE {_key(b, k, key)} AND {contains(b, k, value)})")
    return out
