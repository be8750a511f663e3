"""A direct path between plain records and positional rows, beside core's :class:`~mastra_core.backend.RowCodec`.

Why: the RowCodec goes through a wire dict and cattrs both ways (unstructure, per-column writers, a wire dict,
structure hooks). For a thread that is ~90k instructions to encode and ~70k to decode, more than the statement
that stores it; a page of 20 threads spent most of its CPU there. This module reads and writes the attributes
directly, for the field types whose conversion it can reproduce exactly: text (``str``, ``str | None``), JSON
(``dict[str, Any]``, ``dict[str, Any] | None``, ``Any``) and timestamps (``datetime``). Anything it does not
recognise -- a value of another type, JSON that is not an object where one is declared, a timestamp not in the
stored ``...T..:..:..sssZ`` form, a missing value for a field without a default -- raises :class:`Unusual`,
and the caller takes the RowCodec path, so every result equals what the RowCodec gives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs
from mastra_core.backend import fastjson
from mastra_core.clock import from_iso_z

from .connection import text
from .isotext import iso

#: Field types this module converts (None: the record has a field it does not, the RowCodec handles it).
_KINDS: dict[Any, str] = {
    str: "str", str | None: "str",
    datetime: "time",
    dict[str, Any]: "object", dict[str, Any] | None: "object", Any: "any",
}
#: Python values a text field or a JSON document holds as is.
_PLAIN = frozenset({str, int, float, bool})


class Unusual(Exception):
    """A value this module does not convert; the RowCodec will."""


def stored_time(value: Any) -> datetime:
    """A timestamp column's value in the form this package writes (``iso()``), as ``parse_datetime`` reads it."""
    parsed = from_iso_z(value)
    if parsed is None:  # another form, or not a date after all: parse_datetime reads it or raises its own error
        raise Unusual
    return parsed


class FastRow:
    """Encodes and decodes one record class's columns (``columns``: attribute -> column kind), or refuses.

    ``write_json`` is the codec's JSON writer (the RowCodec's ``write_json``).
    """

    def __init__(self, record: type[Any], columns: dict[str, str], write_json: Callable[[Any], Any]) -> None:
        self.record = record
        self._write_json = write_json
        hints = attrs.resolve_types(record)
        fields = attrs.fields_dict(hints)
        #: (attribute, how to convert it, whether the record has a default for it) in column order; None when a
        #: field's type or column kind is outside what this module converts exactly.
        self.plan: list[tuple[str, str, bool]] | None = []
        for attr, column_kind in columns.items():
            kind = _KINDS.get(fields[attr].type)
            expected = {"str": "text", "time": "timestamp", "object": "json", "any": "json"}.get(kind or "")
            if expected != column_kind:
                self.plan = None
                break
            self.plan.append((attr, kind or "", fields[attr].default is not attrs.NOTHING))

    def encode(self, record: Any) -> list[Any]:
        """The record's column values in order (what the RowCodec's ``to_row`` stores)."""
        plan = self.plan
        if plan is None:
            raise Unusual
        out: list[Any] = []
        for attr, kind, _ in plan:
            value = getattr(record, attr)
            cls = type(value)
            if value is None:
                out.append(None)
            elif kind == "str" and cls is str:
                out.append(value)
            elif kind == "time" and cls is datetime:
                out.append(iso(value))
            elif kind in ("object", "any") and cls in (dict, list) or kind == "any" and cls in _PLAIN:
                try:
                    out.append(self._write_json(value))
                except (TypeError, ValueError) as exc:  # a record or a mapping inside: the converter unstructures it
                    raise Unusual from exc
            else:
                raise Unusual
        return out

    def decode(self, row: Sequence[Any]) -> Any:
        """The record from column values in order (what the RowCodec's ``from_row`` builds)."""
        plan = self.plan
        if plan is None:
            raise Unusual
        kwargs: dict[str, Any] = {}
        for (attr, kind, has_default), value in zip(plan, row, strict=False):
            if type(value) is bytes:
                value = text(value)
            if value is None or (value == "" and kind == "time"):
                if not has_default:
                    raise Unusual  # the RowCodec leaves it out and the record refuses it: same error there
                continue
            if kind == "str":
                if type(value) is not str:
                    raise Unusual
            elif kind == "time":
                value = from_iso_z(value)  # (stored_time's test, one call fewer)
                if value is None:
                    raise Unusual
            else:
                value = _load(value, kind)
            kwargs[attr] = value
        return self.record(**kwargs)


def _load(value: Any, kind: str) -> Any:
    if type(value) is not str:
        raise Unusual
    try:
        data = fastjson.loads(value)
    except ValueError as exc:
        raise Unusual from exc  # text that is not JSON: decode_json keeps it as text, the record decides
    if kind == "object" and type(data) is not dict:
        raise Unusual
    return data
