"""Each record's ``"expiresAt"``, read and set exactly (``Storage.read_expiry`` / ``write_expiry``, for copies).

Reads go by chunks of keys (SQLite bounds the parameters of a statement, row values match compound keys); writes
are one UPDATE per record inside one write transaction.
"""
# ruff: noqa: S608  -- SQL text holds only constant, quoted identifiers; values are bound parameters

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from mastra_core.backend.expiry import KINDS, Expiries, Key
from mastra_core.backend.reference_schema import EXPIRES_AT

from .codec import parse_ts, ts
from .connection import LibSQLConnection, chunks, quote


async def read(conn: LibSQLConnection, kind: str, keys: Sequence[Key]) -> Expiries:
    """The stored expiry of each existing record among ``keys``."""
    spec = KINDS[kind]
    n = len(spec.columns)
    cols = ", ".join(quote(c) for c in spec.columns)
    lhs = cols if n == 1 else f"({cols})"
    one = "?" if n == 1 else f"({', '.join('?' for _ in spec.columns)})"

    def go(db: LibSQLConnection) -> Expiries:
        out: Expiries = {}
        for part in chunks(list(keys), 500):
            marks = ", ".join(one for _ in part)
            rows = db.all(f"SELECT {cols}, {quote(EXPIRES_AT)} FROM {quote(spec.table)} WHERE {lhs} IN "
                          f"({'VALUES ' + marks if n > 1 else marks})", [v for k in part for v in k])
            out.update({tuple(str(v) for v in row[:n]): parse_ts(row[n]) for row in rows})
        return out

    return await conn.read(go)


async def write(conn: LibSQLConnection, kind: str, expiries: Mapping[Key, datetime | None]) -> None:
    """Set each record's expiry (None clears it); records that do not exist are left alone."""
    spec = KINDS[kind]
    where = " AND ".join(f"{quote(c)} = ?" for c in spec.columns)
    stmt = f"UPDATE {quote(spec.table)} SET {quote(EXPIRES_AT)} = ? WHERE {where}"

    def go(db: LibSQLConnection) -> None:
        for key, at in expiries.items():
            db.execute(stmt, [ts(at), *key])

    if expiries:
        await conn.write(go)
