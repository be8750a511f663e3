"""The value-domain check's fast paths against the walk they replaced (kept below, verbatim, as the oracle).

``check_value``/``check_field`` judge the usual value (plain JSON, a message's records) without building a path
string, and fall back to the walk only when unsure. They must accept and refuse exactly what the walk before them
did, with the same message and field: random JSON-ish values and records, hostile ones included (NaN, inf, 2^53,
2^63, lone surrogates, NUL, deep nesting, datetimes, subclasses, tuples, sets, bytes, fields of the wrong type).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_core import values
from mastra_core.records import Message, MessageContent, Thread, WorkflowRun
from mastra_core.records.messages import DataPart, SourcePart, TextPart, ToolInvocation, ToolInvocationPart
from mastra_core.values import (
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    MAX_YEAR,
    MIN_YEAR,
    Fail,
    _field_types,
    _show,
    date_problem,
    text_problem,
)

# --- the oracle: mastra_core.values as of commit ce3ddb1 (check_value, check_field and their walk) ---------------
_NONE = type(None)


def old_check_value(value: Any, field: str, fail: Fail, status: str) -> None:
    if not _old_plainly_storable(value, 0):
        _walk(value, field, 0, fail, status)


def _old_plainly_storable(value: Any, depth: int) -> bool:
    kind = type(value)
    if kind is str:
        return value.isascii() or text_problem(value) is None
    if value is None or kind is bool:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    if kind is float:
        return math.isfinite(value)
    if depth >= MAX_DEPTH:
        return False
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or text_problem(key) is None):
                return False
            leaf = type(item)
            if leaf is str and item.isascii() or item is None or leaf is bool:
                continue
            if leaf is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            if not _old_plainly_storable(item, depth + 1):
                return False
        return True
    if kind is list:
        for item in value:
            leaf = type(item)
            if leaf is str and item.isascii() or item is None or leaf is bool:
                continue
            if leaf is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            if not _old_plainly_storable(item, depth + 1):
                return False
        return True
    return False


def _walk(value: Any, path: str, depth: int, fail: Fail, status: str) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise fail(status, f"{path} {problem}", path)
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise fail(status, f"{path} must be an integer within ±{MAX_SAFE_INTEGER} (2^53-1)", path)
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise fail(status, f"{path} must be a finite number, got {value!r}", path)
        return
    if attrs.has(type(value)):
        _walk_record(value, path, fail, status)
        return
    if depth >= MAX_DEPTH:
        raise fail(status, f"{path} is nested deeper than {MAX_DEPTH} levels", path)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise fail(status, f"{path} has a non-string key {_show(key)} (JSON keys are strings)", path)
            problem = text_problem(key)
            if problem:
                raise fail(status, f"{path} has a key that {problem}", path)
            _walk(item, f"{path}.{key}", depth + 1, fail, status)
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]", depth + 1, fail, status)
        return
    raise fail(status, f"{path} must be a JSON value, got {type(value).__name__}", path)


def old_check_field(cls: type, name: str, value: Any, fail: Fail, status: str) -> None:
    allowed = dict(_field_types(cls)).get(name)
    _check_field(allowed, value, name, fail, status)


def _walk_record(record: Any, path: str, fail: Fail, status: str) -> None:
    cls: Any = type(record)
    for name, allowed in _field_types(cls):
        value = getattr(record, name)
        if value is None:
            if allowed is None or _NONE in allowed:
                continue
        elif type(value) is str and value.isascii() and (allowed is None or str in allowed):
            continue
        _check_field(allowed, value, f"{path}.{name}", fail, status)


def _check_field(allowed: tuple[type, ...] | None, value: Any, where: str, fail: Fail, status: str) -> None:
    if allowed is not None and not isinstance(value, allowed):
        expected = " or ".join(sorted({t.__name__ for t in allowed}))
        raise fail(status, f"{where} must be {expected}, got {type(value).__name__}", where)
    if isinstance(value, enum.Enum) and not isinstance(value, str | int):
        return
    if isinstance(value, int) and not isinstance(value, bool):
        if not -(2**63) <= value < 2**63:
            raise fail(status, f"{where} must be a signed 64-bit integer", where)
        return
    if isinstance(value, datetime):
        if value.tzinfo is UTC and MIN_YEAR <= value.year <= MAX_YEAR:
            return
        problem = date_problem(value)
        if problem:
            raise fail(status, f"{where} {problem}", where)
        return
    if not _old_plainly_storable(value, 0):
        _walk(value, where, 0, fail, status)


# --- comparing the two ---------------------------------------------------------------------------------------------
class Refused(Exception):
    pass


def _fail(status: str, message: str, field: str) -> Refused:
    return Refused(status, message, field)


def _outcome(check: Any, *args: Any) -> tuple[Any, ...]:
    try:
        check(*args, _fail, "INVALID_X")
    except Refused as e:
        return ("refused", *e.args)
    except RecursionError:
        return ("recursion",)
    return ("ok",)


class Key(str):
    pass


class Color(enum.Enum):
    RED = 1


HOSTILE_FLOATS = [math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324]
HOSTILE_INTS = [MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1]
HOSTILE_TEXT = ["\ud800", "a\udfffb", "NUL\x00", "é", "\U0010ffff", "", " ", Key("k"), Key("\ud800")]
DATES = [
    datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 1), datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31),
    datetime(MAX_YEAR, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), datetime(MIN_YEAR, 1, 1, tzinfo=UTC),
]
ODD = [b"bytes", {1, 2}, frozenset(), object(), Color.RED, 1j, bytearray(b"x")]

leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**64), 2**64), st.sampled_from(HOSTILE_INTS), st.floats(),
    st.sampled_from(HOSTILE_FLOATS), st.text(max_size=8), st.sampled_from(HOSTILE_TEXT), st.sampled_from(DATES),
    st.sampled_from(ODD),
)
keys = st.one_of(st.text(max_size=6), st.sampled_from(HOSTILE_TEXT), st.sampled_from([1, None, (1,), True, 1.5]))


def _records(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Records with fields of their declared type, and of any other (attrs does not check types)."""
    text = st.one_of(st.text(max_size=6), st.sampled_from(HOSTILE_TEXT))
    any_field = st.one_of(text, inner)
    part = st.one_of(
        st.builds(TextPart, text=any_field, provider_metadata=st.one_of(st.none(), inner), extra=inner),
        st.builds(DataPart, type=text, data=inner, id=st.one_of(st.none(), any_field)),
        st.builds(SourcePart, source=inner),
        st.builds(
            ToolInvocationPart,
            tool_invocation=st.builds(
                ToolInvocation, state=st.sampled_from(["call", "result"]), tool_call_id=text, tool_name=any_field,
                args=inner, result=inner, step=st.one_of(st.none(), st.sampled_from(HOSTILE_INTS), inner),
            ),
        ),
    )
    content = st.builds(
        MessageContent, format=st.one_of(st.just(2), inner), parts=st.lists(st.one_of(part, inner), max_size=3),
        content=st.one_of(st.none(), any_field), metadata=st.one_of(st.none(), inner), extra=inner,
    )
    message = st.builds(
        Message, id=text, role=st.just("user"), content=st.one_of(content, text),
        thread_id=st.one_of(st.none(), any_field), created_at=st.one_of(st.sampled_from(DATES), inner),
        type=st.one_of(st.none(), any_field),
    )
    thread = st.builds(Thread, id=text, resource_id=text, title=st.one_of(st.none(), any_field), metadata=inner)
    return st.one_of(part, content, message, thread)


json_ish = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=4), _records(inner),
    ),
    max_leaves=12,
)


def _nest(value: Any, depth: int, shape: str) -> Any:
    for i in range(depth):
        kind = shape[i % len(shape)]
        value = [value] if kind == "l" else {"k": value} if kind == "d" else TextPart(text="t", extra={"e": value})
    return value


# (leaf, depth, shape) nested inside the test: a failing example prints as that triple, not as a 100-deep repr
deep = st.tuples(json_ish, st.integers(MAX_DEPTH - 3, MAX_DEPTH + 2), st.sampled_from(["l", "d", "ld", "dldr", "r"]))
values_and_nests = st.one_of(json_ish.map(lambda v: (v, 0, "l")), deep)


@settings(max_examples=1500, deadline=None)
@given(values_and_nests)
def test_check_value_answers_as_the_walk_did(spec: tuple[Any, int, str]) -> None:
    value = _nest(*spec)
    assert _outcome(values.check_value, value, "v") == _outcome(old_check_value, value, "v")


FIELDS = [(cls, f.name) for cls in (Message, MessageContent, TextPart, ToolInvocation, Thread, WorkflowRun)
          for f in attrs.fields(cls)]


@settings(max_examples=800, deadline=None)
@given(st.sampled_from(FIELDS), values_and_nests)
def test_check_field_answers_as_the_walk_did(field: tuple[type, str], spec: tuple[Any, int, str]) -> None:
    cls, name = field
    value = _nest(*spec)
    assert _outcome(values.check_field, cls, name, value) == _outcome(old_check_field, cls, name, value)


def test_the_usual_message_and_a_refused_one() -> None:
    ok = Message.from_text("hello", id="m1", thread_id="t", resource_id="r")
    assert _outcome(values.check_value, ok, "message") == ("ok",)
    bad = Message.from_text("hello", id="m1", thread_id="t")
    bad.content.parts.append(TextPart(text="x", extra={"n": [1, math.nan]}))
    expected = ("refused", "INVALID_X", "message.content.parts[1].extra.n[1] must be a finite number, got nan",
                "message.content.parts[1].extra.n[1]")
    assert _outcome(values.check_value, bad, "message") == expected == _outcome(old_check_value, bad, "message")
