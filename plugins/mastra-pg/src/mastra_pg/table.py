"""Column maps between records and the reference's columns, with the timestamptz twins."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from mastra_core.clock import to_ms
from psycopg import sql
from psycopg.types.json import Jsonb

from . import jsonsafe

#: column kinds: v plain value, s free text (NUL-safe), j nullable jsonb, ja jsonb (None stored as JSON null),
#: jt JSON text in a text column, ts/tsn timestamp (+ timestamptz twin ``<col>Z``), not null / nullable
Col = tuple[str, str, str]


def naive(value: datetime | None) -> datetime | None:
    """UTC wall-clock time for a ``timestamp`` column."""
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def aware(value: datetime | None) -> datetime | None:
    return None if value is None else to_ms(value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC))


def jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


def ident(name: str) -> str:
    return sql.Identifier(name).as_string(None)


class Table:
    """One table's columns in record order, with SQL fragments rendered once."""

    def __init__(self, schema: str, name: str, cols: Sequence[Col]) -> None:
        self.qname = sql.Identifier(schema, name).as_string(None)
        self.cols = list(cols)
        select: list[str] = []
        insert: list[str] = []
        for _, col, kind in self.cols:
            c = ident(col)
            if kind in ("ts", "tsn"):
                select.append(f"COALESCE({ident(col + 'Z')}, {c} AT TIME ZONE 'UTC')")
                insert += [c, ident(col + "Z")]
            else:
                select.append(c)
                insert.append(c)
        self.select = ", ".join(select)
        self.insert_cols = insert

    def select_as(self, alias: str) -> str:
        out = []
        for _, col, kind in self.cols:
            c = f"{alias}.{ident(col)}"
            out.append(f"COALESCE({alias}.{ident(col + 'Z')}, {c} AT TIME ZONE 'UTC')" if kind in ("ts", "tsn") else c)
        return ", ".join(out)

    def values(self, record: Any) -> list[Any]:
        out: list[Any] = []
        for attr, _, kind in self.cols:
            v = getattr(record, attr)
            if kind in ("ts", "tsn"):
                out += [naive(v), v]
            elif kind == "j":
                out.append(jsonb(v))
            elif kind == "ja":
                out.append(Jsonb(v))
            elif kind == "jt":
                out.append(None if v is None else jsonsafe.text_json(v))
            elif kind == "s":
                out.append(None if v is None else jsonsafe.esc_str(v))
            else:
                out.append(v)
        return out

    def decode(self, row: Sequence[Any], offset: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, (attr, _, kind) in enumerate(self.cols):
            v = row[offset + i]
            if kind in ("ts", "tsn"):
                v = aware(v)
            elif kind == "jt" and isinstance(v, str):
                try:
                    v = json.loads(v)
                except ValueError:
                    pass
            elif kind == "s" and isinstance(v, str):
                v = jsonsafe.unesc_str(v)
            out[attr] = v
        return out

    def placeholders(self) -> str:
        return ", ".join(["%s"] * len(self.insert_cols))

    def assignments(self, exclude: Sequence[str] = ()) -> str:
        """``"col" = EXCLUDED."col"`` for every insert column not in ``exclude`` (column names)."""
        skip = set(exclude)
        return ", ".join(f"{c} = EXCLUDED.{c}" for c in self.insert_cols if c.strip('"') not in skip)
