"""The layout on MariaDB/MySQL, built from core's reference schema (the reference's table and column names).

Column kinds map to: text -> ``VARCHAR(255)`` where a key or index needs it, else ``LONGTEXT``; json ->
``LONGTEXT`` holding JSON text (MariaDB's ``JSON`` type is LONGTEXT plus a JSON_VALID check, which refuses
documents nested deeper than 32 levels, so we leave the check out); timestamp -> ``DATETIME(3)`` holding UTC; float ->
``DOUBLE``; integer -> ``BIGINT``; boolean -> ``BOOLEAN``. Every text column uses ``utf8mb4_bin``, so ids
are case- and accent-sensitive as everywhere else. Every table gets ``seq BIGINT AUTO_INCREMENT``, the
insertion tiebreak of every ordering (it is the primary key where the reference has none), and every
ordering index ends with it, so pages are index range scans. Partial indexes become plain ones.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mastra_core.backend.reference_schema import SCHEMA_VERSION_TABLE, TABLES, Column, Index, Table

if TYPE_CHECKING:
    from .connection import Tx

SCHEMA_VERSION = 1
SEQ = "seq"
_IDENT = re.compile(r"[A-Za-z0-9_$]{1,64}")
_TYPES = {"json": "LONGTEXT", "timestamp": "DATETIME(3)", "float": "DOUBLE", "integer": "BIGINT", "boolean": "BOOLEAN"}


def quote(name: str) -> str:
    """A validated identifier in backticks (column, table, index or database name)."""
    if not _IDENT.fullmatch(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f"`{name}`"


def key_columns(table: Table) -> frozenset[str]:
    """Columns used by a key or an index (these must be VARCHAR to be indexable)."""
    names = {*table.primary_key, *table.unique}
    for index in table.indexes:
        names.update(index.columns)
        if index.where is not None:
            names.add(index.where[0])
    return frozenset(names)


def column_type(column: Column, keyed: bool) -> str:
    """The MariaDB type of one reference column."""
    if column.kind == "text":
        return "VARCHAR(255)" if keyed else "LONGTEXT"
    return _TYPES[column.kind]


def index_columns(table: Table, index: Index) -> tuple[str, ...]:
    """The index's columns: a partial index's predicate column first, ``seq`` last on ordering indexes."""
    cols = index.columns
    if index.where is not None and index.where[0] not in cols:
        cols = (index.where[0], *cols)
    if not index.unique and table.column(cols[-1]).kind == "timestamp":
        cols = (*cols, SEQ)
    return cols


def create_table_sql(table: Table) -> str:
    """``CREATE TABLE IF NOT EXISTS`` with every column, key and index of ``table``."""
    keyed = key_columns(table)
    lines = [f"{quote(c.name)} {column_type(c, c.name in keyed)}{' NOT NULL' if c.not_null else ''}"
             for c in table.columns]
    lines.append(f"{quote(SEQ)} BIGINT NOT NULL AUTO_INCREMENT")
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(quote(c) for c in table.primary_key)})")
        lines.append(f"UNIQUE KEY {quote(table.name + '_seq')} ({quote(SEQ)})")
    else:
        lines.append(f"PRIMARY KEY ({quote(SEQ)})")
    unique_covered = False
    for index in table.indexes:
        cols = ", ".join(quote(c) for c in index_columns(table, index))
        lines.append(f"{'UNIQUE KEY' if index.unique else 'KEY'} {quote(index.name)} ({cols})")
        unique_covered = unique_covered or (index.unique and index.columns == table.unique)
    if table.unique and not unique_covered:
        lines.append(f"UNIQUE KEY {quote(table.name + '_unique')} ({', '.join(quote(c) for c in table.unique)})")
    body = ",\n  ".join(lines)
    return (f"CREATE TABLE IF NOT EXISTS {quote(table.name)} (\n  {body}\n) "
            "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")


async def create_schema(tx: Tx) -> None:
    """Create every reference table (idempotent, safe when several storages init at once) and record the version."""
    for table in TABLES:
        await tx.execute(create_table_sql(table))
    await tx.execute(f"CREATE TABLE IF NOT EXISTS {quote(SCHEMA_VERSION_TABLE)} (id VARCHAR(64) NOT NULL PRIMARY KEY, "
                     "version INT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
    version = quote(SCHEMA_VERSION_TABLE)
    await tx.execute(f"INSERT INTO {version} (id, version) VALUES ('mysql', %s) "  # noqa: S608
                     "ON DUPLICATE KEY UPDATE version = GREATEST(version, VALUES(version))", (SCHEMA_VERSION,))
