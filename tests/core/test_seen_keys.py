"""The bounded seen-row hint every backend keeps (mastra_core.backend.SeenKeys)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_core.backend import SeenKeys


def test_put_get_drop_clear() -> None:
    seen: SeenKeys[str, int] = SeenKeys()
    assert "a" not in seen and seen.get("a") is None
    seen.put("a", 1)
    seen.put("b")
    assert "a" in seen and seen.get("a") == 1
    assert "b" in seen and seen.get("b") is None  # a key remembered without a value is still seen
    seen.drop("a")
    seen.drop("missing")  # forgetting an unknown key is no error
    assert "a" not in seen and "b" in seen
    seen.clear()
    assert "b" not in seen


@settings(max_examples=50)
@given(st.lists(st.integers(min_value=0, max_value=40), max_size=300), st.integers(min_value=1, max_value=8))
def test_bounded_and_never_wrong_about_the_last_put(keys: list[int], limit: int) -> None:
    """Whatever the sequence, the map never holds more than LIMIT keys, and the key just put is always there
    (starting over when full must not drop the key being remembered)."""

    class Small(SeenKeys[int, int]):
        LIMIT = limit

    seen = Small()
    for key in keys:
        seen.put(key, key * 2)
        assert key in seen and seen.get(key) == key * 2
        assert len(seen._rows) <= limit
        # re-putting a remembered key never starts over, even when full
        before = dict(seen._rows)
        seen.put(key, key * 2)
        assert seen._rows == before
