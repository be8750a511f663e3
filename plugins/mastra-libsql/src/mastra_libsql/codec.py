"""Records to rows and back: ISO-8601 text timestamps, JSON text for structured columns, 0/1 booleans.

JSON columns are read through ``json()`` when the value is a blob, so rows the reference wrote as
binary JSONB read back the same as our JSON text.
"""


from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
from mastra_core.clock import iso, parse_datetime
from mastra_core.serde import json_dumps

from .db import quote, text
from .schema import EXPIRES, Table


def select_expr(column: str, json_column: bool, alias: str = "") -> str:
    ref = f"{alias}.{quote(column)}" if alias else quote(column)
    return f"CASE WHEN typeof({ref}) = 'blob' THEN json({ref}) ELSE {ref} END" if json_column else ref


def load_json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = text(value)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value  # not JSON (an older writer stored plain text): keep it
    return value


def dump_json(value: Any) -> str | None:
    return None if value is None else safe_json(json_dumps(value), value)


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
    return None if value is None else iso(value)


def parse_ts(value: Any) -> datetime | None:
    return None if value is None or value == "" else parse_datetime(value)


class Codec:
    """Maps one record class onto one table: attribute -> column, with per-kind conversions."""

    def __init__(self, table: Table, cls: type[Any], columns: Mapping[str, str] | None = None,
                 dates: Sequence[str] = (), bools: Sequence[str] = ()) -> None:
        self.table = table
        self.cls = cls
        names = [f.name for f in attrs.fields(cls) if f.name != "extra"]
        if columns is None:
            from mastra_core.serde import wire_names

            columns = {n: wire_names(cls)[n] for n in names}
        self.columns = dict(columns)  # attr -> column, in write order
        self.dates = frozenset(dates)
        self.bools = frozenset(bools)
        self.json = frozenset(a for a, c in self.columns.items() if c in table.json_columns)
        self.column_list = ", ".join(quote(c) for c in self.columns.values())
        self.insert_columns = self.column_list + f", {quote(EXPIRES)}" if EXPIRES in table.names else self.column_list
        self.width = len(self.columns) + (1 if EXPIRES in table.names else 0)
        self.placeholders = "(" + ", ".join("?" for _ in range(self.width)) + ")"

    def select_list(self, alias: str = "") -> str:
        return ", ".join(select_expr(c, c in self.table.json_columns, alias) for c in self.columns.values())

    def encode_value(self, attr: str, value: Any) -> Any:
        if value is None:
            return None
        if attr in self.dates:
            return iso(value)
        if attr in self.json:
            return dump_json(value)
        if attr in self.bools:
            return 1 if value else 0
        return value

    def encode(self, record: Any, expires: datetime | None = None) -> list[Any]:
        values = [self.encode_value(a, getattr(record, a)) for a in self.columns]
        if EXPIRES in self.table.names:
            values.append(ts(expires))
        return values

    def decode(self, row: Sequence[Any]) -> Any:
        kwargs: dict[str, Any] = {}
        for (attr, _), value in zip(self.columns.items(), row, strict=False):
            if value is None:
                kwargs[attr] = None
            elif attr in self.dates:
                kwargs[attr] = parse_ts(value)
            elif attr in self.json:
                kwargs[attr] = load_json(value)
            elif attr in self.bools:
                kwargs[attr] = bool(value)
            else:
                kwargs[attr] = text(value)
        fields = attrs.fields_dict(self.cls)
        for name, value in list(kwargs.items()):
            if value is None and fields[name].default is attrs.NOTHING:
                kwargs.pop(name)  # a NOT NULL field left empty by another writer: let the record complain clearly
        return self.cls(**{k: v for k, v in kwargs.items() if not (v is None and _has_factory(fields[k]))})


def _has_factory(field: Any) -> bool:
    return isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]
