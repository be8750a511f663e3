"""Records to rows and back: ISO-8601 text timestamps, JSON text for structured columns, 0/1 booleans.

Each table's codec is a :class:`mastra_core.backend.RowCodec` (built on ``make_converter()``) plus what
libSQL needs around it: positional parameter lists in one column order, ``SELECT`` lists that read
binary JSONB (written by the reference) through ``json()``, and text the driver hands back as bytes.
Messages keep their own two functions: their content is the message-content wire form.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from mastra_core import records as r
from mastra_core.backend import RowCodec, Table, decode_json
from mastra_core.backend.fastjson import compact_dumps
from mastra_core.clock import from_iso_z, parse_datetime
from mastra_core.serde import content_from_json, content_wire, json_dumps, wire_names

from .connection import quote, text
from .fastrow import FastRow, Unusual
from .isotext import iso
from .schema import EXPIRES

R = TypeVar("R")


def select_expr(column: str, json_column: bool, alias: str = "") -> str:
    """A column as selected: JSON columns stored as binary JSONB are read back as JSON text."""
    ref = f"{alias}.{quote(column)}" if alias else quote(column)
    return f"CASE WHEN typeof({ref}) = 'blob' THEN json({ref}) ELSE {ref} END" if json_column else ref


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _compact_encoder() -> Callable[[Any, int], Any] | None:
    """The C encoder ``json.dumps(ensure_ascii=False, separators=(",", ":"))`` builds on every call, built once and
    without its circular-reference bookkeeping (core's validation refuses values nested deeper than 100 levels, so
    no cycle gets here; one would raise RecursionError). None where the C accelerator is missing."""
    import json.encoder

    make: Any = getattr(json.encoder, "c_make_encoder", None)
    sample = {"a": [1, 2.5, None, True, "\u00e9\n"]}
    try:
        encoder: Callable[[Any, int], Any] = make(None, _not_json, json.encoder.encode_basestring, None, ":", ",",
                                                  False, False, True)
        if "".join(encoder(sample, 0)) != json_dumps(sample):
            return None
    except Exception:  # another Python's json module (or none in C): the plain call
        return None
    return encoder


_COMPACT = _compact_encoder()


def compact_json(value: Any) -> str:
    """``json_dumps(value)``: compact JSON text, non-ASCII kept; by orjson where it writes the same text (core's
    :func:`~mastra_core.backend.fastjson.compact_dumps`), else by the once-built C encoder (a short value 3x cheaper
    than ``json.dumps``)."""
    fast = compact_dumps(value)
    if fast is not None:
        return fast
    if _COMPACT is None:
        return json_dumps(value)
    return "".join(_COMPACT(value, 0))


def dump_json(value: Any) -> str | None:
    """JSON text of a value (None stays NULL), bindable as TEXT."""
    return None if value is None else safe_json(compact_json(value), value)


def safe_json(dumped: str, value: Any = None) -> str:
    """JSON text the driver can bind as TEXT: lone surrogates are written as ``\\uXXXX`` escapes."""
    if dumped.isascii():
        return dumped
    try:
        dumped.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(json.loads(dumped) if value is None else value, ensure_ascii=True, separators=(",", ":"))
    return dumped


def ts(value: datetime | None) -> str | None:
    """A timestamp column's text (None stays NULL)."""
    return None if value is None else iso(value)


def parse_ts(value: Any) -> datetime | None:
    """A timestamp column's value; NULL and empty text are None."""
    return None if value is None or value == "" else parse_datetime(value)


class Codec(Generic[R]):
    """One record class on one table: positional rows in a fixed column order, through a :class:`RowCodec`.

    ``renames`` maps a wire key to its column where they differ (``workflowName`` -> ``workflow_name``).
    """

    def __init__(self, table: Table, record: type[R], renames: Mapping[str, str] | None = None) -> None:
        self.table = table
        self.rows: RowCodec[R] = RowCodec(table=table, record=record, renames=dict(renames or {}), write_json=dump_json,
                                          write_time=iso)
        names = set(table.names)
        #: attribute -> column, in select and insert order (columns the record has no attribute for are left out)
        self.columns: dict[str, str] = {}
        record_class: Any = record  # wire_names caches per class (a hashable type, which type[R] does not promise)
        for attr, wire in wire_names(record_class).items():
            column = self.rows.renames.get(wire, wire)
            if column in names:
                self.columns[attr] = column
        self._kinds = {attr: table.column(column).kind for attr, column in self.columns.items()}
        self._times = frozenset(c for c in self.columns.values() if table.column(c).kind == "timestamp")
        self._order = list(self.columns.values())
        self.has_expiry = EXPIRES in names
        self._insert_order = [*self._order, EXPIRES] if self.has_expiry else self._order
        #: the INSERT column list, with "expiresAt" last where the table has it
        self.insert_columns = ", ".join(quote(c) for c in self._insert_order)
        self.width = len(self._insert_order)
        #: one row's ``(?, ?, ...)``
        self.placeholders = "(" + ", ".join("?" for _ in range(self.width)) + ")"
        self._select_lists: dict[str, str] = {}
        #: the direct path for plain records (see :mod:`.fastrow`); the RowCodec whenever it refuses
        self.fast = FastRow(record, {attr: table.column(c).kind for attr, c in self.columns.items()}, dump_json)

    def select_list(self, alias: str = "") -> str:
        """The columns of :meth:`decode`'s row, in order (built once per alias: it is on every read's path)."""
        out = self._select_lists.get(alias)
        if out is None:
            json_columns = self.table.json_columns
            out = ", ".join(select_expr(c, c in json_columns, alias) for c in self._order)
            self._select_lists[alias] = out
        return out

    def encode_value(self, attr: str, value: Any) -> Any:
        """One attribute's value as stored in its column."""
        if value is None:
            return None
        kind = self._kinds[attr]
        if kind == "timestamp":
            return iso(value)
        if kind == "json":
            return dump_json(value)
        if kind == "boolean":
            return 1 if value else 0
        return value

    def encode(self, record: R, expires: datetime | None = None) -> list[Any]:
        """The record's parameters in :attr:`insert_columns` order (the expiry last where the table has one)."""
        try:
            values = self.fast.encode(record)
        except Unusual:
            pass
        else:
            if self.has_expiry:
                values.append(ts(expires))
            return values
        row = self.rows.to_row(record, **({EXPIRES: ts(expires)} if self.has_expiry else {}))
        return [row[c] for c in self._insert_order]

    def decode(self, row: Sequence[Any]) -> R:
        """The record from a row selected with :meth:`select_list`."""
        try:
            return cast(R, self.fast.decode(row))
        except Unusual:
            pass
        values: dict[str, Any] = {}
        for column, value in zip(self._order, row, strict=False):
            value = text(value)
            values[column] = None if value == "" and column in self._times else value
        return self.rows.from_row(values)


#: message columns as selected: id, thread_id, content, role, type, createdAt, resourceId, rowid (the tiebreak)
MESSAGE_COLUMNS = 'id, thread_id, content, role, type, "createdAt", "resourceId", rowid'
MESSAGE_WIDTH = 8


def message_from_row(row: Sequence[Any]) -> r.Message:
    """A message from a row selected with :data:`MESSAGE_COLUMNS` (text already or not yet decoded)."""
    mid, thread_id, content, role, mtype, created_text, resource_id = row[:7]
    if bytes in (type(mid), type(thread_id), type(content), type(mtype), type(resource_id)):  # (rare: see text)
        mid, thread_id, content, mtype, resource_id = text(mid), text(thread_id), text(content), text(mtype), \
            text(resource_id)
    created = from_iso_z(created_text) or parse_ts(created_text)  # (parse_ts's own first step, two calls fewer)
    assert created is not None, "mastra_messages.createdAt is NOT NULL"
    return r.Message(id=mid, thread_id=thread_id, content=content_from_json(content), role=role,
                     type=None if mtype is None or mtype == "v2" else mtype, created_at=created,
                     resource_id=resource_id)


def message_params(m: r.Message, expires: str | None) -> list[Any]:
    """A message's values for ``(id, thread_id, content, role, type, "createdAt", "resourceId", "expiresAt")``."""
    # content_to_json's text (json_dumps of the wire form), by the once-built encoder
    content = safe_json(compact_json(content_wire(m.content)))
    return [m.id, m.thread_id, content, m.role, m.type or "v2", iso(m.created_at), m.resource_id, expires]


__all__ = ["MESSAGE_COLUMNS", "MESSAGE_WIDTH", "Codec", "decode_json", "dump_json", "message_from_row",
           "message_params", "parse_ts", "safe_json", "select_expr", "ts"]
