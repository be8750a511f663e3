"""Timestamps as stored text: core's :func:`mastra_core.clock.iso`, without ``strftime`` on the common path.

Every write formats two to four timestamps (the record's, now for the expiry checks), and ``strftime`` made
that ~24k instructions each; the ``%`` format below is half that, and the instant formatted last is remembered.
The text is identical: the format is only used for UTC millisecond datetimes of years 1000..9999 (four-digit
years, where ``%Y`` and ``%04d`` agree), and core's ``iso`` does everything else.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mastra_core.clock import iso as _core_iso
from mastra_core.clock import utc_now

#: The last instant formatted here and its text. A write formats the record's createdAt and updatedAt and now, which
#: are mostly the same millisecond: the second and third are a comparison. (One tuple, replaced whole: threads
#: racing here only ever read a matching pair.)
_last: tuple[datetime, str] = (datetime(1970, 1, 1, tzinfo=UTC), "1970-01-01T00:00:00.000Z")


def iso(value: datetime) -> str:
    """``mastra_core.clock.iso(value)``: ISO-8601 UTC with milliseconds and a ``Z``."""
    global _last
    last = _last
    if value == last[0]:  # the same instant (an aware datetime never equals a naive one): the same text
        return last[1]
    if value.tzinfo is UTC and not value.microsecond % 1000 and value.year >= 1000:
        text = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 -- measured: faster than f-string/format
            value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond // 1000)
        _last = (value, text)
        return text
    return _core_iso(value)


def now_iso() -> str:
    """The current instant as stored."""
    return iso(utc_now())
