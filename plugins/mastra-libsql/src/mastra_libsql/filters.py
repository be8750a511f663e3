"""JSON filters in SQL with exactly the in-memory semantics (``mastra_core.domains.matching``).

Every value is walked with ``json_each``, so keys of any spelling are bound as parameters (no JSON
path quoting) and objects compare regardless of key order. ``json_equal``: deep equality where
``1 == 1.0`` but ``true != 1``. ``contains``: PostgreSQL ``@>`` (objects recursively, arrays as
sub-multisets, scalars equal).
"""
# ruff: noqa: S608  -- SQL text is built only from constant, validated and quoted identifiers; values are always bound parameters

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from .db import awkward

_I64 = (-(2**63), 2**63 - 1)


class Builder:
    """Accumulates SQL fragments' parameters and hands out unique aliases."""

    def __init__(self) -> None:
        self.params: list[Any] = []
        self._ids = itertools.count()

    def alias(self) -> str:
        return f"j{next(self._ids)}"

    def p(self, value: Any) -> str:
        self.params.append(value)
        return "?"


def text_equals(b: Builder, expr: str, value: str) -> str:
    """``expr = value`` for SQL text, also for text the driver binds as bytes (NUL, lone surrogates)."""
    if awkward(value):
        return f"CAST({expr} AS BLOB) = {b.p(value)}"
    return f"{expr} = {b.p(value)}"


def _scalar(b: Builder, j: str, value: Any) -> str:
    """``j`` is a json_each alias; its ``type`` and ``atom`` describe the element."""
    if value is None:
        return f"{j}.type = 'null'"
    if isinstance(value, bool):
        return f"{j}.type = '{'true' if value else 'false'}'"
    if isinstance(value, int):
        if not (_I64[0] <= value <= _I64[1]):
            return f"({j}.type IN ('integer', 'real') AND {j}.atom = {b.p(float(value))})"
        return f"({j}.type IN ('integer', 'real') AND {j}.atom = CAST({b.p(str(value))} AS INTEGER))"
    if isinstance(value, float):
        return f"({j}.type IN ('integer', 'real') AND {j}.atom = {b.p(value)})"
    if isinstance(value, str):
        return f"({j}.type = 'text' AND {text_equals(b, f'{j}.atom', value)})"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def equal(b: Builder, j: str, value: Any) -> str:
    """SQL true when the json_each element ``j`` deep-equals ``value``."""
    if isinstance(value, Mapping):
        parts = [f"{j}.type = 'object'", f"(SELECT count(*) FROM json_each({j}.value)) = {len(value)}"]
        for key, v in value.items():
            k = b.alias()
            parts.append(f"EXISTS (SELECT 1 FROM json_each({j}.value) {k} WHERE {text_equals(b, f'{k}.key', str(key))} AND {equal(b, k, v)})")
        return "(" + " AND ".join(parts) + ")"
    if isinstance(value, list | tuple):
        parts = [f"{j}.type = 'array'", f"json_array_length({j}.value) = {len(value)}"]
        for i, v in enumerate(value):
            k = b.alias()
            parts.append(f"EXISTS (SELECT 1 FROM json_each({j}.value) {k} WHERE {k}.key = {i} AND {equal(b, k, v)})")
        return "(" + " AND ".join(parts) + ")"
    return _scalar(b, j, value)


def contains(b: Builder, j: str, wanted: Any) -> str:
    """SQL true when the json_each element ``j`` contains ``wanted``."""
    if isinstance(wanted, Mapping):
        parts = [f"{j}.type = 'object'"]
        for key, v in wanted.items():
            k = b.alias()
            parts.append(f"EXISTS (SELECT 1 FROM json_each({j}.value) {k} WHERE {text_equals(b, f'{k}.key', str(key))} AND {contains(b, k, v)})")
        return "(" + " AND ".join(parts) + ")"
    if isinstance(wanted, list):
        parts = [f"{j}.type = 'array'"]
        for v in wanted:
            k = b.alias()
            parts.append(f"EXISTS (SELECT 1 FROM json_each({j}.value) {k} WHERE {contains(b, k, v)})")
        return "(" + " AND ".join(parts) + ")"
    return _scalar(b, j, wanted)


def metadata_matches(b: Builder, column: str, wanted: Mapping[str, Any] | None) -> list[str]:
    """Conditions (ANDed) for ``metadata_matches(column, wanted)``: each key present and deep-equal."""
    out = []
    for key, value in (wanted or {}).items():
        k = b.alias()
        out.append(f"EXISTS (SELECT 1 FROM json_each({column}) {k} WHERE {text_equals(b, f'{k}.key', str(key))} AND {equal(b, k, value)})")
    return out


def column_contains(b: Builder, column: str, wanted: Mapping[str, Any] | None) -> list[str]:
    """Conditions for ``contains(column or {}, wanted)`` on an object column (NULL acts as ``{}``)."""
    out = []
    for key, value in (wanted or {}).items():
        k = b.alias()
        out.append(f"EXISTS (SELECT 1 FROM json_each({column}) {k} WHERE {text_equals(b, f'{k}.key', str(key))} AND {contains(b, k, value)})")
    return out
