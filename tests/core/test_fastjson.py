"""``mastra_core.backend.fastjson`` against the standard ``json`` module it stands in for.

Writing: wherever ``compact_dumps`` answers, its text is ``json.dumps(ensure_ascii=False, separators=(",", ":"))``
byte for byte; it answers for the plain values of a snapshot. Reading: ``loads`` gives the same values, of the same
types, and refuses the same texts. Hostile values are drawn on purpose: floats around 1e-4 and 1e16, exponents,
integers near 2**53, 2**63 and 2**64, control characters, NUL, lone surrogates, NaN, duplicate keys.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson  # noqa: F401  - the fast path must be the one under test (the core session installs mastra-libsql)
from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_core.backend import fastjson


def _standard(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_EDGE_FLOATS = st.sampled_from([1e-4, 9.99e-5, 1e-5, 1.5e-7, 1e-7, 1e-9, 1e-10, 5e-324, 1e15, 1e16, 1.5e16, 1e21,
                                1.7976931348623157e308, -0.0, 0.1, 123.456, 1e-300])
_LEAVES = (st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _EDGE_FLOATS
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner,
                                                                                                max_size=4),
                       max_leaves=25)


@settings(max_examples=600, deadline=None)
@given(_VALUES)
def test_written_text_is_the_standard_encoders(value: Any) -> None:
    fast = fastjson.compact_dumps(value)
    try:
        standard = _standard(value)
    except (TypeError, ValueError):
        assert fast is None
        return
    if fast is not None:
        assert fast == standard


def test_a_plain_snapshot_takes_the_fast_path() -> None:
    snapshot = {"status": "running", "context": {"step-1": {"output": {"n": 3, "ratio": 0.25, "ok": True}}},
                "path": ["a", "b"], "error": None, "text": "h\u00e9llo \u2028 \x00 \n"}
    assert fastjson.compact_dumps(snapshot) == _standard(snapshot)


def test_values_the_standard_encoder_writes_otherwise_or_refuses_take_it() -> None:
    assert fastjson.compact_dumps({"x": 1e-05}) is None  # json: 1e-05, orjson: 0.00001
    assert fastjson.compact_dumps([1e-07]) is None  # json: 1e-07, orjson: 1e-7
    assert fastjson.compact_dumps({1: "a"}) is None  # a non-string key
    assert fastjson.compact_dumps({"s": "\ud800"}) is None  # a lone surrogate
    assert fastjson.compact_dumps([2**64]) is None  # past 64 bits
    assert fastjson.compact_dumps({"d": __import__("datetime").datetime(2020, 1, 1)}) is None


_NUMBERS = (st.floats(allow_nan=False, allow_infinity=False).map(repr)
            | st.integers(-(10**25), 10**25).map(str)
            | st.builds(lambda m, e: f"{m}e{e}", st.integers(-(10**17), 10**17), st.integers(-330, 310)))
_TEXTS = (st.lists(_NUMBERS, max_size=5).map(lambda xs: "[" + ",".join(xs) + "]")
          | _VALUES.map(_standard)
          | st.sampled_from(['"\\ud800"', "NaN", "[Infinity]", "[1e400]", '{"a":1,"a":2}', '"\\u0000"', "[1,]",
                             "", "nul", '"\x01"', "18446744073709551616", "-9223372036854775809", " [1] ", "[1]x"]))


def _read(reader: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", reader(text)
    except ValueError:
        return "error", None


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@settings(max_examples=600, deadline=None)
@given(_TEXTS)
def test_read_values_are_json_loads_values(text: str) -> None:
    fast, standard = _read(fastjson.loads, text), _read(json.loads, text)
    assert fast[0] == standard[0], text
    assert _same(fast[1], standard[1]), text
    assert _same(_read(fastjson.loads, text.encode("utf-8", "surrogatepass"))[1], standard[1]) or fast[0] == "error"
