"""Pages, ordering and the per_page rules every list call shares.

``per_page=False`` means "everything", ``0`` means an empty page (include windows still come back),
a negative number is an error. ``page`` is zero-based.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Generic, Literal, TypeVar

import attrs

T = TypeVar("T")
PerPage = int | Literal[False]
Direction = Literal["ASC", "DESC"]

#: The largest offset or page size: what every backend (and a JavaScript number) takes exactly; beyond it
#: MongoDB's and DynamoDB's drivers fail instead of returning an empty page.
MAX_OFFSET = 2**53 - 1


@attrs.define(kw_only=True)
class Page(Generic[T]):
    """One page of a list call. Iterating a page iterates its items."""

    items: list[T]
    total: int
    page: int
    per_page: PerPage
    has_more: bool

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@attrs.define(kw_only=True, frozen=True)
class OrderBy:
    """A sort: ``field`` is a record attribute name (``created_at``...), ``direction`` ASC or DESC."""

    field: str = "created_at"
    direction: Direction = "DESC"


@attrs.define(kw_only=True, frozen=True)
class DateRange:
    """Inclusive bounds unless marked exclusive."""

    start: Any = None  # datetime | None, parsed by validation
    end: Any = None
    start_exclusive: bool = False
    end_exclusive: bool = False


def page_slice(total: int, page: int, per_page: PerPage) -> tuple[int, int | None]:
    """(offset, limit) for a page; limit None means no limit."""
    if per_page is False:
        return 0, None
    return page * per_page, per_page


def has_more(total: int, page: int, per_page: PerPage) -> bool:
    """Whether rows remain after this page."""
    if per_page is False:
        return False
    return (page + 1) * per_page < total


def paginate(items: Sequence[T], page: int, per_page: PerPage) -> Page[T]:
    """Cut one page out of an already filtered and sorted sequence."""
    offset, limit = page_slice(len(items), page, per_page)
    chunk = list(items[offset:] if limit is None else items[offset : offset + limit])
    return Page(
        items=chunk, total=len(items), page=page, per_page=per_page, has_more=has_more(len(items), page, per_page)
    )
