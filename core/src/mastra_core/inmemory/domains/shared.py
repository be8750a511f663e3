"""What the in-memory domains share: the typed base and paging over stored rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...backend.domain import BackendDomain
from ...pagination import Page, paginate
from ..connection import Row, State, clone


class InMemoryDomain(BackendDomain[State]):
    """Base of the in-memory domains: ``conn`` is the storage's :class:`State` (``s`` for short)."""

    @property
    def s(self) -> State:
        """The tables of this storage."""
        return self.conn


def page_rows(rows: list[Row[Any]], page: int, per_page: Any) -> Page[Any]:
    """One page of sorted rows, records copied out."""
    p = paginate(rows, page, per_page)
    return Page(items=[clone(row.record) for row in p.items], total=p.total, page=page, per_page=per_page,
                has_more=p.has_more)


def count_expired(*tables: Any, now: Any) -> int:
    """How many rows of ``tables`` (dicts or lists of rows) have expired at ``now``."""
    return sum(1 for table in tables for row in (table.values() if isinstance(table, dict) else table)
               if not row.live(now))


def prune_table(table: dict[Any, Row[Any]], now: datetime) -> int:
    """Delete expired rows of one table; how many."""
    dead = [k for k, row in table.items() if not row.live(now)]
    for k in dead:
        del table[k]
    return len(dead)
