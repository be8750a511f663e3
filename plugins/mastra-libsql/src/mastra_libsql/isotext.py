"""Timestamps as stored text: core's :func:`mastra_core.clock.iso`, without ``strftime`` on the common path.

Every write formats two to four timestamps (the record's, now for the expiry checks), and ``strftime`` made
that ~24k instructions each; the ``%`` format below is half that. The text is identical: it is only used for
UTC millisecond datetimes of years 1000..9999 (four-digit years, where ``%Y`` and ``%04d`` agree), and core's
``iso`` does everything else.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mastra_core.clock import iso as _core_iso
from mastra_core.clock import utc_now


def iso(value: datetime) -> str:
    """``mastra_core.clock.iso(value)``: ISO-8601 UTC with milliseconds and a ``Z``."""
    if value.tzinfo is UTC and not value.microsecond % 1000 and value.year >= 1000:
        return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 -- measured: faster than f-string/format
            value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond // 1000)
    return _core_iso(value)


def now_iso() -> str:
    """The current instant as stored."""
    return iso(utc_now())
