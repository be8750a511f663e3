"""The storable value domain: what every backend stores and reads back exactly, checked once in core.

A value is storable when it is JSON (a dict with string keys, a list, a string, an int, a float, a bool or
None) nested at most :data:`MAX_DEPTH` deep, with finite floats, integers within ``±MAX_SAFE_INTEGER`` (what
JavaScript and every backend's number type read back exactly) and strings that are valid Unicode (no lone
surrogates; NUL is allowed: every backend keeps it). Integer record fields (a legacy trace's nanosecond times)
are 64-bit columns and take any signed 64-bit integer. Records (attrs classes) are walked field by field and
each field must also have its declared type. Dates are datetimes within years :data:`MIN_YEAR`..
:data:`MAX_YEAR` (the ``0001-01-01`` "zero date" is refused: several stores cannot read it back). Ids are
non-blank text of at most :data:`MAX_ID_LENGTH` characters and :data:`MAX_ID_BYTES` UTF-8 bytes (MySQL keys
are ``VARCHAR(255)``, a DynamoDB sort key holds 1024 bytes with its prefix) without NUL.

Every refusal is a :class:`~mastra_core.errors.ValidationError` naming the field (``details["field"]``).
"""

from __future__ import annotations

import enum
import functools
import math
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from .codegen import define
from .errors import ValidationError

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 100
MAX_ID_LENGTH = 255
MAX_ID_BYTES = 1000
MIN_YEAR = 1000
MAX_YEAR = 9998  # not 9999: a store adds a millisecond to the last stored time and must not overflow

_NONE = type(None)
_MIN_INT64, _MAX_INT64 = -(2**63), 2**63 - 1
#: ``fail(status, message, field)`` builds the ValidationError (it carries the backend and operation ids).
Fail = Callable[[str, str, str], ValidationError]


def text_problem(value: str) -> str | None:
    """Why ``value`` is not storable text (None: it is)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def id_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid id (None: it is)."""
    if type(value) is str and value.isascii() and len(value) <= MAX_ID_LENGTH:
        # the usual id, judged without encoding it: ASCII is valid Unicode and one byte per character
        return None if value and not value.isspace() and "\x00" not in value else _id_problem(value)
    return _id_problem(value)


def _id_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"must be a non-empty string, got {_show(value)}"
    if "\x00" in value:
        return "must not contain NUL"
    problem = text_problem(value)
    if problem:
        return problem
    if len(value) > MAX_ID_LENGTH or len(value.encode("utf-8")) > MAX_ID_BYTES:
        return f"must be at most {MAX_ID_LENGTH} characters and {MAX_ID_BYTES} UTF-8 bytes, got {len(value)} characters"
    return None


def date_problem(value: datetime) -> str | None:
    """Why ``value`` is not a storable date (None: it is); naive datetimes are UTC."""
    try:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        return "is outside the supported range"
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        return f"must be within years {MIN_YEAR}..{MAX_YEAR} (UTC), got {utc.isoformat()}"
    return None


def check_value(value: Any, field: str, fail: Fail, status: str) -> None:
    """Refuse anything in ``value`` (a JSON value or a record) outside the storable domain."""
    checker = _CHECKERS.get(type(value))  # a record met before (a message): straight to its fields
    if not (_plainly_storable(value, 0) if checker is None else checker(value)):
        _walk(value, field, 0, fail, status)


def _plainly_storable(value: Any, depth: int) -> bool:
    """True when ``value`` is plain JSON (exact dict/list/str/int/float/bool/None) or a record, inside the domain.

    The fast path of every save: no path strings, exact type tests, ASCII strings judged by a flag. False means
    "not sure" (a problem, a subclass, a tuple, an odd record field): :func:`_walk` then decides and names the
    field, so the two must agree on everything this accepts.
    """
    kind = type(value)
    # containers first: leaves are mostly judged inline by the loops below, so a call is mostly for a container
    if kind is dict:
        if depth >= MAX_DEPTH:
            return False
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or text_problem(key) is None):
                return False
            # the common leaves inline: a call per leaf is most of this function's cost
            leaf = type(item)
            if leaf is str and item.isascii() or item is None or leaf is bool:
                continue
            if leaf is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            if not _plainly_storable(item, depth + 1):
                return False
        return True
    if kind is list:
        if depth >= MAX_DEPTH:
            return False
        for item in value:
            leaf = type(item)
            if leaf is str and item.isascii() or item is None or leaf is bool:
                continue
            if leaf is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            if not _plainly_storable(item, depth + 1):
                return False
        return True
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
    checker = _CHECKERS.get(kind) or _checker(kind)
    return checker is not None and checker(value)


#: Each record class met so far and its compiled check (:func:`_compile_checker`).
_CHECKERS: dict[type, Callable[[Any], bool]] = {}


def _checker(kind: type) -> Callable[[Any], bool] | None:
    """The check of record class ``kind`` (None: not a record; left to :func:`_walk`), compiled on first use.

    Only attrs classes are remembered (a value of any other class is refused by the walk, which names it).
    """
    if not attrs.has(kind) or issubclass(kind, str | int | float | enum.Enum | datetime):
        return None
    fields = tuple((name, None if allowed is None else frozenset(allowed)) for name, allowed in _field_types(kind))
    checker = _compile_checker(fields)
    _CHECKERS[kind] = checker
    return checker


#: A field's test when its exact types allow nothing but text (and None): the str branch of the general test.
_TEXT_TEST = "    if k is str and not v.isascii() and text_problem(v) is not None: return False"
#: The general test of a field of any other declaration (see :func:`_compile_checker`).
_FIELD_TEST = """\
    if k is str:
        if not v.isascii() and text_problem(v) is not None: return False
    elif v is None: pass
    elif k is dict or k is list:
        if v and not _plainly_storable(v, 0): return False
    elif (ck := _CHECKERS.get(k)) is not None:
        if not ck(v): return False
    elif k is int:
        if not _MIN_INT64 <= v <= _MAX_INT64: return False
    elif k is datetime:
        if v.tzinfo is not UTC or not MIN_YEAR <= v.year <= MAX_YEAR: return False
    elif k is not bool and not _plainly_storable(v, 0): return False"""


def _compile_checker(fields: tuple[tuple[str, frozenset[type] | None], ...]) -> Callable[[Any], bool]:
    """One function testing every field of a record: True when each passes what :func:`_walk_record` checks,
    judged without a path string (False: "not sure", the walk then decides and names the field).

    The fast path of every save (a message is three nested records of ~20 fields), written out per class: a
    field's exact type must be one its annotation allows (a subclass, an enum: "not sure"); text is judged by a
    flag; a nested record by its own check; each field's JSON is counted from depth 0, as the walk does. Generated
    rather than looped over the fields: the loop's per-field tuple unpacking, set lookups and branch chain were
    most of a message's 3 us check. Only attribute names (identifiers) and fixed fragments go into the source.
    """
    env: dict[str, Any] = {"_CHECKERS": _CHECKERS, "_plainly_storable": _plainly_storable, "text_problem": text_problem,
                           "UTC": UTC, "datetime": datetime, "MIN_YEAR": MIN_YEAR, "MAX_YEAR": MAX_YEAR,
                           "_MIN_INT64": _MIN_INT64, "_MAX_INT64": _MAX_INT64}
    lines = ["def check(record):"]
    for i, (name, exact) in enumerate(fields):
        if not name.isidentifier():  # pragma: no cover - attrs field names are identifiers
            raise ValueError(name)
        lines += [f"    v = record.{name}", "    k = type(v)"]
        if exact is not None:
            env[f"exact{i}"] = exact
            lines.append(f"    if k not in exact{i}: return False")
        if exact is not None and exact <= {str, _NONE}:
            lines.append(_TEXT_TEST)
        elif exact is not None and exact <= {list, dict, _NONE}:
            lines.append("    if v and not _plainly_storable(v, 0): return False")
        else:
            lines.append(_FIELD_TEST)
    lines.append("    return True")
    check: Callable[[Any], bool] = define("check", lines, env, what="value check")
    return check


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


def check_field(cls: type, name: str, value: Any, fail: Fail, status: str) -> None:
    """Refuse ``value`` as field ``name`` of record class ``cls`` unless it has the declared type and is storable."""
    allowed = dict(_field_types(cls)).get(name)
    _check_field(allowed, value, name, fail, status)


def _walk_record(record: Any, path: str, fail: Fail, status: str) -> None:
    cls: Any = type(record)
    for name, allowed in _field_types(cls):
        value = getattr(record, name)
        # ASCII text and None where the field allows them pass _check_field: no path string built for them
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
        return  # a declared enum member: its type was just checked
    if isinstance(value, int) and not isinstance(value, bool):  # a declared integer column (nanosecond times...)
        if not -(2**63) <= value < 2**63:
            raise fail(status, f"{where} must be a signed 64-bit integer", where)
        return
    if isinstance(value, datetime):  # dates are record fields; inside JSON they would read back as strings
        if value.tzinfo is UTC and MIN_YEAR <= value.year <= MAX_YEAR:
            return  # (what date_problem accepts, without converting the usual UTC time)
        problem = date_problem(value)
        if problem:
            raise fail(status, f"{where} {problem}", where)
        return
    if not _plainly_storable(value, 0):  # records nest a few fixed levels: the JSON under each field is counted
        _walk(value, where, 0, fail, status)


@functools.cache
def _field_types(cls: Any) -> tuple[tuple[str, tuple[type, ...] | None], ...]:
    """Each field of an attrs class with the classes its declared type allows (None: anything JSON)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation that does not resolve: check values, not types
        hints = {}
    return tuple((f.name, _allowed(hints[f.name]) if f.name in hints else None) for f in attrs.fields(cls))


def _allowed(tp: Any) -> tuple[type, ...] | None:
    if tp is Any or isinstance(tp, typing.TypeVar):
        return None
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        out: list[type] = []
        for arg in typing.get_args(tp):
            kinds = _allowed(arg)
            if kinds is None:
                return None
            out.extend(kinds)
        return tuple(out)
    if origin is typing.Literal:
        return tuple({type(v) for v in typing.get_args(tp)})
    if origin is not None:
        return (origin,) if isinstance(origin, type) else None
    if tp is float:
        return (int, float)
    if tp is type(None) or tp is None:
        return (type(None),)
    return (tp,) if isinstance(tp, type) else None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
