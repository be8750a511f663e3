"""``codec.jsonb_dumps`` (orjson, the standard encoder where it must) stores exactly what ``codec.dumps`` stores, and
``codec.text_json`` (message content's text, the same arrangement) writes the JSON value the standard encoder writes.

Two checks: the texts parse to the same JSON value, types included (an int is not a float), for storable values and
hostile ones (NUL, U+FFFF, lone surrogates, floats with exponents, non-string keys); and PostgreSQL, given both
texts as jsonb, stores equal values that print the same.
"""

from __future__ import annotations

import json
import math
from typing import Any

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_pg.codec import _standard_text_json, dumps, jsonb_dumps, text_json

FLOATS = [0.0, -0.0, 1.0, 1.5, 0.1, 1e-7, 1.5e-5, 1e15, 1e16, 1.5e22, 2.0**60, 123456789012345.0, 1e300, 5e-324]
TEXT = ["", "a", "\x00", "a\x00b", "\uffff", "\uffff!", "\ud800", "x\udfffy", "é", "😀", "\u2028", "\x1f\x7f", '"\\']

leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), st.sampled_from(FLOATS),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8), st.sampled_from(TEXT),
)
keys = st.one_of(st.text(max_size=6), st.sampled_from(TEXT))
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(keys, inner, max_size=4)), max_leaves=20)


def _same(a: Any, b: Any) -> bool:
    """Equal JSON values of the same types all the way down (1 and 1.0 differ; -0.0 and 0.0 are one number)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def _text(data: bytes | str) -> str:
    return data.decode() if isinstance(data, bytes) else data


@settings(max_examples=400, deadline=None)
@given(values)
def test_the_same_json_value_as_the_standard_encoder(value: Any) -> None:
    assert _same(json.loads(_text(jsonb_dumps(value))), json.loads(dumps(value)))


@settings(max_examples=400, deadline=None)
@given(values)
def test_text_json_is_the_same_json_value_as_the_standard_encoder(value: Any) -> None:
    # message content in a text column: orjson's text where it can write it, the standard encoder's otherwise
    ours = text_json(value)
    assert isinstance(ours, str) and _same(json.loads(ours), json.loads(_standard_text_json(value)))


def test_text_json_takes_the_standard_encoder_where_orjson_cannot_write_the_same_text() -> None:
    for value in ({1: "a"}, {"a": 2**70}, "\ud800", {"k": "\uffff"}):
        assert text_json(value) == _standard_text_json(value)
    usual = {"format": 2, "parts": [{"text": 'say "hi" \\ é \x00', "type": "text"}], "content": "hi"}
    assert text_json(usual) == _standard_text_json(usual)  # the usual content: the very same text


def test_what_orjson_cannot_write_goes_to_the_standard_encoder() -> None:
    for value in ({1: "a"}, {"a": 2**70}, "\ud800", {"k": "\x00"}, {"k": "\uffff"}, [1e16]):
        assert jsonb_dumps(value) == dumps(value)
    assert isinstance(jsonb_dumps({"a": [1, 2.5, None, True, "é"]}), bytes)  # the usual case: orjson's bytes


async def test_postgres_stores_the_same_jsonb(raw: psycopg.AsyncConnection[Any]) -> None:
    samples: list[Any] = [{"f": FLOATS, "t": [t for t in TEXT if not 0xD800 <= ord(t[-1:] or "a") <= 0xDFFF]},
                          {"n": [0, -1, 2**53 - 1, -(2**53) + 1], "nested": {"a": [{"b": None}], "c": True}}]
    for value in samples:
        cur = await raw.execute("SELECT %s::text::jsonb = %s::text::jsonb, %s::text::jsonb::text, "
                                "%s::text::jsonb::text", (_text(jsonb_dumps(value)), dumps(value),
                                                          _text(jsonb_dumps(value)), dumps(value)))
        equal, ours, standard = await cur.fetchone() or (None, None, None)
        assert equal is True and ours == standard
