"""Threads, messages and resources on libSQL.

Order everywhere is ("createdAt", rowid): the message index ``(thread_id, "createdAt")`` carries the
rowid as its implicit last column, so a page and every include window is an index range scan with a
LIMIT (never a ROW_NUMBER over the whole thread). A list_messages call is one statement: the page,
the total and every include window joined with UNION ALL; core's ``assemble_message_page`` merges them.
"""
# ruff: noqa: S608  -- SQL text holds only constant, validated, quoted identifiers; values are bound parameters

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mastra_core import records as r
from mastra_core.backend import FetchedMessage, SeenKeys, assemble_message_page
from mastra_core.domains.memory import CloneResult, MemoryStore, ResourcePatch, ThreadPatch, plan_clone
from mastra_core.errors import ValidationError, error_id
from mastra_core.pagination import Page, has_more
from mastra_core.records.queries import CloneRequest, MessageQuery, ThreadQuery
from mastra_core.retention import Retention

from ..codec import MESSAGE_COLUMNS as _MSG_COLS
from ..codec import MESSAGE_WIDTH as _MSG_WIDTH
from ..codec import Codec, compact_json, dump_json, message_from_row, message_params, select_expr, ts
from ..connection import LibSQLConnection, chunks, quote
from ..fastrow import Unusual, stored_time
from ..isotext import iso, now_iso
from ..schema import COUNTS, DOMAIN_TABLES, EXPIRES, MESSAGES, RESOURCES, THREADS
from .json_merge import merge_sql, object_or_null_sql
from .shared import LIVE as _LIVE
from .shared import Builder, LibSQLDomain, metadata_matches
from .shared import keep_created_sql as _keep_created
from .thread_save import THREAD, UPSERT_THREAD, Seen, SeenThreads, save_on_file

_T, _M, _R = quote(THREADS.name), quote(MESSAGES.name), quote(RESOURCES.name)
_C = quote(COUNTS)
_E = quote(EXPIRES)
_U = quote("updatedAt")

RESOURCE = Codec(RESOURCES, r.Resource)
#: the number of the "updatedAt" parameter in a resource's insert row (a new row's updatedAt is now)
_RESOURCE_NOW = RESOURCE.insert_columns.split(", ").index(quote("updatedAt")) + 1
#: rows per multi-row INSERT (8 parameters each; SQLite allows 32766 per statement)
_BATCH = 1000
#: Jobs touching at most this many rows run without a thread hop on a file (see ``LibSQLConnection._call``).
_INLINE_ROWS = 200


def _bump_sql(count: int) -> str:
    """Set updatedAt to now, or 1 ms after the stored value when the clock has not moved past it."""
    marks = ", ".join("?" for _ in range(count))
    return (f'UPDATE {_T} SET "updatedAt" = CASE WHEN ? > "updatedAt" THEN ? '
            "ELSE strftime('%Y-%m-%dT%H:%M:%fZ', \"updatedAt\", '+0.001 seconds') END "
            f"WHERE id IN ({marks})")


def _bumped_sql(column: str, now: str) -> str:
    """``updatedAt`` as ``_after`` sets it from the parameter ``now``: now, but strictly after the stored value."""
    return (f"CASE WHEN {column} IS NULL OR {now} > {column} THEN {now} "
            f"ELSE strftime('%Y-%m-%dT%H:%M:%fZ', {column}, '+0.001 seconds') END")


#: A resource where none exists (changes 0: one exists, live or expired).
_INSERT_NEW_RESOURCE = (f"INSERT INTO {_R} ({RESOURCE.insert_columns}) VALUES {RESOURCE.placeholders} "
                        "ON CONFLICT DO NOTHING")
assert RESOURCE.insert_columns.endswith(quote(EXPIRES)), "a new resource is decoded from its values less the expiry"
#: What a patched resource hands back: the columns a patch may leave as stored (the working memory is dropped
#: when the patch sets it), as :meth:`Codec.select_list` reads them.
_RESOURCE_BACK = ('"workingMemory"', select_expr("metadata", True), '"createdAt"', _U)
#: The end of a patched resource's SET list: ``updatedAt`` bumped from ?2 (now), the expiry ?3.
_RESOURCE_TOUCH = [f"{_U} = {_bumped_sql(_U, '?2')}", f"{_E} = ?3"]
#: The columns of a message row, in :func:`message_params` order.
_MSG_INSERT_COLS = f'id, thread_id, content, role, type, "createdAt", "resourceId", {_E}'
#: A message saved over a live row keeps its createdAt and rowid; an expired row is left alone (?2: now).
_MSG_CONFLICT = ('ON CONFLICT(id) DO UPDATE SET thread_id = excluded.thread_id, content = excluded.content, '
                 'role = excluded.role, type = excluded.type, "resourceId" = excluded."resourceId", '
                 f"{_E} = excluded.{_E} WHERE {_M}.{_E} IS NULL OR {_M}.{_E} > ?2")
#: Messages packed as one JSON array of rows (?1); ``WHERE 1`` keeps ON CONFLICT from parsing as a join's ON.
_UPSERT_MESSAGES = (f"INSERT INTO {_M} ({_MSG_INSERT_COLS}) SELECT "
                    + ", ".join(f"value ->> {i}" for i in range(8))
                    + f" FROM json_each(?1) WHERE 1 ORDER BY key {_MSG_CONFLICT}")
#: The live messages among a JSON array of ids (one parameter: the driver binds each text parameter through two failed
#: numeric conversions first, ~1 us a value; ten ids measured 54 -> 49 us a statement).
_MESSAGES_BY_IDS = f"SELECT {_MSG_COLS} FROM {_M} WHERE id IN (SELECT value FROM json_each(?)) AND {_LIVE}"
#: The expired rows among a JSON array of message ids (?1), expired at ?2.
_DELETE_EXPIRED_MESSAGES = (f"DELETE FROM {_M} WHERE id IN (SELECT value FROM json_each(?1)) "
                            f"AND {_E} IS NOT NULL AND {_E} <= ?2")


def _packed(values: list[Any]) -> str | None:
    """``values`` as JSON text SQLite reads back exactly (``->>`` gives each text as written), or None when a text
    would not survive: NUL (``\\u0000``; also a stored JSON text's escaped one, a harmless false alarm) or a lone
    surrogate (not UTF-8). Such values are bound as BLOBs instead (see ``connection.bind``)."""
    try:
        packed = compact_json(values)
    except (TypeError, ValueError):
        return None
    if "\\u0000" in packed:
        return None
    if not packed.isascii():
        try:
            packed.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return packed


def bump_threads(db: LibSQLConnection, thread_ids: set[str] | list[str]) -> None:
    """Move the threads' ``updatedAt`` forward (a message was written to them)."""
    ids = sorted(set(thread_ids))
    now = now_iso()
    for part in chunks(ids, 500):
        db.execute(_bump_sql(len(part)), (now, now, *part))


class LibSQLMemory(MemoryStore, LibSQLDomain):
    """The memory domain: ``mastra_threads``, ``mastra_messages``, ``mastra_resources``."""

    tables = DOMAIN_TABLES["memory"]

    def __init__(self, conn: LibSQLConnection, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(conn, backend_token=backend_token, retention=retention)
        #: Threads this store saw live: the next save of one is a single narrow UPDATE (see .thread_save)
        self._seen = SeenThreads()
        #: Resources this store saw live: an update of one tries the UPDATE first, of another the upsert (SeenKeys)
        self._seen_resources: SeenKeys[str, None] = SeenKeys()

    # ------------------------------------------------------------------ threads

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        now = now_iso()
        thread = await self.conn.read(lambda db: self._thread_row(db, thread_id, now), inline=True)
        if thread is not None:
            self._seen.put(thread_id, (None, thread.created_at, thread.resource_id))
        return thread

    @staticmethod
    def _thread_row(db: LibSQLConnection, thread_id: str, now: str) -> r.Thread | None:
        row = db.one(f"SELECT {THREAD.select_list()} FROM {_T} WHERE id = ? AND {_LIVE}", (thread_id, now))
        return None if row is None else THREAD.decode(row)

    def _upsert_thread(self, db: LibSQLConnection, thread: r.Thread, now: str) -> r.Thread:
        # An existing live row keeps createdAt (and its rowid); an expired one is replaced as if new. RETURNING
        # hands back the row as stored: one statement, no read-back.
        row = db.one(f"{UPSERT_THREAD} RETURNING {THREAD.select_list()}",
                     (*THREAD.encode(thread, self.expires_at("thread")), now))
        assert row is not None
        return THREAD.decode(row)

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        if self.conn.target.remote:  # one statement in the remote transaction (its operation token commits with it)
            return await self.conn.write(lambda db: self._upsert_thread(db, thread, now_iso()), inline=True)
        seen = self._seen.get(thread.id)
        values, created = await self.conn.write(lambda db: self._save_thread_file(db, thread, seen), inline=True,
                                                single=True)
        meta = values[3]
        if created != values[4]:
            try:
                stored = seen[1] if seen is not None and created == seen[0] else stored_time(created)
            except Unusual:  # not in the form this package writes: read back as any stored row is
                self._seen.drop(thread.id)
                return THREAD.decode((*values[:4], created, values[5]))
        else:
            stored = thread.created_at
        self._seen.put(thread.id, (created, stored, thread.resource_id))
        # the row as stored: the thread as given (its metadata a copy, as a read gives it) with the createdAt kept
        return r.Thread(id=thread.id, resource_id=thread.resource_id, title=thread.title,
                        metadata=None if meta is None else json.loads(meta), created_at=stored,
                        updated_at=thread.updated_at)

    def _save_thread_file(self, db: LibSQLConnection, thread: r.Thread,
                          seen: Seen | None) -> tuple[list[Any], Any]:
        """The thread's row as written and the createdAt it has now (see :mod:`.thread_save`). The expiry is taken
        here, in the write job (after any wait for the lock)."""
        values = THREAD.encode(thread, self.expires_at("thread"))
        return values, save_on_file(db, values, seen, now_iso)

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        self._seen.drop(thread_id)  # the change may move createdAt or the resource
        return await self._rewrite_thread(thread_id, change)

    async def _update_thread(self, thread_id: str, patch: ThreadPatch) -> r.Thread | None:
        """Read, patch, write back, in one ``BEGIN IMMEDIATE`` transaction (a patch keeps the thread's resource and
        createdAt, so the seen-threads entry stays).

        Not one ``UPDATE ... RETURNING`` with the merge in SQL (as ``update_resource`` is), though that was tried: on a
        file every statement is a call into SQLite in this process, not a round trip, and SQLite runs an UPDATE with
        RETURNING as a two-pass update with a trigger program, compiled on every call (the driver keeps no prepared
        statements). Measured in one process, the two implementations interleaved over the side-by-side's update_thread
        op (title + one metadata key): the read-modify-write 89-94 us per call, the one statement 102-114 us. On sqld
        the same job is one request (a batch with an operation token).
        """
        return await self._rewrite_thread(thread_id, patch.apply)

    async def _rewrite_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        def go(db: LibSQLConnection) -> r.Thread | None:
            now = now_iso()
            old = self._thread_row(db, thread_id, now)
            if old is None:
                return None
            new = change(old)
            db.execute(
                f'UPDATE {_T} SET "resourceId" = ?, title = ?, metadata = ?, "createdAt" = ?, "updatedAt" = ?, '
                f"{_E} = ? "
                "WHERE id = ?",
                (new.resource_id, new.title, dump_json(new.metadata), iso(new.created_at), iso(new.updated_at),
                 ts(self.expires_at("thread")), thread_id),
            )
            return new

        return await self.conn.write(go, inline=True)

    async def _delete_thread(self, thread_id: str) -> None:
        def go(db: LibSQLConnection) -> None:
            db.execute(f"DELETE FROM {_M} WHERE thread_id = ?", (thread_id,))
            db.execute(f"DELETE FROM {_T} WHERE id = ?", (thread_id,))
            db.execute(f"DELETE FROM {_C} WHERE thread_id = ? AND n <= 0", (thread_id,))

        self._seen.drop(thread_id)
        await self.conn.write(go)

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        b = Builder()
        where = [_LIVE]
        b.params.append(now_iso())
        if q.resource_id is not None:
            where.append(f'"resourceId" = {b.p(q.resource_id)}')
        where += metadata_matches(b, "metadata", q.metadata)
        order_col = {"created_at": '"createdAt"', "updated_at": '"updatedAt"'}[q.order_field]
        direction = "DESC" if q.direction == "DESC" else "ASC"
        cond = " AND ".join(where)
        # one statement: the page plus the total (as an extra column of a UNION ALL arm)
        page_sql = (f"SELECT {THREAD.select_list()}, NULL FROM {_T} WHERE {cond} "
                    f"ORDER BY {order_col} {direction}, rowid {direction}")
        params = list(b.params)
        if q.per_page is not False:
            page_sql += " LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)"
            params += [q.per_page, q.page * q.per_page]
        nulls = ", ".join("NULL" for _ in THREAD.columns)
        sql = f"SELECT * FROM ({page_sql}) UNION ALL SELECT {nulls}, count(*) FROM {_T} WHERE {cond}"
        # a bounded page of a resource's threads is short enough to run without a thread hop
        short = q.per_page is not False and q.per_page <= _INLINE_ROWS and not q.metadata
        rows = await self.conn.read(lambda db: db.all(sql, params + b.params), inline=short)
        total = int(rows[-1][-1])
        items = [THREAD.decode(row[:-1]) for row in rows[:-1]]
        more = has_more(total, q.page, q.per_page)
        return Page(items=items, total=total, page=q.page, per_page=q.per_page, has_more=more)

    # ------------------------------------------------------------------ messages

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        now = now_iso()
        arms: list[str] = []
        params: list[Any] = []

        # candidates: the threads, resource and date bounds of the query
        cond = [f"thread_id IN ({', '.join('?' for _ in q.thread_ids)})", _LIVE]
        cparams: list[Any] = [*q.thread_ids, now]
        if q.resource_id is not None:
            cond.append('"resourceId" = ?')
            cparams.append(q.resource_id)
        if q.start is not None:
            cond.append(f'"createdAt" {">" if q.start_exclusive else ">="} ?')
            cparams.append(iso(q.start))
        if q.end is not None:
            cond.append(f'"createdAt" {"<" if q.end_exclusive else "<="} ?')
            cparams.append(iso(q.end))
        where = " AND ".join(cond)
        direction = "DESC" if q.direction == "DESC" else "ASC"
        # kind: 0 page row, 1 include row, 2 the total
        if q.per_page is not False and q.per_page == 0:
            pass
        else:
            page_sql = (f"SELECT 0, {_MSG_COLS} FROM {_M} WHERE {where} "
                        f'ORDER BY "createdAt" {direction}, rowid {direction}')
            page_params = list(cparams)
            if q.limit is not None:
                page_sql += " LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)"
                page_params += [q.limit, q.offset]
            arms.append(f"SELECT * FROM ({page_sql})")
            params += page_params
        nulls = ", ".join("NULL" for _ in range(_MSG_WIDTH - 1))
        if q.resource_id is None and q.start is None and q.end is None:
            # whole threads: the trigger-maintained count minus rows expired but not yet pruned (an index range
            # that is empty without TTL), instead of counting every row of the thread
            marks = ", ".join("?" for _ in q.thread_ids)
            arms.append(
                f"SELECT 2, (SELECT COALESCE(sum(n), 0) FROM {_C} WHERE thread_id IN ({marks})) - "
                f"(SELECT count(*) FROM {_M} WHERE thread_id IN ({marks}) AND {_E} IS NOT NULL AND {_E} <= ?), {nulls}"
            )
            params += [*q.thread_ids, *q.thread_ids, now]
        else:
            arms.append(f"SELECT 2, count(*), {nulls} FROM {_M} WHERE {where}")
            params += cparams

        for inc in q.include:
            target = f"(SELECT thread_id FROM {_M} WHERE id = ? AND {_LIVE})"
            pos = f'(SELECT "createdAt", rowid FROM {_M} WHERE id = ? AND {_LIVE})'
            # the target and up to N earlier messages: one descending index range scan with a LIMIT
            arms.append(
                f"SELECT * FROM (SELECT 1, {_MSG_COLS} FROM {_M} WHERE thread_id = {target} "
                f'AND ("createdAt", rowid) <= {pos} AND {_LIVE} ORDER BY "createdAt" DESC, rowid DESC '
                "LIMIT CAST(? AS INTEGER))"
            )
            params += [inc.id, now, inc.id, now, now, inc.with_previous_messages + 1]
            if inc.with_next_messages:
                arms.append(
                    f"SELECT * FROM (SELECT 1, {_MSG_COLS} FROM {_M} WHERE thread_id = {target} "
                    f'AND ("createdAt", rowid) > {pos} AND {_LIVE} ORDER BY "createdAt" ASC, rowid ASC '
                    "LIMIT CAST(? AS INTEGER))"
                )
                params += [inc.id, now, inc.id, now, now, inc.with_next_messages]
        sql = " UNION ALL ".join(arms)
        # short: a bounded page and windows, the total from the counts table (no count over a filtered range)
        short = (q.resource_id is None and q.start is None and q.end is None and q.limit is not None
                 and q.limit + sum(i.with_previous_messages + i.with_next_messages + 1 for i in q.include)
                 <= _INLINE_ROWS)
        rows = await self.conn.read(lambda db: db.all(sql, params), inline=short)

        total = 0
        page: list[FetchedMessage] = []
        windows: list[FetchedMessage] = []
        for row in rows:
            if row[0] == 2:
                total = int(row[1])
                continue
            fetched = FetchedMessage(message_from_row(row[1:]), row[8])  # rowid: the insertion tiebreak
            (page if row[0] == 0 else windows).append(fetched)
        return assemble_message_page(q, page=page, windows=windows, total=total)

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        now = now_iso()

        def go(db: LibSQLConnection) -> list[r.Message]:
            packed = _packed(list(ids))
            if packed is not None:
                rows = db.all(_MESSAGES_BY_IDS, (packed, now))
            else:  # ids that JSON text cannot carry to SQLite (see _packed): bound one by one
                rows = []
                for part in chunks(ids, 900):
                    marks = ", ".join("?" for _ in part)
                    rows += db.all(f"SELECT {_MSG_COLS} FROM {_M} WHERE id IN ({marks}) AND {_LIVE}", (*part, now))
            rows.sort(key=lambda b: (b[5], b[7]))
            return [message_from_row(b) for b in rows]

        # a bounded number of primary-key lookups is short enough to run without a thread hop (the hop cost
        # more than ten lookups)
        return await self.conn.read(go, inline=len(ids) <= _INLINE_ROWS)

    def _upsert_messages(self, db: LibSQLConnection, messages: list[r.Message], now: str) -> None:
        """Write ``messages``: new ids inserted, live rows updated in place (keeping createdAt and rowid).

        An expired row is gone as far as reads go: its id saved again is a new message with a new rowid (its place
        among equal createdAt), so the expired row is deleted and the message inserted anew. The rows go in as ONE
        JSON parameter (``json_each``): the driver converts each bound text value through two failed numeric
        conversions first, which for 80 values cost more than SQLite inserting the 10 rows. On a file the upsert
        skips expired conflicts (``WHERE`` live) and a short count means there were some: only then the DELETE runs
        and the upsert again. A remote transaction is sent without looking at results (one request): DELETE first.
        """
        expires = ts(self.expires_at("message"))
        for part in chunks(messages, _BATCH):
            rows = [message_params(m, expires) for m in part]
            packed = _packed(rows)
            if packed is None:  # text JSON cannot carry to SQLite as is (NUL, lone surrogates): bound one by one
                self._upsert_bound(db, part, rows, now)
                continue
            if not db.target.remote and db.changes(_UPSERT_MESSAGES, (packed, now)) == len(rows):
                continue
            db.execute(_DELETE_EXPIRED_MESSAGES, (_packed([m.id for m in part]), now))
            db.execute(_UPSERT_MESSAGES, (packed, now))

    @staticmethod
    def _upsert_bound(db: LibSQLConnection, part: Sequence[r.Message], rows: list[list[Any]], now: str) -> None:
        marks = ", ".join("?" for _ in part)
        db.execute(f"DELETE FROM {_M} WHERE id IN ({marks}) AND {_E} IS NOT NULL AND {_E} <= ?",
                   [*(m.id for m in part), now])
        params: list[Any] = [value for row in rows for value in row]
        params.append(now)
        values = ", ".join("(?, ?, ?, ?, ?, ?, ?, ?)" for _ in part)
        db.execute(f"INSERT INTO {_M} ({_MSG_INSERT_COLS}) VALUES {values} {_MSG_CONFLICT.replace('?2', '?')}", params)

    async def _save_messages(self, messages: list[r.Message]) -> None:
        def go(db: LibSQLConnection) -> None:
            self._upsert_messages(db, messages, now_iso())
            bump_threads(db, {m.thread_id for m in messages if m.thread_id})

        # batch: one request to a remote server (the statements use no results)
        await self.conn.write(go, inline=len(messages) <= _INLINE_ROWS, batch=True)

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        def go(db: LibSQLConnection) -> None:
            if messages:
                self._upsert_messages(db, messages, now_iso())
            bump_threads(db, touched_thread_ids | {m.thread_id for m in messages if m.thread_id})

        await self.conn.write(go, batch=True)

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        def go(db: LibSQLConnection) -> None:
            for part in chunks(list(ids), 900):
                marks = ", ".join("?" for _ in part)
                touched = [row[0] for row in db.all(f"SELECT DISTINCT thread_id FROM {_M} WHERE id IN ({marks})", part)]
                db.execute(f"DELETE FROM {_M} WHERE id IN ({marks})", part)
                if touched:
                    bump_threads(db, touched)

        await self.conn.write(go)

    # ------------------------------------------------------------------ resources

    @staticmethod
    def _resource_row(db: LibSQLConnection, resource_id: str, now: str) -> r.Resource | None:
        row = db.one(f"SELECT {RESOURCE.select_list()} FROM {_R} WHERE id = ? AND {_LIVE}", (resource_id, now))
        return None if row is None else RESOURCE.decode(row)

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        now = now_iso()
        resource = await self.conn.read(lambda db: self._resource_row(db, resource_id, now), inline=True)
        if resource is not None:
            self._seen_resources.put(resource_id)
        return resource

    def _upsert_resource(self, db: LibSQLConnection, resource: r.Resource, now: str,
                         keep_created: bool = True) -> r.Resource | None:
        """Write ``resource``; with ``keep_created`` (a save) the row as stored comes back (RETURNING)."""
        created = _keep_created(_R) if keep_created else 'excluded."createdAt"'
        returning = f" RETURNING {RESOURCE.select_list()}" if keep_created else ""
        row = db.one(
            f"INSERT INTO {_R} ({RESOURCE.insert_columns}) VALUES {RESOURCE.placeholders} "
            "ON CONFLICT(id) DO UPDATE SET "
            '"workingMemory" = excluded."workingMemory", metadata = excluded.metadata, '
            f'"createdAt" = {created}, "updatedAt" = excluded."updatedAt", {_E} = excluded.{_E}{returning}',
            (*RESOURCE.encode(resource, self.expires_at("resource")), *((now,) if keep_created else ())),
        )
        return None if row is None else RESOURCE.decode(row)

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        # RETURNING: the row as stored (createdAt kept), without a read-back
        def go(db: LibSQLConnection) -> r.Resource:
            stored = self._upsert_resource(db, resource, now_iso())
            assert stored is not None
            return stored

        saved = await self.conn.write(go, inline=True, single=True)
        self._seen_resources.put(resource.id)
        return saved

    async def _update_resource(self, resource_id: str, patch: ResourcePatch) -> r.Resource:
        """On a file, one job of single statements (each atomic, so no BEGIN/COMMIT): a live row whose metadata the
        SQL merge can work on is updated in place (working memory set, metadata merged in SQL by ``json_merge``,
        ``updatedAt`` bumped, the expiry refreshed) and hands back only the columns the patch does not determine.
        No such row: ``INSERT .. ON CONFLICT(id) DO UPDATE .. RETURNING`` creates a missing one from the patch (or
        updates one another process created meanwhile). Still nothing back -- an expired row, metadata that is not
        an object -- and a patch the SQL merge cannot spell, and sqld (whose writes carry an operation token): the
        read-modify-write path. Why the UPDATE first: the driver prepares every statement afresh, and an upsert
        with a RETURNING of every column costs twice the UPDATE (``bench/libsql_callgrind.py``)."""
        # numbered parameters: ?1 id, ?2 now, ?3 the expiry, ?4 the working memory when set, then the merge's
        merge = None if patch.metadata is None else merge_sql("metadata", patch.metadata,
                                                              first=5 if patch.set_working_memory else 4)
        if self.conn.target.remote or (patch.metadata is not None and merge is None):
            return await super()._update_resource(resource_id, patch)
        seen = resource_id in self._seen_resources
        stored = await self.conn.write(lambda db: self._patch_resource(db, resource_id, patch, merge, seen),
                                       inline=True, single=True)
        if stored is None:  # an expired row or metadata that is not an object: left as it is by both statements
            return await super()._update_resource(resource_id, patch)
        self._seen_resources.put(resource_id)
        return stored

    def _patch_resource(self, db: LibSQLConnection, resource_id: str, patch: ResourcePatch,
                        merge: tuple[str, list[str]] | None, seen: bool) -> r.Resource | None:
        """A resource this store saw live: the UPDATE, then (no live row) the upsert; one not seen, probably new:
        the plain INSERT of the patch applied to nothing (no RETURNING: the row is what was bound; the upsert with
        its RETURNING costs ~3x, ``bench/libsql_callgrind.py``), then (a row exists) the upsert, which is right for
        any row: it creates a missing one and patches a live one. None: neither applies (an expired row, metadata
        that is not an object)."""
        now = now_iso()
        if not seen:
            values = RESOURCE.encode(patch.apply(resource_id, None), self.expires_at("resource"))
            if db.changes(_INSERT_NEW_RESOURCE, values) == 1:
                return RESOURCE.decode(values[:-1])  # the row as stored: its columns in select order, less the expiry
            return self._create_resource(db, resource_id, patch, now)
        params: list[Any] = [resource_id, now, ts(self.expires_at("resource"))]
        sets: list[str] = []
        back: tuple[str, ...] = _RESOURCE_BACK
        if patch.set_working_memory:
            params.append(patch.working_memory)
            sets.append('"workingMemory" = ?4')
            back = _RESOURCE_BACK[1:]  # the working memory is the patch's: not read back
        guard = ""
        if merge is not None:
            sets.append(f"metadata = {merge[0]}")
            guard = f" AND {object_or_null_sql('metadata')}"
            params.extend(merge[1])
        row = db.one(f"UPDATE {_R} SET {', '.join(sets + _RESOURCE_TOUCH)} "
                     f"WHERE id = ?1 AND ({_E} IS NULL OR {_E} > ?2){guard} RETURNING {', '.join(back)}", params)
        if row is not None:
            memory = patch.working_memory if patch.set_working_memory else row[0]
            return RESOURCE.decode((resource_id, memory, *row[-3:]))
        return self._create_resource(db, resource_id, patch, now)

    def _create_resource(self, db: LibSQLConnection, resource_id: str, patch: ResourcePatch,
                         now: str) -> r.Resource | None:
        """The resource created from ``patch`` (or, if one appeared meanwhile, patched in the same statement)."""
        merge = None if patch.metadata is None else merge_sql(f"{_R}.metadata", patch.metadata,
                                                              first=RESOURCE.width + 1)
        fresh = patch.apply(resource_id, None)
        params: list[Any] = [*RESOURCE.encode(fresh, self.expires_at("resource"))]
        at = f"?{_RESOURCE_NOW}"
        sets = ['"workingMemory" = excluded."workingMemory"'] if patch.set_working_memory else []
        guard = f"{_R}.{_E} IS NULL OR {_R}.{_E} > {at}"
        if merge is not None:
            sets.append(f"metadata = {merge[0]}")
            guard = f"({guard}) AND {object_or_null_sql(f'{_R}.metadata')}"
            params.extend(merge[1])
        sets += [f'{_U} = {_bumped_sql(f"{_R}.{_U}", at)}', f"{_E} = excluded.{_E}"]
        marks = ", ".join(f"?{i}" for i in range(1, RESOURCE.width + 1))
        row = db.one(f"INSERT INTO {_R} ({RESOURCE.insert_columns}) VALUES ({marks}) "
                     f"ON CONFLICT(id) DO UPDATE SET {', '.join(sets)} WHERE {guard} "
                     f"RETURNING {RESOURCE.select_list()}", params)
        return None if row is None else RESOURCE.decode(row)

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        def go(db: LibSQLConnection) -> r.Resource:
            now = now_iso()
            new = change(self._resource_row(db, resource_id, now))
            self._upsert_resource(db, new, now, keep_created=False)
            return new

        return await self.conn.write(go, inline=True)

    # ------------------------------------------------------------------ clone (one transaction)

    async def _clone_thread(self, req: CloneRequest) -> CloneResult:
        def go(db: LibSQLConnection) -> CloneResult:
            now = now_iso()
            source = self._thread_row(db, req.source_thread_id, now)
            if source is None:
                raise ValidationError(f"source thread {req.source_thread_id!r} not found",
                                      id=error_id(self.backend_token, "CLONE_THREAD", "SOURCE_NOT_FOUND"))
            if self._thread_row(db, req.new_thread_id, now) is not None:
                raise ValidationError(f"thread {req.new_thread_id!r} already exists",
                                      id=error_id(self.backend_token, "CLONE_THREAD", "THREAD_EXISTS"))
            thread, copies = plan_clone(source, self._clone_sources(db, req, now), req)
            self._upsert_thread(db, thread, now)
            if copies:
                self._upsert_messages(db, copies, now)
                bump_threads(db, [thread.id])  # as save_messages would: the clone's updatedAt follows its messages
            stored = self._thread_row(db, thread.id, now) or thread
            return CloneResult(thread=stored, cloned_messages=copies)

        result = await self.conn.write(go)
        self._seen.put(result.thread.id, (None, result.thread.created_at, result.thread.resource_id))
        return result

    @staticmethod
    def _clone_sources(db: LibSQLConnection, req: CloneRequest, now: str) -> list[r.Message]:
        """The source messages that can survive plan_clone's filters, pre-filtered in SQL (plan_clone re-applies them).
        """
        cond = ["thread_id = ?", _LIVE]
        params: list[Any] = [req.source_thread_id, now]
        if req.start_date is not None:
            cond.append('"createdAt" >= ?')
            params.append(iso(req.start_date))
        if req.end_date is not None:
            cond.append('"createdAt" <= ?')
            params.append(iso(req.end_date))
        rows: list[tuple[Any, ...]] = []
        id_parts: list[Any] = [None] if req.message_ids is None else list(chunks(list(req.message_ids), 900))
        for part in id_parts:
            c, p = list(cond), list(params)
            if part is not None:
                c.append(f"id IN ({', '.join('?' for _ in part)})")
                p += list(part)
            sql = f'SELECT {_MSG_COLS} FROM {_M} WHERE {" AND ".join(c)} ORDER BY "createdAt" DESC, rowid DESC'
            if req.message_limit and req.message_ids is None:
                sql += " LIMIT CAST(? AS INTEGER)"
                p.append(req.message_limit)
            rows += db.all(sql, p)
        rows.sort(key=lambda b: (b[5], b[7]))
        return [message_from_row(b) for b in rows]

    # ------------------------------------------------------------------ maintenance

    async def _clear(self) -> None:
        def go(db: LibSQLConnection) -> None:
            for t in (_M, _T, _R, _C):
                db.execute(f"DELETE FROM {t}")

        self._seen.clear()
        self._seen_resources.clear()
        await self.conn.write(go)

    async def _prune(self, now: datetime) -> int:
        return await self.prune_tables((THREADS, MESSAGES, RESOURCES), now)

    async def _count_expired(self, now: datetime) -> int | None:
        return await self.count_tables((THREADS, MESSAGES, RESOURCES), now)


__all__ = ["LibSQLMemory", "bump_threads"]
