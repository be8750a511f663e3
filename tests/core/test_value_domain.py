"""The storable value domain (mastra_core.values) and identifier checks, without a backend."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_core.errors import ErrorCategory, ValidationError
from mastra_core.validation import Checks, check_identifier
from mastra_core.values import MAX_DEPTH, MAX_ID_LENGTH, MAX_SAFE_INTEGER, MAX_YEAR, MIN_YEAR

c = Checks("TEST", "OP")


@pytest.mark.parametrize("name", ["mastra\n", "a\nb", "ok\r\n", "x" * 64, "1abc", "", "a-b"])
def test_identifiers_must_match_in_full(name: str) -> None:
    with pytest.raises(ValidationError):
        check_identifier(name, "table")


def test_metadata_filter_keys_must_match_in_full() -> None:
    with pytest.raises(ValidationError):
        c.metadata_filter({"key\n": 1})


@pytest.mark.parametrize(
    "value",
    [None, True, 0, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 0.1, 1e308, "", "NUL\x00ok", "\U0010ffff",
     [[[]]], {"": {"a": [1, "b", None]}}, (1, 2)],
)
def test_storable_values_pass(value: object) -> None:
    assert c.value(value, "V") is value


def _deep(n: int) -> object:
    out: object = 1
    for _ in range(n):
        out = [out]
    return out


@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, -math.inf, MAX_SAFE_INTEGER + 1, -(2**63), "\ud800", "a\udfffb", {1, 2}, b"x", object(),
     {1: "int key"}, {"\ud800": 1}, datetime.now(UTC), _deep(MAX_DEPTH + 1), [{"ok": [math.nan]}]],
)
def test_values_outside_the_domain_are_refused_naming_the_field(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        c.value({"outer": value}, "METADATA")
    assert info.value.category == ErrorCategory.USER
    assert info.value.details["field"].startswith("metadata")
    assert info.value.id == "MASTRA_STORAGE_TEST_OP_INVALID_METADATA"


def test_depth_limit_is_exact() -> None:
    c.value(_deep(MAX_DEPTH), "V")
    with pytest.raises(ValidationError):
        c.value(_deep(MAX_DEPTH + 1), "V")


def test_a_self_referencing_value_is_refused_not_a_recursion_error() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValidationError):
        c.value(loop, "V")


@pytest.mark.parametrize(
    "value", ["", "   ", "a\x00", "a\ud800", "x" * (MAX_ID_LENGTH + 1), "\U0001f600" * MAX_ID_LENGTH, 5, None, ["a"]]
)
def test_bad_ids_are_refused(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        c.id(value, "THREAD_ID")
    assert info.value.details["field"] == "THREAD_ID"


def test_ids_up_to_the_limit_pass() -> None:
    assert c.id("x" * MAX_ID_LENGTH, "ID") == "x" * MAX_ID_LENGTH
    assert c.id(" padded id ", "ID") == " padded id "


@pytest.mark.parametrize(
    "value",
    [datetime(1, 1, 1, tzinfo=UTC), datetime(MIN_YEAR - 1, 12, 31, 23, 59, tzinfo=UTC), "0001-01-01T00:00:00Z",
     datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
     "not a date", 10**20],
)
def test_dates_outside_the_range_are_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        c.date(value, "CREATED_AT")


def test_dates_at_the_edges_pass() -> None:
    assert c.date(datetime(MIN_YEAR, 1, 1, tzinfo=UTC), "D") is not None
    assert c.date(datetime(MAX_YEAR, 12, 31, 23, 59, 59, tzinfo=UTC), "D") is not None


def test_a_record_field_must_have_its_declared_type() -> None:
    from mastra_core.records import Thread

    with pytest.raises(ValidationError) as info:
        c.value(Thread(id="t", resource_id="r", title=5), "THREAD")  # type: ignore[arg-type]
    assert info.value.details["field"] == "thread.title"
    with pytest.raises(ValidationError) as info:
        c.value(Thread(id="t", resource_id="r", created_at="x"), "THREAD")  # type: ignore[arg-type]
    assert info.value.details["field"] == "thread.created_at"


# The fast path (plain JSON judged without building field paths) must never accept what the precise walk refuses.
_leaves = st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60) | st.floats() | st.text(
    alphabet=st.characters(codec=None, blacklist_categories=())
)
_json = st.recursive(
    _leaves,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, database=None)
@given(_json)
def test_the_fast_path_accepts_only_what_the_precise_walk_accepts(value: object) -> None:
    from mastra_core.values import _plainly_storable, _walk

    def fail(status: str, message: str, field: str) -> ValidationError:
        return ValidationError(message, id="TEST_FAST_PATH")

    precise_ok = True
    try:
        _walk(value, "v", 0, fail, "S")
    except ValidationError:
        precise_ok = False
    if _plainly_storable(value, 0):
        assert precise_ok


def test_the_fast_path_refuses_the_domain_edges() -> None:
    from mastra_core.values import _plainly_storable

    edges = [{"k": float("nan")}, [MAX_SAFE_INTEGER + 1], {"k": "lone \ud800"}, {"\udfff": 1}, {1: "x"}]
    for bad in [*edges, _deep(MAX_DEPTH + 1)]:
        assert not _plainly_storable(bad, 0)
    assert _plainly_storable(_deep(MAX_DEPTH), 0)
