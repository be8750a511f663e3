"""``isotext.iso`` writes exactly core's ``clock.iso`` text, whatever the datetime (zone, precision, year, repeats)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from mastra_core.clock import iso as core_iso
from mastra_core.clock import to_ms, utc_now
from mastra_libsql.isotext import iso, now_iso

ZONES = [UTC, None, timezone(timedelta(hours=2)), timezone(timedelta(hours=-3, minutes=-30))]


def test_the_same_text_as_core_for_random_datetimes() -> None:
    rng = random.Random(16)
    previous: datetime | None = None
    checked = 0
    for _ in range(20000):
        value = datetime(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                         rng.randint(0, 59), rng.randint(0, 59),
                         rng.choice([0, rng.randint(0, 999) * 1000, rng.randint(0, 999999)]), tzinfo=rng.choice(ZONES))
        if previous is not None and rng.random() < 0.3:  # the remembered instant again, maybe in another zone
            value = previous if previous.tzinfo is None else previous.astimezone(rng.choice(ZONES[2:]))
        try:
            expected = core_iso(value)
        except (OverflowError, ValueError):
            continue
        assert iso(value) == expected, value
        previous = value
        checked += 1
    assert checked > 15000


def test_edges() -> None:
    for value in (datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(1000, 1, 1, tzinfo=UTC),
                  datetime(9998, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), datetime(2024, 1, 1, 0, 0, 0, 1),
                  to_ms(datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=14))))):
        assert iso(value) == core_iso(value)
        assert iso(value) == core_iso(value)  # remembered: still the same
    assert iso(datetime(2024, 1, 1, tzinfo=UTC)) == iso(datetime(2024, 1, 1)) == "2024-01-01T00:00:00.000Z"
    text = now_iso()
    assert len(text) == 24 and text.endswith("Z") and text <= core_iso(utc_now())
