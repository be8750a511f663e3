"""The one page assembler of ``list_messages``: every backend fetches, this module decides.

A backend fetches (in as few round trips as it can) the page rows, the rows of every include window
and the total; :func:`assemble_message_page` merges them into the page the contract defines
(DESIGN.md section 4): the de-duplicated union sorted by (created_at, tiebreak) in the query's
direction, ``total`` as fetched, and ``has_more`` true only when rows of the query's own result set
remain beyond what this page returned.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import attrs

from .. import records as r
from ..domains.matching import in_date_range
from ..pagination import Page, has_more
from ..records.queries import MessageQuery


@attrs.define(frozen=True)
class FetchedMessage:
    """A message as a backend fetched it, with its insertion tiebreak (seq, rowid, a sort key...).

    Tiebreaks of one thread must be comparable among themselves; equal ``created_at`` rows sort by them.
    """

    message: r.Message
    tiebreak: Any = 0


def sort_key(row: FetchedMessage) -> tuple[Any, Any]:
    """The total order of messages: (created_at, insertion tiebreak)."""
    return (row.message.created_at, row.tiebreak)


def in_result_set(message: r.Message, q: MessageQuery, thread_ids: frozenset[str] | None = None) -> bool:
    """Whether ``message`` belongs to the rows ``q`` pages over (its threads, resource and date bounds)."""
    threads = frozenset(q.thread_ids) if thread_ids is None else thread_ids
    if message.thread_id not in threads:
        return False
    if q.resource_id is not None and message.resource_id != q.resource_id:
        return False
    return message.created_at is None or in_date_range(message.created_at, q)


def assemble_message_page(
    q: MessageQuery,
    *,
    page: Sequence[FetchedMessage],
    windows: Iterable[FetchedMessage] = (),
    total: int,
) -> Page[r.Message]:
    """Merge a fetched page and include windows into the page ``q`` asks for.

    ``page`` must be exactly the rows of ``q``'s result set at ``q.offset``/``q.limit`` (in any
    order); ``windows`` the include targets and their neighbours (duplicates and page rows allowed);
    ``total`` the size of the result set.
    """
    chosen: dict[Hashable, FetchedMessage] = {row.message.id: row for row in page}
    page_ids = set(chosen)
    threads = frozenset(q.thread_ids)
    extra_in_set = 0
    for row in windows:
        if row.message.id in chosen:
            continue
        chosen[row.message.id] = row
        if in_result_set(row.message, q, threads):
            extra_in_set += 1
    ordered = sorted(chosen.values(), key=sort_key, reverse=q.direction == "DESC")
    returned = len(page_ids) + extra_in_set
    more = returned < total and has_more(total, q.page, q.per_page)
    return Page(items=[row.message for row in ordered], total=total, page=q.page, per_page=q.per_page, has_more=more)


def page_of(items: Sequence[Any], *, total: int, page: int, per_page: int | bool) -> Page[Any]:
    """A :class:`Page` of already fetched ``items`` with ``has_more`` computed from ``total``."""
    pp: Any = per_page
    return Page(items=list(items), total=total, page=page, per_page=pp, has_more=has_more(total, page, pp))
