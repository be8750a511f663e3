"""Each record's ``expiresAt``, read and set exactly (``Storage.read_expiry`` / ``write_expiry``, for copies).

Reads go by chunks of keys (one statement each, row values for compound keys); writes are one UPDATE per record
inside one transaction. Keys are stored escaped like every text column (:func:`~mastra_mysql.codec.write_text`).
"""
# ruff: noqa: S608  -- SQL text holds only constant, quoted identifiers; values are bound parameters

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from mastra_core.backend.expiry import KINDS, Expiries, Key
from mastra_core.backend.reference_schema import EXPIRES_AT

from .codec import naive_utc, read_text, write_text
from .connection import MySQLConnection, Tx
from .schema import quote


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


async def read(conn: MySQLConnection, kind: str, keys: Sequence[Key]) -> Expiries:
    """The stored expiry of each existing record among ``keys``."""
    spec = KINDS[kind]
    n = len(spec.columns)
    cols = ", ".join(quote(c) for c in spec.columns)
    lhs = cols if n == 1 else f"({cols})"
    one = "%s" if n == 1 else f"({', '.join('%s' for _ in spec.columns)})"
    out: Expiries = {}
    items = list(keys)
    for i in range(0, len(items), 500):
        part = items[i:i + 500]
        marks = ", ".join(one for _ in part)
        rows = await conn.fetch(f"SELECT {cols}, {quote(EXPIRES_AT)} FROM {quote(spec.table)} WHERE {lhs} IN ({marks})",
                                [write_text(v) for k in part for v in k])
        out.update({tuple(str(read_text(row[c])) for c in spec.columns): _aware(row[EXPIRES_AT]) for row in rows})
    return out


async def write(conn: MySQLConnection, kind: str, expiries: Mapping[Key, datetime | None]) -> None:
    """Set each record's expiry (None clears it), in one transaction; records that do not exist are left alone."""
    spec = KINDS[kind]
    where = " AND ".join(f"{quote(c)} = %s" for c in spec.columns)
    stmt = f"UPDATE {quote(spec.table)} SET {quote(EXPIRES_AT)} = %s WHERE {where}"

    async def go(tx: Tx) -> None:
        for key, at in expiries.items():
            await tx.execute(stmt, [None if at is None else naive_utc(at), *(write_text(v) for v in key)])

    if expiries:
        await conn.tx(go)
