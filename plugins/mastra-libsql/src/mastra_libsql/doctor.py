"""``mastra doctor``'s libSQL index probe: the indexes in ``sqlite_master`` against the ones the schema creates.

SQLite keeps no index usage statistics, so "unused" cannot be told from the database. What can be told: an index
the schema creates and the table lacks (a warning: reads that need it scan; ``mastra migrate`` creates it) and an
index on a mastra table that the schema does not know (it costs every write; it may be the application's own, or
the reference's on a shared file). Indexes SQLite creates for a table's own PRIMARY KEY/UNIQUE constraint
(``sqlite_autoindex_*``) are the table's, never reported. Reads only.
"""
# ruff: noqa: S608  -- SQL text holds only constant, validated, quoted identifiers; values are bound parameters

from __future__ import annotations

from collections.abc import Sequence

from mastra_core.backend.reference_schema import Table
from mastra_core.diagnostics import Finding, index_diff_findings

from .connection import LibSQLConnection
from .schema import _has_unique, index_sql


def index_findings(db: LibSQLConnection, tables: Sequence[Table]) -> list[Finding]:
    """Missing and unknown indexes of ``tables`` (run on the connection's worker thread)."""
    names = [db.name(t.name) for t in tables]
    marks = ", ".join("?" for _ in names)
    present: dict[str, set[str]] = {}
    for index, table in db.all(f"SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' "
                               f"AND tbl_name IN ({marks})", names):
        present.setdefault(str(table), set()).add(str(index))
    missing: list[str] = []
    unknown: list[str] = []
    for table in tables:
        have = present.get(db.name(table.name))
        if have is None and not _table_exists(db, table.name):
            continue  # a table not created yet is a pending migration, not an index finding
        have = have or set()
        known = {db.name(i.name) for i in table.indexes}
        for idx in table.indexes:
            if db.name(idx.name) not in have and not (idx.unique and _has_unique(db, table.name, idx.columns)):
                missing.append(db._prefixed(index_sql(table, idx)) if db.prefix else index_sql(table, idx))
        unknown += sorted(f"{db.name(table.name)}.{name}" for name in have
                          if name not in known and not name.startswith("sqlite_autoindex_"))
    out = index_diff_findings(missing, unknown, what="schema", missing_fix="mastra migrate URL, or run: ",
                              unknown_fix="keep them if your own queries (or the reference's, on a shared file) "
                                          "use them; else DROP INDEX (each one costs every write)")
    out.append(Finding(check="indexes.unused", severity="info",
                       message="SQLite keeps no index usage statistics: unused indexes cannot be told",
                       fix="check an index with EXPLAIN QUERY PLAN on your own queries before dropping it"))
    return out


def _table_exists(db: LibSQLConnection, logical: str) -> bool:
    return db.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (db.name(logical),)) is not None
