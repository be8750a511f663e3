"""The metadata filter language of every vector store, as one pure module.

A filter is a mapping. Keys are metadata field names (top-level keys of the stored metadata, taken
literally: ``"a.b"`` is one key) or the combinators ``$and`` / ``$or`` (a non-empty list of filters).
Several keys in one mapping are ANDed. A field maps to a scalar (equality) or to a mapping of
operators, ANDed::

    {"thread_id": "t1"}                                    equality
    {"n": {"$gte": 2, "$lt": 5}}                           range
    {"$or": [{"role": "user"}, {"tag": {"$exists": False}}]}

Operators and their meaning (JSON semantics: ``True`` is not ``1``; numbers compare with numbers,
strings with strings, by code point; a type mismatch never matches):

``$eq v``   the field holds ``v``; ``None`` matches a JSON null or a missing field
``$ne v``   not ``$eq v`` (so a missing field matches)
``$gt $gte $lt $lte v``  the field is a number (``v`` a number) or a string (``v`` a string) in range;
            a missing field or another type never matches
``$in [v]`` ``$eq`` one of the listed scalars (an empty list matches nothing)
``$nin [v]`` not ``$in``
``$exists b`` the key is present (even holding null) when ``b`` is true, absent when false

Operands are scalars: ``str``, ``int`` (64-bit), finite ``float``, ``bool`` or ``None``. Equality
against arrays or objects is not part of the language (an array or object field never equals a
scalar). Anything else raises :class:`FilterError` (a ``ValueError``) when parsed.

Stores translate the parsed tree (:class:`Cond`, :class:`And`, :class:`Or`) into their query
language; :func:`matches` is the executable definition the conformance suite checks them against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

Op = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "exists"]
OPERATORS: tuple[Op, ...] = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "exists")
_INT64 = 2**63


class FilterError(ValueError):
    """A filter that is not in the language."""


@attrs.define(frozen=True)
class Cond:
    """``field op value`` (``value`` is a tuple for ``in``/``nin``, a bool for ``exists``)."""

    field: str
    op: Op
    value: Any


@attrs.define(frozen=True)
class And:
    """All of ``items``."""

    items: tuple[Node, ...]


@attrs.define(frozen=True)
class Or:
    """Any of ``items``."""

    items: tuple[Node, ...]


Node = Cond | And | Or


def parse_filter(filter: Mapping[str, Any] | None) -> Node | None:
    """Validate and parse a filter; ``None`` (or ``{}``) means everything matches."""
    if filter is None:
        return None
    if not isinstance(filter, Mapping):
        raise FilterError(f"a filter must be a mapping, got {type(filter).__name__}")
    if not filter:
        return None
    return _parse(filter)


def _parse(filter: Any) -> Node:
    if not isinstance(filter, Mapping) or not filter:
        raise FilterError(f"each filter must be a non-empty mapping, got {filter!r}")
    items: list[Node] = []
    for key, value in filter.items():
        if not isinstance(key, str):
            raise FilterError(f"filter keys must be strings, got {key!r}")
        if key in ("$and", "$or"):
            if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
                raise FilterError(f"{key} takes a non-empty list of filters")
            subs = tuple(_parse(v) for v in value)
            items.append(And(subs) if key == "$and" else Or(subs))
        elif key.startswith("$"):
            raise FilterError(f"unknown filter operator {key!r} (allowed at this level: $and, $or, or a field name)")
        else:
            items.extend(_field(key, value))
    return items[0] if len(items) == 1 else And(tuple(items))


def _field(name: str, value: Any) -> list[Node]:
    if not name or any(ch in name for ch in '"\\') or any(ord(ch) < 32 for ch in name):
        raise FilterError(f"invalid metadata field name {name!r}")
    if not isinstance(value, Mapping):
        return [Cond(name, "eq", _scalar(name, "$eq", value))]
    if not value:
        raise FilterError(f"field {name!r}: empty operator mapping")
    conds: list[Node] = []
    for raw_op, operand in value.items():
        if not isinstance(raw_op, str) or not raw_op.startswith("$") or raw_op[1:] not in OPERATORS:
            raise FilterError(
                f"field {name!r}: unknown operator {raw_op!r} (allowed: {', '.join('$' + o for o in OPERATORS)}); "
                "equality against objects is not supported"
            )
        op: Op = raw_op[1:]  # type: ignore[assignment]
        if op in ("in", "nin"):
            if isinstance(operand, str | bytes | Mapping) or not isinstance(operand, Sequence):
                raise FilterError(f"field {name!r}: {raw_op} takes a list of scalars")
            conds.append(Cond(name, op, tuple(_scalar(name, raw_op, v) for v in operand)))
        elif op == "exists":
            if not isinstance(operand, bool):
                raise FilterError(f"field {name!r}: $exists takes true or false")
            conds.append(Cond(name, op, operand))
        elif op in ("gt", "gte", "lt", "lte"):
            v = _scalar(name, raw_op, operand)
            if v is None or isinstance(v, bool):
                raise FilterError(f"field {name!r}: {raw_op} takes a number or a string")
            conds.append(Cond(name, op, v))
        else:
            conds.append(Cond(name, op, _scalar(name, raw_op, operand)))
    return conds


def _scalar(name: str, op: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise FilterError(f"field {name!r}: {op} integer out of 64-bit range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FilterError(f"field {name!r}: {op} needs a finite number")
        return value
    raise FilterError(f"field {name!r}: {op} takes a scalar (str, number, bool, null), got {type(value).__name__}")


_MISSING: Any = object()


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "other"


def scalar_equal(stored: Any, operand: Any) -> bool:
    """JSON equality of a stored value and a scalar operand (``True != 1``)."""
    return _kind(stored) == _kind(operand) and _kind(operand) != "other" and bool(stored == operand)


def _eq(stored: Any, operand: Any) -> bool:
    if operand is None:
        return stored is _MISSING or stored is None
    return stored is not _MISSING and scalar_equal(stored, operand)


def _cond(metadata: Mapping[str, Any], c: Cond) -> bool:
    stored = metadata.get(c.field, _MISSING) if isinstance(metadata, Mapping) else _MISSING
    if c.op == "exists":
        return (stored is not _MISSING) is bool(c.value)
    if c.op == "eq":
        return _eq(stored, c.value)
    if c.op == "ne":
        return not _eq(stored, c.value)
    if c.op == "in":
        return any(_eq(stored, v) for v in c.value)
    if c.op == "nin":
        return not any(_eq(stored, v) for v in c.value)
    kind = _kind(c.value)
    if stored is _MISSING or _kind(stored) != kind:
        return False
    if c.op == "gt":
        return bool(stored > c.value)
    if c.op == "gte":
        return bool(stored >= c.value)
    if c.op == "lt":
        return bool(stored < c.value)
    return bool(stored <= c.value)


def matches(metadata: Mapping[str, Any] | None, node: Node | None) -> bool:
    """Whether ``metadata`` satisfies the parsed filter (``None`` matches everything)."""
    if node is None:
        return True
    meta: Mapping[str, Any] = metadata or {}
    if isinstance(node, Cond):
        return _cond(meta, node)
    if isinstance(node, And):
        return all(matches(meta, n) for n in node.items)
    return any(matches(meta, n) for n in node.items)


def matches_filter(metadata: Mapping[str, Any] | None, filter: Mapping[str, Any] | None) -> bool:
    """Parse ``filter`` and test ``metadata`` against it."""
    return matches(metadata, parse_filter(filter))
