"""Shallow JSON merges in SQL, so a read-modify-write is one statement (MariaDB's JSON functions on JSON text).

MariaDB's ``JSON_SET`` keeps every untouched value's text (numbers are never re-printed) and inserts a value as
JSON when it comes from a JSON function (``JSON_EXTRACT``, ``JSON_SET``, ``JSON_COMPACT``), as a string
otherwise: every value here is wrapped in one. A merge is only done in SQL for keys of plain characters (a
path like ``$."key"`` compares the stored key's text, and stored text may spell other characters differently);
other keys, and a stored member that is neither an object nor null (which the core's ``x or {}`` treats
otherwise), take the general path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .codec import write_json
from .connection import MySQLConnection, Row, Tx

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,200}")


def plain_keys(values: Mapping[str, Any]) -> bool:
    """Whether every key can be a ``$."key"`` path member as is."""
    return all(isinstance(k, str) and _PLAIN_KEY.fullmatch(k) for k in values)


def object_or_null(expr: str) -> str:
    """The condition: ``expr`` (SQL of JSON text, or NULL) is absent, JSON null or an object."""
    return f"({expr} IS NULL OR JSON_TYPE({expr}) IN ('OBJECT', 'NULL'))"


def json_set(doc: str, pairs: Mapping[str, Any], prefix: str = "$") -> tuple[str, list[Any]]:
    """SQL of the JSON text ``doc`` with each pair set at ``prefix."key"`` (as JSON) and its parameters; ``doc``
    itself when there are none. Keys must be :func:`plain_keys`."""
    if not pairs:
        return doc, []
    sets = ", ".join(f"'{prefix}.\"{k}\"', JSON_EXTRACT(%s, '$')" for k in pairs)
    return f"JSON_SET({doc}, {sets})", [write_json(v) for v in pairs.values()]


def merged_object(expr: str, pairs: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """SQL of ``{**(expr or {}), **pairs}`` (``expr``: SQL of JSON text without parameters; not an object counts
    as empty: guard it with :func:`object_or_null`) and its parameters. Keys must be :func:`plain_keys`."""
    return json_set(f"JSON_COMPACT(IF(JSON_TYPE({expr}) = 'OBJECT', {expr}, '{{}}'))", pairs)


async def update_returning(conn: MySQLConnection, update: str, params: list[Any], select: str,
                           key: tuple[Any, ...]) -> Row | None:
    """MariaDB has no ``UPDATE ... RETURNING``: the UPDATE, ``ROW_COUNT()`` and the row read back under the lock
    the UPDATE took, all with START TRANSACTION and COMMIT in one multi-statement, one round trip. The row, or
    None when the UPDATE matched nothing (nothing was written)."""
    async def go(tx: Tx) -> Row | None:
        _, count, rows = await tx.fetch_each([(update, params), ("SELECT ROW_COUNT() AS n", ()), (select, key)],
                                             commit=True)
        return rows[0] if count and int(count[0]["n"]) > 0 and rows else None

    return await conn.tx(go)
