"""``save_thread`` on a file: the cheapest statement that is right for the row found, each atomic on its own.

What one save costs is mostly fixed per statement (callgrind, ``bench/libsql_callgrind.py``): the driver
prepares every statement afresh (the UPDATE's code for the table's five indexes and a RETURNING trigger is
~40k instructions), converts each text parameter through two failed numeric conversions (~5k each), and the
step rewrites each index whose column is SET (a delete, an insert and a WAL page each). So a save runs ONE
statement in the usual cases, and the fewest columns and parameters that are right:

- A thread this store saw live (:class:`SeenThreads`), with the same resource and no expiry: ``UPDATE`` of
  title, metadata and updatedAt only, guarded by the createdAt and resourceId it saw and ``"expiresAt" IS
  NULL`` (so the row is live without a ``now``), no RETURNING: one changed row proves the row is as seen.
- Any other thread: a new id first tries the plain ``INSERT``; one seen before (but with a new resource or
  an expiry) the UPDATE of a live row with RETURNING "createdAt". Whichever does not apply is tried next,
  and an expired row (or one another process wrote in between) takes the full upsert.

The seen rows are a hint only: every statement's guard decides, so a stale or wrong entry costs one more
statement, never a wrong result.
"""
# ruff: noqa: S608  -- SQL text holds only constant, validated, quoted identifiers; values are bound parameters

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mastra_core import records as r
from mastra_core.backend import SeenKeys

from ..codec import Codec
from ..connection import LibSQLConnection, quote
from ..isotext import iso
from ..schema import EXPIRES, THREADS
from .shared import LIVE as _LIVE
from .shared import keep_created_sql as _keep_created

_T, _E = quote(THREADS.name), quote(EXPIRES)
THREAD = Codec(THREADS, r.Thread)

#: A thread as this store saw it live, resaved with its resource and no expiry (?1 title, ?2 metadata,
#: ?3 updatedAt, ?4 id, ?5 the createdAt seen, ?6 the resource). Neither resourceId nor expiresAt is SET, so
#: their indexes are left alone.
_TOUCH_SEEN = (f'UPDATE {_T} SET title = ?, metadata = ?, "updatedAt" = ? '
               f'WHERE id = ? AND "createdAt" = ? AND "resourceId" = ? AND {_E} IS NULL')
#: A thread saved over a live row: the row keeps its createdAt (and rowid); ?1..?5 the new values, ?6 id, ?7 now.
_SAVE_LIVE = (f'UPDATE {_T} SET "resourceId" = ?, title = ?, metadata = ?, "updatedAt" = ?, {_E} = ? '
              f'WHERE id = ? AND {_LIVE} RETURNING "createdAt"')
#: A thread saved where no row exists (changes 0: a row exists, live or expired).
_INSERT_NEW = f"INSERT INTO {_T} ({THREAD.insert_columns}) VALUES {THREAD.placeholders} ON CONFLICT DO NOTHING"
#: Any case: an existing live row keeps createdAt (and its rowid); an expired one is replaced as if new.
UPSERT_THREAD = (f"INSERT INTO {_T} ({THREAD.insert_columns}) VALUES {THREAD.placeholders} ON CONFLICT(id) DO UPDATE "
                 'SET "resourceId" = excluded."resourceId", title = excluded.title, metadata = excluded.metadata, '
                 f'"createdAt" = {_keep_created(_T)}, "updatedAt" = excluded."updatedAt", {_E} = excluded.{_E}')

#: What :class:`SeenThreads` holds per id: the createdAt as stored (None: not yet formatted), as a datetime, and
#: the resourceId.
Seen = tuple[str | None, datetime, str]


class SeenThreads(SeenKeys[str, Seen]):
    """Threads this store last saw live (saved or read), by id: a hint for :func:`save_on_file`."""


def save_on_file(db: LibSQLConnection, values: list[Any], seen: Seen | None, now: Callable[[], str]) -> Any:
    """Write the thread whose encoded row is ``values`` (id, resourceId, title, metadata, createdAt, updatedAt,
    expiresAt); the createdAt the row has now (as stored). ``now()`` gives the current instant as stored, read only when
    a statement needs it."""
    if seen is not None and values[6] is None and seen[2] == values[1]:
        created = seen[0] if seen[0] is not None else iso(seen[1])
        if db.changes(_TOUCH_SEEN, (values[2], values[3], values[5], values[0], created, values[1])) == 1:
            return created
    if seen is None and db.changes(_INSERT_NEW, values) == 1:
        return values[4]
    at = now()
    row = db.one(_SAVE_LIVE, (*values[1:4], *values[5:7], values[0], at))
    if row is not None:
        return row[0]
    if seen is not None and db.changes(_INSERT_NEW, values) == 1:
        return values[4]
    row = db.one(UPSERT_THREAD + ' RETURNING "createdAt"', (*values, at))
    assert row is not None
    return row[0]


__all__ = ["THREAD", "UPSERT_THREAD", "Seen", "SeenThreads", "save_on_file"]
