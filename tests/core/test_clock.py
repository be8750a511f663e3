"""The test clock: ``advance_clock`` moves every ``utc_now`` forward, never back; ``reset_clock`` undoes it. And
reading dates: the fast path for the form ``iso()`` writes gives what the general path gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_core.clock import advance_clock, from_iso_z, iso, parse_datetime, reset_clock, to_ms, utc_now


def test_advance_clock_moves_utc_now_forward_and_reset_undoes_it() -> None:
    try:
        before = utc_now()
        advance_clock(timedelta(hours=2))
        assert utc_now() - before >= timedelta(hours=2)
        with pytest.raises(ValueError, match="forward"):
            advance_clock(timedelta(seconds=-1))
    finally:
        reset_clock()
    assert utc_now() - before < timedelta(hours=1)


def _general(value: str) -> datetime:
    """parse_datetime's general path for text (what it did before the fast path)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return to_ms(datetime.fromisoformat(text))


#: 24 characters ending in Z, from the characters ISO-8601 texts are made of (so many are dates in some form)
_iso_like = st.text(alphabet="0123456789-:T.,W +Z", min_size=23, max_size=23).map(lambda body: body + "Z")
#: ... and with the decimal point where the fast path looks for it
_dotted = st.tuples(st.text(alphabet="0123456789-:T.,W +Z", min_size=19, max_size=19),
                    st.text(alphabet="0123456789-:T.,W +Z", min_size=3, max_size=3)).map(lambda p: f"{p[0]}.{p[1]}Z")
_written = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda naive: iso(naive.replace(tzinfo=UTC)))


@settings(max_examples=800, deadline=None)
@given(st.one_of(_iso_like, _dotted, _written, st.text(max_size=30)))
def test_the_fast_path_reads_what_the_general_path_reads(value: str) -> None:
    fast = from_iso_z(value)
    try:
        expected = _general(value)
    except ValueError:
        assert fast is None
        with pytest.raises(ValueError):
            parse_datetime(value)
        return
    if fast is not None:
        assert fast == expected and fast.tzinfo is expected.tzinfo is UTC
    got = parse_datetime(value)
    assert got == expected and got.tzinfo is UTC


def test_the_form_iso_writes_takes_the_fast_path() -> None:
    written = iso(datetime(2026, 12, 1, 7, 1, 2, 123456, tzinfo=UTC))
    assert written == "2026-12-01T07:01:02.123Z"
    assert from_iso_z(written) == datetime(2026, 12, 1, 7, 1, 2, 123000, tzinfo=UTC)
    # read by fromisoformat with a sub-millisecond part: left to the general path, which truncates it
    assert from_iso_z("2026-12-01T070102.12345Z") is None
    assert parse_datetime("2026-12-01T070102.12345Z") == datetime(2026, 12, 1, 7, 1, 2, 123000, tzinfo=UTC)
    assert from_iso_z("2026-12-01T07:01:02.123+0") is None and from_iso_z("not a date") is None
