"""What the pg domains share: the typed base (connection, templates, clear/prune) and paging."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from mastra_core.backend.domain import BackendDomain
from mastra_core.backend.reference_schema import table
from mastra_core.pagination import Page, PerPage, has_more
from mastra_core.retention import Retention

from ..codec import PgKind, TableCodec, ident
from ..connection import PgConnection
from ..schema import TABLES, Sql

R = TypeVar("R")

#: The row is live: no TTL, or not reached yet.
LIVE = '("expiresAt" IS NULL OR "expiresAt" > %(now)s)'
#: The existing row ``t`` of an upsert had expired: it no longer exists, the write creates it anew.
DEAD = 't."expiresAt" <= %(now)s'
#: A new ``updated_at`` for row ``t``: now, but strictly after the stored one (``bump_time`` of the core, in SQL).
BUMPED = ('GREATEST(%(now)s::timestamptz, COALESCE(t."updatedAtZ", t."updatedAt" AT TIME ZONE \'UTC\') '
          "+ interval '1 millisecond')")


def page_sql(q: Sql, tbl: str, cols: str, where: str, order: str, limit: str) -> str:
    """A page of ``tbl``'s rows matching ``where`` and their total, as ONE statement: each row is (total, a marker,
    the page's ``cols``...); an empty page is one row whose marker is NULL.

    One statement instead of a pipeline of two: psycopg's pipeline mode cost more client CPU than the page's rows
    (a runs page of twenty 2.6 KB snapshots: -30 % CPU, -15 % wall in an interleaved A/B), and both parts now read
    one snapshot. The count is the outer row; ``ON TRUE`` leaves the planner only a nested loop over it, which
    returns the ordered subquery's rows in their order.
    """
    return q("SELECT c.n, p.* FROM (SELECT count(*) AS n FROM {tbl} WHERE {where}) c LEFT JOIN LATERAL "
             "(SELECT TRUE AS hit, {cols} FROM {tbl} WHERE {where} ORDER BY {order}{limit}) p ON TRUE",
             tbl=tbl, where=where, cols=cols, order=order, limit=limit)


def page_rows(rows: list[Any], codec: TableCodec[R]) -> tuple[int, list[R]]:
    """The total and the records of :func:`page_sql`'s rows."""
    total = int(rows[0][0])
    if rows[0][1] is None:
        return total, []
    return total, [codec.decode(row, 2) for row in rows]


def page_row_decoder(codec: TableCodec[R], build: Callable[[R], Any] | None) -> Callable[[Any], tuple[Any, Any]]:
    """What turns a :func:`page_sql` row into (total, its record built, or None for an empty page's marker row): the
    ``each`` of :meth:`PgConnection.fetch` (:func:`page_rows` decodes whole results already fetched)."""
    if build is None:
        return lambda row: (row[0], None if row[1] is None else codec.decode(row, 2))
    return lambda row: (row[0], None if row[1] is None else build(codec.decode(row, 2)))


class PgDomain(BackendDomain[PgConnection]):
    """Base of the pg domains: ``conn`` is the storage's :class:`PgConnection`, ``q`` renders its templates."""

    #: Template names (see ``schema.TABLES``) of the tables ``dangerously_clear_all`` and ``prune`` touch.
    tables: ClassVar[tuple[str, ...]] = ()

    def __init__(self, conn: PgConnection, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(conn, backend_token=backend_token, retention=retention)
        self.q = Sql(conn.schema)
        self._upserts: dict[tuple[str, TableCodec[Any], str, tuple[str, ...], str], str] = {}

    async def _init(self) -> None:
        await self.conn.open()

    async def _clear(self) -> None:
        names = ", ".join(self.table_name(t) for t in self.tables)
        await self.conn.execute(self.q("TRUNCATE {names}", names=names))

    async def _prune(self, now: datetime) -> int:
        total = 0
        for t in self.tables:
            total += await self.conn.execute(
                self.q('DELETE FROM {tbl} WHERE "expiresAt" <= %(now)s', tbl=self.table_name(t)), {"now": now})
        return total

    async def _count_expired(self, now: datetime) -> int | None:
        total = 0
        for t in self.expiring_tables():
            row = await self.conn.fetchone(
                self.q('SELECT count(*) FROM {tbl} WHERE "expiresAt" <= %(now)s', tbl=self.table_name(t)), {"now": now})
            total += int(row[0]) if row else 0
        return total

    def expiring_tables(self) -> tuple[str, ...]:
        """The tables ``prune`` deletes expired rows from."""
        return self.tables

    def table_name(self, key: str) -> str:
        """The schema-qualified, quoted name of the table called ``key`` in ``schema.TABLES``."""
        return ident(self.conn.schema) + "." + ident(TABLES[key])

    async def page(self, codec: TableCodec[R], key: str, where: str, order: str, params: dict[str, Any], page: int,
                   per_page: PerPage, build: Callable[[R], Any] | None = None, chunk: int = 0) -> Page[Any]:
        """One page of ``codec``'s records and the total in ONE statement (:func:`page_sql`), each row decoded (and
        built) as it is loaded; ``chunk`` > 0: rows read that many at a time (:meth:`PgConnection.fetch`)."""
        limit = "" if per_page is False else f" LIMIT {int(per_page)} OFFSET {int(page) * int(per_page)}"
        rows = await self.conn.fetch(page_sql(self.q, self.table_name(key), codec.select, where, order, limit), params,
                                     chunk=chunk, each=page_row_decoder(codec, build))
        total = int(rows[0][0])
        return Page(items=[] if rows[0][1] is None else [row[1] for row in rows], total=total, page=page,
                    per_page=per_page, has_more=has_more(total, page, per_page))

    def upsert(self, key: str, codec: TableCodec[Any], conflict: str,
               keep: tuple[str, ...] = ("createdAt", "createdAtZ", "seq"), returning: str = "") -> str:
        """``INSERT ... ON CONFLICT DO UPDATE`` of ``codec``'s columns and ``"expiresAt"`` (``%(exp)s``).

        ``keep`` columns are replaced only when the old row had expired (it no longer exists);
        ``returning`` is a select list to return (the stored row). Built once per shape (cached).
        """
        memo = (key, codec, conflict, keep, returning)  # codecs compare by identity; each lives as its domain
        hit = self._upserts.get(memo)
        if hit is None:
            hit = self._upserts[memo] = self._build_upsert(key, codec, conflict, keep, returning)
        return hit

    def _build_upsert(self, key: str, codec: TableCodec[Any], conflict: str, keep: tuple[str, ...],
                      returning: str) -> str:
        cols = ", ".join([*codec.insert_cols, '"expiresAt"'])
        sets = [f"{c} = EXCLUDED.{c}" for c in [*codec.insert_cols, '"expiresAt"'] if c.strip('"') not in keep]
        for k in keep:
            c = ident(k)
            sets.append(f'{c} = CASE WHEN t."expiresAt" <= %(now)s THEN EXCLUDED.{c} ELSE t.{c} END')
        return self.q("INSERT INTO {tbl} AS t ({cols}) VALUES ({ph}, %(exp)s) "
                      "ON CONFLICT ({conflict}) DO UPDATE SET {sets}{ret}",
                      tbl=self.table_name(key), cols=cols, ph=codec.placeholders(), conflict=conflict,
                      sets=", ".join(sets), ret=f" RETURNING {returning}" if returning else "")


def codec_for(conn: PgConnection, key: str, record: type[R],
              kinds: Mapping[str, PgKind] | None = None) -> TableCodec[R]:
    """The codec of ``record`` on the table called ``key`` (its reference columns, with pg ``kinds`` where
    a column is stored otherwise than its reference kind says)."""
    return TableCodec(conn.schema, table(TABLES[key]), record, kinds or {})
