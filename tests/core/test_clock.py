"""The test clock: ``advance_clock`` moves every ``utc_now`` forward, never back; ``reset_clock`` undoes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mastra_core.clock import advance_clock, reset_clock, utc_now


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
