"""The memory domain on PostgreSQL: threads, messages (ordered by ("createdAt", seq)) and resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.domains.memory import CloneResult, MemoryStore, plan_clone
from mastra_core.errors import ValidationError, error_id
from mastra_core.pagination import Page, has_more
from mastra_core.records.queries import CloneRequest, MessageQuery, ThreadQuery
from mastra_core.serde import content_from_json, to_wire

from . import jsonsafe
from .db import PgDb, pipelined_transaction
from .sqltext import Sql
from .table import aware, jsonb, naive

_THREAD_COLS = ('id, "resourceId", title, metadata, COALESCE("createdAtZ", "createdAt" AT TIME ZONE \'UTC\'), '
                'COALESCE("updatedAtZ", "updatedAt" AT TIME ZONE \'UTC\')')
_RES_COLS = ('id, "workingMemory", metadata, COALESCE("createdAtZ", "createdAt" AT TIME ZONE \'UTC\'), '
             'COALESCE("updatedAtZ", "updatedAt" AT TIME ZONE \'UTC\')')


def _msg_cols(a: str) -> str:
    return (f'{a}.id, {a}.thread_id, {a}.content, {a}.role, {a}.type, '
            f'COALESCE({a}."createdAtZ", {a}."createdAt" AT TIME ZONE \'UTC\'), {a}."resourceId", {a}."createdAt", {a}.seq')


def _live(a: str = "", param: str = "now") -> str:
    p = f"{a}." if a else ""
    return f'({p}"expiresAt" IS NULL OR {p}"expiresAt" > %({param})s)'


_BUMP = ('"updatedAtZ" = GREATEST(%(now)s::timestamptz, COALESCE("updatedAtZ", "updatedAt" AT TIME ZONE \'UTC\') '
         '+ interval \'1 millisecond\'), "updatedAt" = GREATEST(%(now)s::timestamptz, COALESCE("updatedAtZ", '
         '"updatedAt" AT TIME ZONE \'UTC\') + interval \'1 millisecond\') AT TIME ZONE \'UTC\'')

_SAVE_MESSAGES = """
WITH ins AS (
  INSERT INTO {messages} AS m (id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId", "expiresAt")
  SELECT u.id, u.thread_id, u.content, u.role, u.type, u.c, u.cz, u.rid, %(exp)s
  FROM unnest(%(ids)s::text[], %(tids)s::text[], %(contents)s::text[], %(roles)s::text[], %(types)s::text[],
              %(cs)s::timestamp[], %(czs)s::timestamptz[], %(rids)s::text[])
       WITH ORDINALITY AS u(id, thread_id, content, role, type, c, cz, rid, ord)
  ORDER BY u.ord
  ON CONFLICT (id) DO UPDATE SET thread_id = EXCLUDED.thread_id, content = EXCLUDED.content, role = EXCLUDED.role,
    type = EXCLUDED.type, "resourceId" = EXCLUDED."resourceId", "expiresAt" = EXCLUDED."expiresAt",
    "createdAt" = CASE WHEN m."expiresAt" <= %(now)s THEN EXCLUDED."createdAt" ELSE m."createdAt" END,
    "createdAtZ" = CASE WHEN m."expiresAt" <= %(now)s THEN EXCLUDED."createdAtZ" ELSE m."createdAtZ" END,
    seq = CASE WHEN m."expiresAt" <= %(now)s THEN EXCLUDED.seq ELSE m.seq END
  RETURNING 1
)
UPDATE {threads} SET {bump} WHERE id = ANY(%(touched)s::text[]) AND {live}
"""


def _thread(row: Any) -> r.Thread:
    return r.Thread(id=row[0], resource_id=row[1], title=None if row[2] is None else jsonsafe.unesc_str(row[2]),
                    metadata=row[3], created_at=aware(row[4]), updated_at=aware(row[5]))


def _resource(row: Any) -> r.Resource:
    return r.Resource(id=row[0], working_memory=None if row[1] is None else jsonsafe.unesc_str(row[1]), metadata=row[2],
                      created_at=aware(row[3]), updated_at=aware(row[4]))


def _message(row: Any, o: int = 0) -> r.Message:
    return r.Message(id=row[o], thread_id=row[o + 1], content=content_from_json(row[o + 2]), role=row[o + 3],
                     type=None if row[o + 4] == "v2" else row[o + 4], created_at=aware(row[o + 5]), resource_id=row[o + 6])


def _text(value: str | None) -> str | None:
    return None if value is None else jsonsafe.esc_str(value)


class PgMemory(MemoryStore):
    """Threads, messages and resources in ``mastra_threads``, ``mastra_messages`` and ``mastra_resources``."""

    backend_token = "PG"

    def __init__(self, db: PgDb, **kw: Any) -> None:
        super().__init__(**kw)
        self.db = db
        self.q = Sql(db.schema)

    async def _init(self) -> None:
        await self.db.ensure_ready()

    # ---------------------------------------------------------------- threads

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        row = await self.db.fetchone(self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s AND {live}",
                                            cols=_THREAD_COLS, live=_live()), {"id": thread_id, "now": utc_now()})
        return None if row is None else _thread(row)

    def _thread_params(self, t: r.Thread, now: Any) -> dict[str, Any]:
        return {"id": t.id, "rid": t.resource_id, "title": _text(t.title), "meta": jsonb(t.metadata),
                "c": naive(t.created_at), "cz": t.created_at, "u": naive(t.updated_at), "uz": t.updated_at,
                "exp": self.expires_at("thread"), "now": now}

    _SAVE_THREAD = """
    INSERT INTO {threads} AS t (id, "resourceId", title, metadata, "createdAt", "createdAtZ", "updatedAt", "updatedAtZ", "expiresAt")
    VALUES (%(id)s, %(rid)s, %(title)s, %(meta)s, %(c)s, %(cz)s, %(u)s, %(uz)s, %(exp)s)
    ON CONFLICT (id) DO UPDATE SET "resourceId" = EXCLUDED."resourceId", title = EXCLUDED.title, metadata = EXCLUDED.metadata,
      "updatedAt" = EXCLUDED."updatedAt", "updatedAtZ" = EXCLUDED."updatedAtZ", "expiresAt" = EXCLUDED."expiresAt",
      "createdAt" = CASE WHEN t."expiresAt" <= %(now)s THEN EXCLUDED."createdAt" ELSE t."createdAt" END,
      "createdAtZ" = CASE WHEN t."expiresAt" <= %(now)s THEN EXCLUDED."createdAtZ" ELSE t."createdAtZ" END,
      seq = CASE WHEN t."expiresAt" <= %(now)s THEN EXCLUDED.seq ELSE t.seq END
    RETURNING {cols}"""

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        row = await self.db.fetchone(self.q(self._SAVE_THREAD, cols=_THREAD_COLS), self._thread_params(thread, utc_now()))
        return _thread(row)

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        async def go(conn: Any) -> r.Thread | None:
            now = utc_now()
            cur = await conn.execute(self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s AND {live} FOR UPDATE",
                                            cols=_THREAD_COLS, live=_live()), {"id": thread_id, "now": now})
            row = await cur.fetchone()
            if row is None:
                return None
            new = change(_thread(row))
            await conn.execute(self.q(
                'UPDATE {threads} SET "resourceId" = %(rid)s, title = %(title)s, metadata = %(meta)s, "createdAt" = %(c)s, '
                '"createdAtZ" = %(cz)s, "updatedAt" = %(u)s, "updatedAtZ" = %(uz)s, "expiresAt" = %(exp)s WHERE id = %(id)s'),
                self._thread_params(new, now))
            return new

        return await self.db.tx(go)

    async def _delete_thread(self, thread_id: str) -> None:
        await self.db.execute(self.q("WITH d AS (DELETE FROM {messages} WHERE thread_id = %(id)s) "
                                     "DELETE FROM {threads} WHERE id = %(id)s"), {"id": thread_id})

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        params: dict[str, Any] = {"now": utc_now()}
        conds = [_live()]
        if q.resource_id is not None:
            conds.append('"resourceId" = %(rid)s')
            params["rid"] = q.resource_id
        for i, (k, v) in enumerate((q.metadata or {}).items()):
            conds.append(f"metadata -> %(mk{i})s = %(mv{i})s")
            params[f"mk{i}"] = jsonsafe.esc_str(k)
            params[f"mv{i}"] = jsonb(v) if v is not None else jsonb_null()
        where = " AND ".join(conds)
        col = '"createdAt"' if q.order_field == "created_at" else '"updatedAt"'
        d = "DESC" if q.direction == "DESC" else "ASC"
        limit = "" if q.per_page is False else f" LIMIT {int(q.per_page)} OFFSET {int(q.page) * int(q.per_page)}"
        rows, count = await self.db.pipeline([
            (self.q("SELECT {cols} FROM {threads} WHERE {where} ORDER BY {col} {d}, seq {d}{limit}", cols=_THREAD_COLS,
                    where=where, col=col, d=d, limit=limit), params),
            (self.q("SELECT count(*) FROM {threads} WHERE {where}", where=where), params),
        ])
        total = int(count[0][0])
        return Page(items=[_thread(x) for x in rows], total=total, page=q.page, per_page=q.per_page,
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
        params["tids"] = list(q.thread_ids)
        if q.resource_id is None and q.start is None and q.end is None:
            total = ("COALESCE((SELECT sum(n) FROM {counts} WHERE thread_id = ANY(%(tids)s::text[])), 0) - "
                     '(SELECT count(*) FROM {messages} m WHERE m.thread_id = ANY(%(tids)s::text[]) AND m."expiresAt" <= %(now)s)')
        else:
            total = f"(SELECT count(*) FROM {{messages}} m WHERE m.thread_id = ANY(%(tids)s::text[]) AND {where})"  # noqa: S608
        nulls = "NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::timestamptz, NULL::text, NULL::timestamp"
        branches.append(f"(SELECT 't', {nulls}, ({total})::bigint)")
        return " UNION ALL ".join(branches)

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        params: dict[str, Any] = {"now": utc_now()}
        text = self._list_sql(q, params)
        # never a generic prepared plan: it would size "thread_id = $1" by the average thread and may sort a
        # huge thread whole; planned with the real thread id, the ordered index scan is always chosen
        rows = await self.db.fetch(self.q(text), params, prepare=False)
        total = 0
        chosen: dict[str, tuple[Any, ...]] = {}
        included: list[tuple[Any, ...]] = []
        for row in rows:
            if row[0] == "t":
                total = int(row[9])
            elif row[0] == "p":
                chosen[row[1]] = row
            else:
                included.append(row)
        page_ids = set(chosen)
        for row in included:
            chosen.setdefault(row[1], row)
        ordered = sorted(chosen.values(), key=lambda x: (x[8], x[9]), reverse=q.direction == "DESC")
        threads = set(q.thread_ids)
        returned = len(page_ids) + sum(1 for x in ordered if x[1] not in page_ids and self._candidate(x, q, threads))
        more = returned < total and has_more(total, q.page, q.per_page)
        return Page(items=[_message(x, 1) for x in ordered], total=total, page=q.page, per_page=q.per_page, has_more=more)

    @staticmethod
    def _candidate(row: tuple[Any, ...], q: MessageQuery, threads: set[str]) -> bool:
        if row[2] not in threads or (q.resource_id is not None and row[7] != q.resource_id):
            return False
        created = aware(row[6])
        assert created is not None
        if q.start is not None and (created < q.start or (q.start_exclusive and created == q.start)):
            return False
        return not (q.end is not None and (created > q.end or (q.end_exclusive and created == q.end)))

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        rows = await self.db.fetch(self.q('SELECT {cols} FROM {messages} m WHERE m.id = ANY(%(ids)s::text[]) AND {live} '
                                          'ORDER BY m."createdAt", m.seq', cols=_msg_cols("m"), live=_live("m")),
                                   {"ids": list(ids), "now": utc_now()})
        return [_message(x) for x in rows]

    def _save_params(self, messages: list[r.Message], touched: set[str]) -> dict[str, Any]:
        return {
            "ids": [m.id for m in messages], "tids": [m.thread_id for m in messages],
            "contents": [jsonsafe.text_json(to_wire(m.content)) for m in messages],
            "roles": [m.role for m in messages], "types": [m.type or "v2" for m in messages],
            "cs": [naive(m.created_at) for m in messages], "czs": [m.created_at for m in messages],
            "rids": [m.resource_id for m in messages], "exp": self.expires_at("message"), "now": utc_now(),
            "touched": sorted(touched),
        }

    async def _save_messages(self, messages: list[r.Message]) -> None:
        touched = {m.thread_id for m in messages if m.thread_id}
        await self.db.execute(self.q(_SAVE_MESSAGES, bump=_BUMP, live=_live()), self._save_params(messages, touched))

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        touched = {m.thread_id for m in messages if m.thread_id} | set(touched_thread_ids)
        await self.db.execute(self.q(_SAVE_MESSAGES, bump=_BUMP, live=_live()), self._save_params(messages, touched))

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        await self.db.execute(self.q(
            "WITH d AS (DELETE FROM {messages} WHERE id = ANY(%(ids)s::text[]) RETURNING thread_id) "
            "UPDATE {threads} SET {bump} WHERE id IN (SELECT thread_id FROM d) AND {live}", bump=_BUMP, live=_live()),
            {"ids": list(ids), "now": utc_now()})

    # ---------------------------------------------------------------- resources

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        row = await self.db.fetchone(self.q("SELECT {cols} FROM {resources} WHERE id = %(id)s AND {live}",
                                            cols=_RES_COLS, live=_live()), {"id": resource_id, "now": utc_now()})
        return None if row is None else _resource(row)

    def _res_params(self, res: r.Resource, now: Any) -> dict[str, Any]:
        return {"id": res.id, "wm": _text(res.working_memory), "meta": jsonb(res.metadata), "c": naive(res.created_at),
                "cz": res.created_at, "u": naive(res.updated_at), "uz": res.updated_at, "exp": self.expires_at("resource"),
                "now": now}

    _SAVE_RESOURCE = """
    INSERT INTO {resources} AS t (id, "workingMemory", metadata, "createdAt", "createdAtZ", "updatedAt", "updatedAtZ", "expiresAt")
    VALUES (%(id)s, %(wm)s, %(meta)s, %(c)s, %(cz)s, %(u)s, %(uz)s, %(exp)s)
    ON CONFLICT (id) DO UPDATE SET "workingMemory" = EXCLUDED."workingMemory", metadata = EXCLUDED.metadata,
      "updatedAt" = EXCLUDED."updatedAt", "updatedAtZ" = EXCLUDED."updatedAtZ", "expiresAt" = EXCLUDED."expiresAt",
      "createdAt" = CASE WHEN t."expiresAt" <= %(now)s THEN EXCLUDED."createdAt" ELSE t."createdAt" END,
      "createdAtZ" = CASE WHEN t."expiresAt" <= %(now)s THEN EXCLUDED."createdAtZ" ELSE t."createdAtZ" END,
      seq = CASE WHEN t."expiresAt" <= %(now)s THEN EXCLUDED.seq ELSE t.seq END
    RETURNING {cols}"""

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        row = await self.db.fetchone(self.q(self._SAVE_RESOURCE, cols=_RES_COLS), self._res_params(resource, utc_now()))
        return _resource(row)

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        async def go(conn: Any) -> r.Resource | None:
            now = utc_now()
            async with pipelined_transaction(conn):
                cur = await conn.execute(self.q('SELECT {cols}, {live} FROM {resources} WHERE id = %(id)s FOR UPDATE',
                                                cols=_RES_COLS, live=_live()), {"id": resource_id, "now": now})
                row = await cur.fetchone()
                if row is not None:
                    new = change(_resource(row) if row[5] else None)
                    await conn.execute(self.q(
                        'UPDATE {resources} SET "workingMemory" = %(wm)s, metadata = %(meta)s, "createdAt" = %(c)s, '
                        '"createdAtZ" = %(cz)s, "updatedAt" = %(u)s, "updatedAtZ" = %(uz)s, "expiresAt" = %(exp)s{reseq} '
                        "WHERE id = %(id)s", reseq="" if row[5] else ", seq = nextval(" + self.q("{seqname}") + "::regclass)"),
                        self._res_params(attrs.evolve(new, id=resource_id), now))
                    return new
                new = change(None)
                cur = await conn.execute(self.q(
                    'INSERT INTO {resources} (id, "workingMemory", metadata, "createdAt", "createdAtZ", "updatedAt", '
                    '"updatedAtZ", "expiresAt") VALUES (%(id)s, %(wm)s, %(meta)s, %(c)s, %(cz)s, %(u)s, %(uz)s, %(exp)s) '
                    "ON CONFLICT (id) DO NOTHING RETURNING 1"), self._res_params(attrs.evolve(new, id=resource_id), now))
                if await cur.fetchone() is not None:
                    return new
            return None  # a concurrent writer created it first: read-modify-write again

        for _ in range(10):
            result = await self.db.with_conn(go)
            if result is not None:
                return result
        raise RuntimeError(f"could not update resource {resource_id!r} under contention")

    # ---------------------------------------------------------------- clone, clear, prune

    async def _clone_thread(self, req: CloneRequest) -> CloneResult:
        async def go(conn: Any) -> CloneResult:
            now = utc_now()
            cur = await conn.execute(self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s AND {live} FOR SHARE",
                                            cols=_THREAD_COLS, live=_live()), {"id": req.source_thread_id, "now": now})
            row = await cur.fetchone()
            if row is None:
                raise ValidationError(f"source thread {req.source_thread_id!r} not found",
                                      id=error_id(self.backend_token, "CLONE_THREAD", "SOURCE_NOT_FOUND"))
            source = _thread(row)
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
            await conn.execute(self.q(self._SAVE_THREAD, cols=_THREAD_COLS), self._thread_params(thread, now))
            if copies:
                await conn.execute(self.q(_SAVE_MESSAGES, bump=_BUMP, live=_live()), self._save_params(copies, {thread.id}))
            cur = await conn.execute(self.q("SELECT {cols} FROM {threads} WHERE id = %(id)s", cols=_THREAD_COLS),
                                     {"id": thread.id})
            stored = await cur.fetchone()
            return CloneResult(thread=_thread(stored), cloned_messages=copies)

        return await self.db.tx(go, idempotent=False)

    async def _clear(self) -> None:
        await self.db.execute(self.q("TRUNCATE {messages}, {threads}, {resources}, {counts}"))

    async def _prune(self, now: Any) -> int:
        rows = await self.db.pipeline([
            (self.q('WITH a AS (DELETE FROM {messages} WHERE "expiresAt" <= %(now)s RETURNING 1), '
                    'b AS (DELETE FROM {threads} WHERE "expiresAt" <= %(now)s RETURNING 1), '
                    'c AS (DELETE FROM {resources} WHERE "expiresAt" <= %(now)s RETURNING 1) '
                    "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) + (SELECT count(*) FROM c)"), {"now": now}),
        ])
        return int(rows[0][0][0])


def jsonb_null() -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(None)
