"""Records to rows of a reference table and back, built on :func:`mastra_core.serde.make_converter`.

A backend makes one :class:`RowCodec` per table it stores, with its own converter (layered on the
wire-form converter), the renames where a column is not the record's wire key, and how it writes and
reads JSON and timestamp columns. JSON columns are decoded from both forms a shared database holds: a
native JSON value, or JSON text (the reference writes some JSONB values as JSON strings).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs
import cattrs

from ..clock import iso, parse_datetime, to_ms
from ..serde import json_dumps, make_converter
from .reference_schema import Column, Table

R = TypeVar("R")


def decode_json(value: Any) -> Any:
    """A JSON column's value: native values as they are, JSON text (or bytes of it) parsed.

    Text that is not JSON is kept as text (an older writer stored a plain string).
    """
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", "surrogatepass")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _same(value: Any) -> Any:
    return value


@attrs.define(kw_only=True)
class RowCodec(Generic[R]):
    """Converts one record class to rows of one table and back.

    ``renames`` maps a wire key to its column where they differ (``threadId`` -> ``thread_id``);
    wire keys without a column are dropped on write. ``write_json``/``read_json``,
    ``write_time``/``read_time`` and ``write_text``/``read_text`` say how the backend stores JSON,
    timestamp and text columns (text: e.g. escaping characters the database refuses).
    """

    table: Table
    record: type[R]
    converter: cattrs.Converter = attrs.field(factory=make_converter)
    renames: Mapping[str, str] = attrs.field(factory=dict)
    write_json: Callable[[Any], Any] = json_dumps
    read_json: Callable[[Any], Any] = decode_json
    write_time: Callable[[datetime], Any] = _same
    read_time: Callable[[Any], Any] = parse_datetime
    write_text: Callable[[Any], Any] = _same
    read_text: Callable[[Any], Any] = _same
    _columns: dict[str, Column] = attrs.field(init=False)
    _to_wire: dict[str, str] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        # Datetimes stay datetimes on the way to a row: the wire form's ISO text would be parsed back and formatted
        # again per timestamp column (four strftime/parse calls per thread, most of a small write's CPU).
        self.converter = self.converter.copy()
        self.converter.register_unstructure_hook(datetime, to_ms)
        self._columns = {c.name: c for c in self.table.columns}
        self._to_wire = {column: key for key, column in self.renames.items()}

    def to_row(self, record: R, **extra: Any) -> dict[str, Any]:
        """The record as ``{column: value}`` (only the table's columns), plus ``extra`` columns as given."""
        wire: dict[str, Any] = self.converter.unstructure(record, type(record))
        row: dict[str, Any] = {}
        for key, value in wire.items():
            name = self.renames.get(key, key)
            column = self._columns.get(name)
            if column is None:
                continue
            row[name] = self._write(column.kind, value)
        for name in self._columns:
            row.setdefault(name, None)
        row.update(extra)
        return row

    def values(self, record: R, columns: Sequence[str], **extra: Any) -> tuple[Any, ...]:
        """The record's values for ``columns``, in that order (for positional parameters)."""
        row = self.to_row(record, **extra)
        return tuple(row[c] for c in columns)

    def from_row(self, row: Mapping[str, Any]) -> R:
        """The record from a row mapping (column -> stored value); unknown columns are ignored."""
        wire: dict[str, Any] = {}
        for name, value in row.items():
            column = self._columns.get(name)
            if column is None or value is None:
                continue
            wire[self._to_wire.get(name, name)] = self._read(column.kind, value)
        return self.converter.structure(wire, self.record)

    def from_tuple(self, columns: Sequence[str], values: Sequence[Any]) -> R:
        """The record from a positional row whose columns are ``columns``."""
        return self.from_row(dict(zip(columns, values, strict=True)))

    def _write(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime) and kind != "timestamp":
            value = iso(value)  # a date in a column of another kind is stored as the wire form writes it
        if kind == "json":
            return self.write_json(value)
        if kind == "timestamp":
            return self.write_time(parse_datetime(value))
        if kind == "text":
            return self.write_text(value)
        return value

    def _read(self, kind: str, value: Any) -> Any:
        if kind == "json":
            return self.read_json(value)
        if kind == "timestamp":
            return self.read_time(value)
        if kind == "text":
            return self.read_text(value)
        return value
