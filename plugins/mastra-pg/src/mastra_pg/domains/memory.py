"""The memory domain on PostgreSQL: threads, messages (ordered by ("createdAt", seq)) and resources."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.backend.pages import FetchedMessage, assemble_message_page
from mastra_core.clock import utc_now
from mastra_core.domains.memory import CloneResult, MemoryStore, ResourcePatch, ThreadPatch, plan_clone
from mastra_core.errors import ValidationError, error_id
from mastra_core.pagination import Page, has_more
from mastra_core.records.queries import CloneRequest, MessageQuery, ThreadQuery
from mastra_core.retention import Retention
from mastra_core.serde import content_from_json, content_wire

from .. import lean
from ..arrays import TextArray
from ..codec import aware, esc_str, esc_text, json_copy, jsonb, jsonb_null, naive, text_json, utc_time
from ..connection import PgConnection
from .shared import BUMPED, DEAD, PgDomain, codec_for, page_rows, page_sql


def _msg_cols(a: str) -> str:
    """The columns :func:`_message` reads, then the naive ``"createdAt"`` and ``seq`` (the page order)."""
    return (f"{a}.id, {a}.thread_id, {a}.content, {a}.role, {a}.type, {utc_time('createdAt', a)}, "
            f'{a}."resourceId", {a}."createdAt", {a}.seq')


def _page_order(row: Any) -> tuple[Any, bool, int]:
    """``ORDER BY "createdAt", seq`` of a :func:`_msg_cols` row (NULLs last, as PostgreSQL sorts them)."""
    seq = row[8]
    return row[7], seq is None, 0 if seq is None else seq


def _live(a: str = "", param: str = "now") -> str:
    p = f"{a}." if a else ""
    return f'({p}"expiresAt" IS NULL OR {p}"expiresAt" > %({param})s)'


_BUMP = ('"updatedAtZ" = GREATEST(%(now)s::timestamptz, COALESCE("updatedAtZ", "updatedAt" AT TIME ZONE \'UTC\') '
         '+ interval \'1 millisecond\'), "updatedAt" = GREATEST(%(now)s::timestamptz, COALESCE("updatedAtZ", '
         '"updatedAt" AT TIME ZONE \'UTC\') + interval \'1 millisecond\') AT TIME ZONE \'UTC\'')

#: ``{touched}``: the threads to bump (see :meth:`PgMemory._save_sql`). The text arrays are ``TextArray`` literals (one
#: join each, see ``arrays.py``); the timestamps go through psycopg's binary list dumper (``%(x)b``). psycopg's text
#: array dumper, which escapes every quote of every message's JSON content with a regex substitution, cost more
#: client CPU than the rest of save_messages together.
_SAVE_MESSAGES = """
WITH ins AS (
  INSERT INTO {messages} AS m (id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId", "expiresAt")
  SELECT u.id, u.thread_id, u.content, u.role, u.type, u.c, u.cz, u.rid, %(exp)s
  FROM unnest(%(ids)s::text[], %(tids)s::text[], %(contents)s::text[], %(roles)s::text[], %(types)s::text[],
              %(cs)b::timestamp[], %(czs)b::timestamptz[], %(rids)s::text[])
       WITH ORDINALITY AS u(id, thread_id, content, role, type, c, cz, rid, ord)
  ORDER BY u.ord
  ON CONFLICT (id) DO UPDATE SET thread_id = EXCLUDED.thread_id, content = EXCLUDED.content, role = EXCLUDED.role,
    type = EXCLUDED.type, "resourceId" = EXCLUDED."resourceId", "expiresAt" = EXCLUDED."expiresAt",
    "createdAt" = CASE WHEN m."expiresAt" <= %(now)s THEN EXCLUDED."createdAt" ELSE m."createdAt" END,
    "createdAtZ" = CASE WHEN m."expiresAt" <= %(now)s THEN EXCLUDED."createdAtZ" ELSE m."createdAtZ" END,
    seq = CASE WHEN m."expiresAt" <= %(now)s THEN EXCLUDED.seq ELSE m.seq END
  RETURNING 1
)
UPDATE {threads} SET {bump} WHERE {touched} AND {live}
"""


def _message(row: Any, o: int = 0) -> r.Message:
    """A message from the columns of :func:`_msg_cols` from ``o`` on (content is JSON text; type v2 is the default)."""
    created = aware(row[o + 5])
    assert created is not None  # NOT NULL column
    return r.Message(id=row[o], thread_id=row[o + 1], content=content_from_json(row[o + 2]), role=row[o + 3],
                     type=None if row[o + 4] == "v2" else row[o + 4], created_at=created, resource_id=row[o + 6])


class PgMemory(MemoryStore, PgDomain):
    """Threads, messages and resources in ``mastra_threads``, ``mastra_messages`` and ``mastra_resources``."""

    tables = ("messages", "threads", "resources", "counts")

    def __init__(self, conn: PgConnection, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(conn, backend_token=backend_token, retention=retention)
        self.threads = codec_for(conn, "threads", r.Thread, {"title": "text"})
        self.resources = codec_for(conn, "resources", r.Resource, {"workingMemory": "text"})
        #: Returns only the stored ``createdAt`` (an existing live thread keeps its own): the rest of the stored row is
        #: what the caller sent (see :meth:`_save_thread`).
        self.upsert_thread_sql = self.upsert("threads", self.threads, "id", returning=utc_time("createdAt"))
        self.upsert_resource_sql = self.upsert("resources", self.resources, "id", returning=self.resources.select)
        self._update_resource_sql: dict[tuple[bool, bool], str] = {}
        self.get_thread_sql = self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s AND {live}",
                                     cols=self.threads.select, live=_live())
        # the key lookups' texts, built once (a template render per call is ~1.5 us of a ~70 us op)
        self.get_resource_sql = self.q("SELECT {cols} FROM {resources} WHERE id = %(id)s AND {live}",
                                       cols=self.resources.select, live=_live())
        self.messages_by_id_sql = self.q('SELECT {cols}, m."expiresAt" FROM {messages} m '
                                         "WHERE m.id = ANY(%(ids)s::text[])", cols=_msg_cols("m"))

    # ---------------------------------------------------------------- threads

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        row = await self.conn.fetchone(self.get_thread_sql, {"id": thread_id, "now": utc_now()})
        return None if row is None else self.threads.decode(row)

    def _thread_params(self, thread: r.Thread, now: datetime) -> dict[str, Any]:
        return self.threads.named(thread, exp=self.expires_at("thread"), now=now, id=thread.id)

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        """The upsert returns the stored ``createdAt`` only; the other fields are the (validated, millisecond) ones
        written, and reading them back cost about a sixth of the op's client CPU: ``title`` reads back as written
        (the escape is reversed), metadata as its JSON round trip (:func:`json_copy`: a copy, as a read gives)."""
        row = await self.conn.fetchone(self.upsert_thread_sql, self._thread_params(thread, utc_now()))
        created = aware(row[0])
        assert created is not None  # NOT NULL column
        meta = thread.metadata
        return r.Thread(id=thread.id, resource_id=thread.resource_id, title=thread.title,
                        metadata=None if meta is None else json_copy(meta), created_at=created,
                        updated_at=thread.updated_at)

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        async def go(conn: Any) -> r.Thread | None:
            now = utc_now()
            cur = await conn.execute(self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s AND {live} FOR UPDATE",
                                            cols=self.threads.select, live=_live()), {"id": thread_id, "now": now})
            row = await cur.fetchone()
            if row is None:
                return None
            new = change(self.threads.decode(row))
            await conn.execute(self.q('UPDATE {threads} SET {sets}, "expiresAt" = %(exp)s WHERE id = %(id)s',
                                      sets=self.threads.assignments()), self._thread_params(new, now))
            return new

        async def applied(conn: Any) -> r.Thread | None:
            cur = await conn.execute(self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s",
                                            cols=self.threads.select), {"id": thread_id})
            row = await cur.fetchone()
            return None if row is None else self.threads.decode(row)

        return await self.conn.once(go, applied)

    async def _update_thread(self, thread_id: str, patch: ThreadPatch) -> r.Thread | None:
        """One statement: the title set and the metadata merged (``||``) in SQL, ``updated_at`` bumped, the expiry
        refreshed, the operation token recorded. Anything unusual (no live row, metadata that is not an object, as
        an old writer may leave) takes the general read-modify-write path."""
        now = utc_now()
        title = "%(title)s" if patch.set_title else "t.title"
        meta = "t.metadata" if patch.metadata is None else "COALESCE(t.metadata, '{}'::jsonb) || %(meta)s"
        guard = "" if patch.metadata is None else " AND (t.metadata IS NULL OR jsonb_typeof(t.metadata) = 'object')"
        head = self.q('WITH up AS (UPDATE {threads} AS t SET title = {title}, metadata = {meta}, "updatedAtZ" = '
                      '{bumped}, "updatedAt" = {bumped} AT TIME ZONE \'UTC\', "expiresAt" = %(exp)s '
                      "WHERE t.id = %(id)s AND {live}{guard} RETURNING {cols})", title=title, meta=meta,
                      bumped=BUMPED, live=_live("t"), guard=guard, cols=self.threads.select)
        params = {"id": thread_id, "now": now, "exp": self.expires_at("thread"),
                  "title": esc_text(patch.title), "meta": jsonb(patch.metadata)}
        row = await self.conn.once_row(head, params,
                                       lambda conn: self._stored_row(conn, "threads", self.threads.select, thread_id))
        if row is None:
            return await super()._update_thread(thread_id, patch)
        return self.threads.decode(row)

    async def _stored_row(self, conn: Any, table: str, cols: str, key: str) -> Any:
        """The stored row of ``key`` in ``table`` (what a retried one-statement write answers)."""
        cur = await conn.execute(self.q("SELECT {cols} FROM {tbl} WHERE id = %(id)s", cols=cols,
                                        tbl=self.table_name(table)), {"id": key})
        return await cur.fetchone()

    async def _delete_thread(self, thread_id: str) -> None:
        await self.conn.execute(self.q("WITH d AS (DELETE FROM {messages} WHERE thread_id = %(id)s) "
                                     "DELETE FROM {threads} WHERE id = %(id)s"), {"id": thread_id})

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        params: dict[str, Any] = {"now": utc_now()}
        conds = [_live()]
        if q.resource_id is not None:
            conds.append('"resourceId" = %(rid)s')
            params["rid"] = q.resource_id
        for i, (k, v) in enumerate((q.metadata or {}).items()):
            conds.append(f"metadata -> %(mk{i})s = %(mv{i})s")
            params[f"mk{i}"] = esc_str(k)
            params[f"mv{i}"] = jsonb(v) if v is not None else jsonb_null()
        where = " AND ".join(conds)
        col = '"createdAt"' if q.order_field == "created_at" else '"updatedAt"'
        d = "DESC" if q.direction == "DESC" else "ASC"
        limit = "" if q.per_page is False else f" LIMIT {int(q.per_page)} OFFSET {int(q.page) * int(q.per_page)}"
        rows = await self.conn.fetch(page_sql(self.q, self.table_name("threads"), self.threads.select, where,
                                              f"{col} {d}, seq {d}", limit), params)
        total, items = page_rows(rows, self.threads)
        return Page(items=items, total=total, page=q.page, per_page=q.per_page,
                    has_more=has_more(total, q.page, q.per_page))

    # ---------------------------------------------------------------- messages

    def _list_sql(self, q: MessageQuery, params: dict[str, Any]) -> str:
        """The page, include windows and total as one UNION ALL statement (a template for ``self.q``).

        Only fixed fragments and column names go into the text; every value is a named parameter
        (hence the S608 suppressions below).
        """
        conds = [_live("m")]
        if q.resource_id is not None:
            conds.append('m."resourceId" = %(rid)s')
            params["rid"] = q.resource_id
        if q.start is not None:
            conds.append('m."createdAt" ' + (">" if q.start_exclusive else ">=") + " %(start)s")
            params["start"] = naive(q.start)
        if q.end is not None:
            conds.append('m."createdAt" ' + ("<" if q.end_exclusive else "<=") + " %(end)s")
            params["end"] = naive(q.end)
        where = " AND ".join(conds)
        d = "DESC" if q.direction == "DESC" else "ASC"
        cols = _msg_cols("m")
        branches: list[str] = []
        if q.limit != 0:
            # LIMIT/OFFSET are literals (validated ints), not parameters: a generic prepared plan then
            # still knows it needs a few rows and keeps the ordered index scan instead of sort-all
            limit = "" if q.limit is None else f" LIMIT {int(q.limit)} OFFSET {int(q.offset)}"
            if len(q.thread_ids) == 1:
                params["t0"] = q.thread_ids[0]
                branches.append(f"(SELECT 'p', {cols} FROM {{messages}} m WHERE m.thread_id = %(t0)s AND {where} "  # noqa: S608
                                f'ORDER BY m."createdAt" {d}, m.seq {d}{limit})')
            else:
                inner = []
                for i, tid in enumerate(q.thread_ids):
                    params[f"t{i}"] = tid
                    cap = "" if q.limit is None else f" LIMIT {int(q.offset) + int(q.limit)}"
                    inner.append(f"(SELECT {cols} FROM {{messages}} m WHERE m.thread_id = %(t{i})s AND {where} "  # noqa: S608
                                 f'ORDER BY m."createdAt" {d}, m.seq {d}{cap})')
                union = " UNION ALL ".join(inner)
                branches.append(f"(SELECT 'p', u.* FROM ({union}) u ORDER BY u.\"createdAt\" {d}, u.seq {d}{limit})")  # noqa: S608
        for i, inc in enumerate(q.include):
            params[f"i{i}"] = inc.id
            branches.append(f"(SELECT 'i', {cols} FROM {{messages}} m WHERE m.id = %(i{i})s AND {_live('m')})")  # noqa: S608
            for n, cmp, dd in ((inc.with_previous_messages, "<", "DESC"), (inc.with_next_messages, ">", "ASC")):
                if n:
                    branches.append(
                        # LATERAL: a parameterised index range scan from the target, whatever the thread length
                        f"(SELECT 'i', {cols} FROM {{messages}} t CROSS JOIN LATERAL (SELECT * FROM {{messages}} m "  # noqa: S608
                        f"WHERE m.thread_id = t.thread_id AND {_live('m')} "
                        f'AND (m."createdAt", m.seq) {cmp} (t."createdAt", t.seq) '
                        f'ORDER BY m."createdAt" {dd}, m.seq {dd} LIMIT {int(n)}) m '
                        f"WHERE t.id = %(i{i})s AND {_live('t')})")
        if q.resource_id is None and q.start is None and q.end is None and len(q.thread_ids) == 1:
            # one thread (the usual page): its count by key; ~10 % less server time than the array form below
            params["t0"] = q.thread_ids[0]
            total = ("COALESCE((SELECT n FROM {counts} WHERE thread_id = %(t0)s), 0) - "
                     '(SELECT count(*) FROM {messages} m WHERE m.thread_id = %(t0)s AND m."expiresAt" <= %(now)s)')
        elif q.resource_id is None and q.start is None and q.end is None:
            params["tids"] = TextArray(q.thread_ids)
            total = ("COALESCE((SELECT sum(n) FROM {counts} WHERE thread_id = ANY(%(tids)s::text[])), 0) - "
                     '(SELECT count(*) FROM {messages} m WHERE m.thread_id = ANY(%(tids)s::text[]) '
                     'AND m."expiresAt" <= %(now)s)')
        else:
            params["tids"] = TextArray(q.thread_ids)
            total = f"(SELECT count(*) FROM {{messages}} m WHERE m.thread_id = ANY(%(tids)s::text[]) AND {where})"  # noqa: S608
        nulls = "NULL::text, " * 5 + "NULL::timestamptz, NULL::text, NULL::timestamp"
        branches.append(f"(SELECT 't', {nulls}, ({total})::bigint)")
        return " UNION ALL ".join(branches)

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        params: dict[str, Any] = {"now": utc_now()}
        text = self._list_sql(q, params)
        # never a generic prepared plan: it would size "thread_id = $1" by the average thread and may sort a
        # huge thread whole; planned with the real thread id, the ordered index scan is always chosen. Prepared
        # all the same (lean.CUSTOM): parsing this text on every call cost more than planning it
        rows = await self.conn.fetch(self.q(text), params, prepare=lean.CUSTOM)
        total = 0
        page: list[FetchedMessage] = []
        windows: list[FetchedMessage] = []
        for row in rows:
            if row[0] == "t":
                total = int(row[9])
            else:
                (page if row[0] == "p" else windows).append(FetchedMessage(_message(row, 1), row[9]))
        return assemble_message_page(q, page=page, windows=windows, total=total)

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        """The live rows of these ids, oldest first. Never a generic prepared plan (an array: see _save_sql): 2 ms
        for 10 ids among 11k messages until autovacuum analysed the table; planned per call (``lean.CUSTOM``).

        Expiry and order are applied here, not in SQL: the statement is then a bare key lookup, whose planning and
        run cost the server 42 us against 60 us with the filter and the sort (10 ids, ``EXPLAIN ANALYZE``), and the
        rows are at most the ids asked for. Same order as ``ORDER BY "createdAt", seq`` (seq NULL last).
        """
        now = utc_now()
        rows = await self.conn.fetch(self.messages_by_id_sql, {"ids": TextArray(ids)}, prepare=lean.CUSTOM)
        live = [row for row in rows if row[9] is None or row[9] > now]
        live.sort(key=_page_order)
        return [_message(x) for x in live]

    def _save_params(self, messages: list[r.Message], touched: set[str]) -> dict[str, Any]:
        return {
            "ids": TextArray([m.id for m in messages]), "tids": TextArray([m.thread_id for m in messages]),
            "contents": TextArray([text_json(content_wire(m.content)) for m in messages]),
            "roles": TextArray([m.role for m in messages]), "types": TextArray([m.type or "v2" for m in messages]),
            "cs": [naive(m.created_at) for m in messages], "czs": [m.created_at for m in messages],
            "rids": TextArray([m.resource_id for m in messages]), "exp": self.expires_at("message"), "now": utc_now(),
            "touched": TextArray(sorted(touched)), "t0": next(iter(touched), None),
        }

    async def _save_messages(self, messages: list[r.Message]) -> None:
        await self._write_messages(messages, set())

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        touched = {m.thread_id for m in messages if m.thread_id} | set(touched_thread_ids)
        text, prepare = self._save_sql(touched)
        await self.conn.execute(text, self._save_params(messages, touched), prepare=prepare)

    def _save_sql(self, touched: set[str]) -> tuple[str, lean.Prepare]:
        """The save statement for the threads ``touched``, and how it is prepared.

        A statement matching ``= ANY(array)`` never runs with a generic prepared plan: one made while the table was
        small scanned the whole table once it had grown, until autovacuum analysed it (save_messages(10) went from
        0.8 to 18 ms with 200k threads; ``tests/test_pg_generic_plans.py``). The usual save touches ONE thread, bumped
        by its key (``id = %(t0)s``), whose generic plan is the index's at any size; several are planned per call
        (``lean.CUSTOM``: prepared, never with a generic plan).
        """
        if len(touched) == 1:
            return self.q(_SAVE_MESSAGES, bump=_BUMP, live=_live(), touched="id = %(t0)s"), None
        return self.q(_SAVE_MESSAGES, bump=_BUMP, live=_live(), touched="id = ANY(%(touched)s::text[])"), lean.CUSTOM

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        await self.conn.execute(self.q(
            "WITH d AS (DELETE FROM {messages} WHERE id = ANY(%(ids)s::text[]) RETURNING thread_id) "
            "UPDATE {threads} SET {bump} WHERE id IN (SELECT thread_id FROM d) AND {live}", bump=_BUMP, live=_live()),
            {"ids": list(ids), "now": utc_now()}, prepare=lean.CUSTOM)

    # ---------------------------------------------------------------- resources

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        row = await self.conn.fetchone(self.get_resource_sql, {"id": resource_id, "now": utc_now()})
        return None if row is None else self.resources.decode(row)

    def _res_params(self, resource: r.Resource, now: datetime) -> dict[str, Any]:
        return self.resources.named(resource, exp=self.expires_at("resource"), now=now, id=resource.id)

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        row = await self.conn.fetchone(self.upsert_resource_sql, self._res_params(resource, utc_now()))
        return self.resources.decode(row)

    async def _update_resource(self, resource_id: str, patch: ResourcePatch) -> r.Resource:
        """One statement (``INSERT ... ON CONFLICT DO UPDATE``): created from the patch when missing or expired,
        else working memory set and metadata merged (``||``) in SQL, ``updated_at`` bumped; the expiry refreshed and
        the operation token recorded. Metadata that is not an object (an old writer's) takes the general path."""
        fresh = patch.apply(resource_id, None)
        now = fresh.updated_at
        shape = (patch.set_working_memory, patch.metadata is None)
        head = self._update_resource_sql.get(shape)
        if head is None:
            head = self._update_resource_sql[shape] = self._update_resource_head(*shape)
        row = await self.conn.once_row(
            head, self._res_params(fresh, now),
            lambda conn: self._stored_row(conn, "resources", self.resources.select, resource_id))
        if row is None:
            return await super()._update_resource(resource_id, patch)
        return self.resources.decode(row)

    def _update_resource_head(self, set_working_memory: bool, no_metadata: bool) -> str:
        """The statement head of :meth:`_update_resource` for one patch shape (built once per shape)."""
        merged = {
            "workingMemory": "EXCLUDED.\"workingMemory\"" if set_working_memory else 't."workingMemory"',
            "metadata": "t.metadata" if no_metadata else "COALESCE(t.metadata, '{}'::jsonb) || EXCLUDED.metadata",
            "updatedAtZ": BUMPED, "updatedAt": BUMPED + " AT TIME ZONE 'UTC'",
        }
        sets = [f"{c} = CASE WHEN {DEAD} THEN EXCLUDED.{c} ELSE {merged.get(c.strip(chr(34)), 't.' + c)} END"
                for c in self.resources.insert_cols if c != '"id"']
        sets.append(f"seq = CASE WHEN {DEAD} THEN nextval({self.q('{seqname}')}::regclass) ELSE t.seq END")
        guard = "" if no_metadata else f" WHERE {DEAD} OR t.metadata IS NULL OR jsonb_typeof(t.metadata) = 'object'"
        return self.q('WITH up AS (INSERT INTO {resources} AS t ({cols}, "expiresAt") VALUES ({ph}, %(exp)s) '
                      'ON CONFLICT (id) DO UPDATE SET {sets}, "expiresAt" = EXCLUDED."expiresAt"{guard} '
                      "RETURNING {ret})", cols=", ".join(self.resources.insert_cols),
                      ph=self.resources.placeholders(), sets=", ".join(sets), guard=guard, ret=self.resources.select)

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        live_at = len(self.resources.columns)

        async def go(conn: Any) -> r.Resource | None:
            now = utc_now()
            cur = await conn.execute(self.q("SELECT {cols}, {live} FROM {resources} WHERE id = %(id)s FOR UPDATE",
                                            cols=self.resources.select, live=_live()),
                                     {"id": resource_id, "now": now})
            row = await cur.fetchone()
            if row is not None:
                new = change(self.resources.decode(row) if row[live_at] else None)
                # a dead row comes back to life as a new record: it gets a new place in the order
                reseq = "" if row[live_at] else ", seq = nextval(" + self.q("{seqname}") + "::regclass)"
                await conn.execute(self.q('UPDATE {resources} SET {sets}, "expiresAt" = %(exp)s{reseq} '
                                          "WHERE id = %(id)s", sets=self.resources.assignments(), reseq=reseq),
                                   self._res_params(attrs.evolve(new, id=resource_id), now))
                return new
            new = change(None)
            cur = await conn.execute(self.q('INSERT INTO {resources} ({cols}, "expiresAt") VALUES ({ph}, %(exp)s) '
                                            "ON CONFLICT (id) DO NOTHING RETURNING 1",
                                            cols=", ".join(self.resources.insert_cols),
                                            ph=self.resources.placeholders()),
                                     self._res_params(attrs.evolve(new, id=resource_id), now))
            if await cur.fetchone() is not None:
                return new
            return None  # a concurrent writer created it first: read-modify-write again

        async def applied(conn: Any) -> r.Resource | None:
            cur = await conn.execute(self.q("SELECT {cols} FROM {resources} WHERE id = %(id)s",
                                            cols=self.resources.select), {"id": resource_id})
            row = await cur.fetchone()
            return None if row is None else self.resources.decode(row)

        for _ in range(10):
            result = await self.conn.once(go, applied)
            if result is not None:
                return result
        raise RuntimeError(f"could not update resource {resource_id!r} under contention")

    # ---------------------------------------------------------------- clone, clear, prune

    async def _clone_thread(self, req: CloneRequest) -> CloneResult:
        async def go(conn: Any) -> CloneResult:
            now = utc_now()
            cur = await conn.execute(self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s AND {live} FOR SHARE",
                                            cols=self.threads.select, live=_live()),
                                     {"id": req.source_thread_id, "now": now})
            row = await cur.fetchone()
            if row is None:
                raise ValidationError(f"source thread {req.source_thread_id!r} not found",
                                      id=error_id(self.backend_token, "CLONE_THREAD", "SOURCE_NOT_FOUND"))
            source = self.threads.decode(row)
            cur = await conn.execute(self.q("SELECT 1 FROM {threads} WHERE id = %(id)s AND {live}", live=_live()),
                                     {"id": req.new_thread_id, "now": now})
            if await cur.fetchone() is not None:
                raise ValidationError(f"thread {req.new_thread_id!r} already exists",
                                      id=error_id(self.backend_token, "CLONE_THREAD", "THREAD_EXISTS"))
            cur = await conn.execute(self.q('SELECT {cols} FROM {messages} m WHERE m.thread_id = %(id)s AND {live} '
                                            'ORDER BY m."createdAt", m.seq', cols=_msg_cols("m"), live=_live("m")),
                                     {"id": source.id, "now": now})
            messages = [_message(x) for x in await cur.fetchall()]
            thread, copies = plan_clone(source, messages, req)
            await conn.execute(self.upsert_thread_sql, self._thread_params(thread, now))
            if copies:
                await conn.execute(self._save_sql({thread.id})[0], self._save_params(copies, {thread.id}))
            cur = await conn.execute(self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s", cols=self.threads.select),
                                     {"id": thread.id})
            stored = await cur.fetchone()
            return CloneResult(thread=self.threads.decode(stored), cloned_messages=copies)

        async def applied(conn: Any) -> CloneResult:
            cur = await conn.execute(self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s", cols=self.threads.select),
                                     {"id": req.new_thread_id})
            stored = await cur.fetchone()
            cur = await conn.execute(self.q('SELECT {cols} FROM {messages} m WHERE m.thread_id = %(id)s '
                                            'ORDER BY m."createdAt", m.seq', cols=_msg_cols("m")),
                                     {"id": req.new_thread_id})
            copies = [_message(x) for x in await cur.fetchall()]
            return CloneResult(thread=self.threads.decode(stored), cloned_messages=copies)

        return await self.conn.once(go, applied)

    def expiring_tables(self) -> tuple[str, ...]:
        """Messages, threads and resources expire (the counts table follows them)."""
        return ("messages", "threads", "resources")

    async def _prune(self, now: Any) -> int:
        rows = await self.conn.pipeline([
            (self.q('WITH a AS (DELETE FROM {messages} WHERE "expiresAt" <= %(now)s RETURNING 1), '
                    'b AS (DELETE FROM {threads} WHERE "expiresAt" <= %(now)s RETURNING 1), '
                    'c AS (DELETE FROM {resources} WHERE "expiresAt" <= %(now)s RETURNING 1) '
                    "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) + (SELECT count(*) FROM c)"),
             {"now": now}),
        ])
        return int(rows[0][0][0])

