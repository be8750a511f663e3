"""Each record's ``"expiresAt"``, read and set exactly (``Storage.read_expiry`` / ``write_expiry``, for copies).

One statement per call: the keys travel as arrays (``unnest``), so a page of a thousand records is one round trip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mastra_core.backend.expiry import KINDS, Expiries, Key
from mastra_core.backend.reference_schema import EXPIRES_AT
from psycopg import sql

from .connection import PgConnection


def _match(columns: Sequence[str]) -> sql.Composable:
    """``t."a" = k.k0 AND t."b" = k.k1``."""
    return sql.SQL(" AND ").join(
        sql.SQL("t.{} = k.{}").format(sql.Identifier(c), sql.Identifier(f"k{i}")) for i, c in enumerate(columns)
    )


async def read(conn: PgConnection, schema: str, kind: str, keys: Sequence[Key]) -> Expiries:
    """The stored expiry of each existing record among ``keys``."""
    spec = KINDS[kind]
    if not keys:
        return {}
    n = len(spec.columns)
    query = sql.SQL("SELECT {cols}, t.{exp} FROM {table} t JOIN unnest({arrays}) AS k({names}) ON {match}").format(
        cols=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in spec.columns),
        exp=sql.Identifier(EXPIRES_AT),
        table=sql.Identifier(schema, spec.table),
        arrays=sql.SQL(", ").join(sql.SQL("%s::text[]") for _ in range(n)),
        names=sql.SQL(", ").join(sql.Identifier(f"k{i}") for i in range(n)),
        match=_match(spec.columns),
    )
    rows = await conn.fetch(query, [[k[i] for k in keys] for i in range(n)])
    return {tuple(row[:n]): row[n] for row in rows}


async def write(conn: PgConnection, schema: str, kind: str, expiries: Mapping[Key, datetime | None]) -> None:
    """Set each record's expiry (None clears it); records that do not exist are left alone."""
    spec = KINDS[kind]
    if not expiries:
        return
    n = len(spec.columns)
    keys = list(expiries)
    query = sql.SQL("UPDATE {table} t SET {exp} = k.e FROM unnest({arrays}, %s::timestamptz[]) AS k({names}, e) "
                    "WHERE {match}").format(
        table=sql.Identifier(schema, spec.table),
        exp=sql.Identifier(EXPIRES_AT),
        arrays=sql.SQL(", ").join(sql.SQL("%s::text[]") for _ in range(n)),
        names=sql.SQL(", ").join(sql.Identifier(f"k{i}") for i in range(n)),
        match=_match(spec.columns),
    )
    params: list[Any] = [[k[i] for k in keys] for i in range(n)]
    params.append([expiries[k] for k in keys])
    await conn.execute(query, params)
