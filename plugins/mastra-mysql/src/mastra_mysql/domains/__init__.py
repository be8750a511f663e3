"""The MariaDB domain stores, one module per domain, and what they share: the typed base, the live-row
condition, paging and the upsert that keeps ``createdAt``.

SQL text is built only from constant fragments and validated, backtick-quoted identifiers; every value
is a bound parameter (hence the S608 suppressions).
"""
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from mastra_core.backend import BackendDomain, RowCodec, page_of
from mastra_core.backend.reference_schema import EXPIRES_AT, Table
from mastra_core.clock import utc_now
from mastra_core.pagination import Page

from ..codec import naive_utc
from ..connection import MySQLConnection, Row, Tx
from ..schema import SEQ, quote

R = TypeVar("R")
E = quote(EXPIRES_AT)
#: A row is visible until its expiry (TTL rows are hidden on read before ``prune`` deletes them).
LIVE = f"({E} IS NULL OR {E} > %s)"
#: Rows per multi-row INSERT (keeps statements well under max_allowed_packet).
CHUNK = 200
#: MariaDB needs a LIMIT for an OFFSET: "all rows".
NO_LIMIT = 18446744073709551615


def now() -> datetime:
    """Now as a ``DATETIME(3)`` parameter (naive UTC, milliseconds)."""
    return naive_utc(utc_now())


def columns(codec: RowCodec[Any], alias: str = "") -> str:
    """The select list of a table: its columns and ``seq``."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{quote(c)}" for c in (*codec.table.names, SEQ))


def marks(n: int) -> str:
    """``%s, %s, ...`` for ``n`` parameters."""
    return ", ".join(["%s"] * n)


def chunks(items: Sequence[R], size: int = CHUNK) -> Iterator[Sequence[R]]:
    """``items`` in slices of ``size``."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def limit_sql(per_page: Any, page: int) -> str:
    """``LIMIT n OFFSET m`` for a page (validated ints as literals), or nothing for ``per_page=False``."""
    if per_page is False:
        return ""
    return f" LIMIT {int(per_page)} OFFSET {int(page) * int(per_page)}"


async def select_page(conn: MySQLConnection, codec: RowCodec[R], where: Sequence[str], params: Sequence[Any],
                      order: str, page: int, per_page: Any,
                      keep: Callable[[R], bool] | None = None) -> Page[R]:
    """One page of ``codec``'s table and the total. ``keep`` is a filter SQL cannot express exactly: then
    every matching row is read in order, filtered here and paged here."""
    table = quote(codec.table.name)
    cond = " AND ".join(where) or "TRUE"
    base = f"SELECT {columns(codec)} FROM {table} WHERE {cond} ORDER BY {order}"

    async def go(tx: Tx) -> Page[R]:
        if keep is not None:
            items = [x for x in (codec.from_row(row) for row in await tx.fetch(base, params)) if keep(x)]
            lo = 0 if per_page is False else page * per_page
            hi = len(items) if per_page is False else lo + per_page
            return page_of(items[lo:hi], total=len(items), page=page, per_page=per_page)
        # the page and the total in one multi-statement: one round trip
        rows, count = await tx.fetch_each([(base + limit_sql(per_page, page), params),
                                           (f"SELECT COUNT(*) AS n FROM {table} WHERE {cond}", params)])
        total = int(count[0]["n"]) if count else 0
        return page_of([codec.from_row(row) for row in rows], total=total, page=page, per_page=per_page)

    return await conn.read(go)


async def upsert(tx: Tx, codec: RowCodec[Any], rows: Sequence[Row], key: Sequence[str],
                 keep: Sequence[str] = ("createdAt",), at: datetime | None = None) -> None:
    """Insert ``rows`` in order, or update the row with the same ``key`` keeping its ``keep`` columns and
    ``seq``. A row with that key that has expired (but is not pruned yet) is replaced as a new row. Deferred
    (:meth:`Tx.defer`): sent with the transaction's next statement or its COMMIT."""
    if not rows:
        return
    table = quote(codec.table.name)
    names = list(rows[0])
    if EXPIRES_AT in codec.table.names:
        at = at or now()
        match = " OR ".join(["(" + " AND ".join(f"{quote(k)} = %s" for k in key) + ")"] * len(rows))
        tx.defer(f"DELETE FROM {table} WHERE ({match}) AND {E} <= %s", [*(row[k] for row in rows for k in key), at])
    sets = ", ".join(f"{quote(c)} = VALUES({quote(c)})" for c in names if c not in key and c not in keep)
    for part in chunks(rows):
        values = ", ".join(f"({marks(len(names))})" for _ in part)
        tx.defer(f"INSERT INTO {table} ({', '.join(quote(c) for c in names)}) VALUES {values} "
                 f"ON DUPLICATE KEY UPDATE {sets or quote(key[0]) + ' = ' + quote(key[0])}",
                 [row[c] for row in part for c in names])


async def update_row(tx: Tx, codec: RowCodec[Any], row: Row, key: Sequence[str]) -> None:
    """Write every column of ``row`` onto the stored row with the same ``key`` (deferred, as :func:`upsert`)."""
    names = [c for c in row if c not in key]
    tx.defer(f"UPDATE {quote(codec.table.name)} SET {', '.join(f'{quote(c)} = %s' for c in names)} "
             f"WHERE {' AND '.join(f'{quote(k)} = %s' for k in key)}",
             [*(row[c] for c in names), *(row[k] for k in key)])


class MySQLDomain(BackendDomain[MySQLConnection]):
    """Base of the MariaDB domains: ``conn`` is the storage's :class:`MySQLConnection`; ``tables`` are the
    reference tables of the domain (cleared and pruned here)."""

    tables: ClassVar[tuple[Table, ...]] = ()

    async def _clear(self) -> None:
        async def go(tx: Tx) -> None:
            for table in self.tables:
                tx.defer(f"DELETE FROM {quote(table.name)}")

        await self.conn.tx(go)

    async def _prune(self, now: datetime) -> int:
        at = naive_utc(now)

        async def go(tx: Tx) -> int:
            count = 0
            for table in self.tables:
                if EXPIRES_AT in table.names:
                    count += await tx.execute(f"DELETE FROM {quote(table.name)} WHERE {E} <= %s", (at,))
            return count

        return await self.conn.tx(go)

    async def _count_expired(self, now: datetime) -> int | None:
        at = naive_utc(now)
        count = 0
        for table in self.tables:
            if EXPIRES_AT in table.names:
                row = await self.conn.one(f"SELECT count(*) AS n FROM {quote(table.name)} WHERE {E} <= %s", (at,))
                count += int(row["n"]) if row else 0
        return count
