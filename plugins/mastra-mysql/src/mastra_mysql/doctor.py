"""``mastra doctor``'s MariaDB/MySQL probes: the server, and the indexes of the mastra tables against the layout.

Indexes are read from ``information_schema.statistics`` and compared with what :mod:`mastra_mysql.schema` creates:
one the layout has and the table lacks is a warning (reads scan), one the layout does not know is reported with its
columns (it costs every write; it may be the application's own). Usage comes from ``performance_schema`` when the
server records it (MySQL's default), else MariaDB's user statistics (``userstat``); with neither, the server keeps
no index usage and the finding says so (never "unused" on no evidence). Reads only.
"""
# ruff: noqa: S608  -- SQL text holds only constant, quoted identifiers; values are bound parameters

from __future__ import annotations

from mastra_core.backend.reference_schema import TABLES, Table
from mastra_core.diagnostics import Finding, index_diff_findings, shown

from .connection import MySQLConnection
from .schema import SEQ, index_columns, quote


def expected_indexes(table: Table) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Index name -> (columns, unique), as :func:`~mastra_mysql.schema.create_table_sql` creates them."""
    out: dict[str, tuple[tuple[str, ...], bool]] = {"PRIMARY": (table.primary_key or (SEQ,), True)}
    if table.primary_key:
        out[table.name + "_seq"] = ((SEQ,), True)
    unique_covered = False
    for index in table.indexes:
        out[index.name] = (index_columns(table, index), index.unique)
        unique_covered = unique_covered or (index.unique and index.columns == table.unique)
    if table.unique and not unique_covered:
        out[table.name + "_unique"] = (table.unique, True)
    return out


async def present_indexes(conn: MySQLConnection) -> dict[str, dict[str, list[str]]]:
    """Table -> index -> columns (in order) of the mastra tables in the connected database."""
    names = [t.name for t in TABLES]
    marks = ", ".join(["%s"] * len(names))
    rows = await conn.fetch(
        "SELECT table_name AS t, index_name AS i, column_name AS c FROM information_schema.statistics "
        f"WHERE table_schema = DATABASE() AND table_name IN ({marks}) ORDER BY table_name, index_name, seq_in_index",
        names)
    out: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        out.setdefault(str(row["t"]), {}).setdefault(str(row["i"]), []).append(str(row["c"]))
    return out


async def index_findings(conn: MySQLConnection) -> list[Finding]:
    """Missing layout indexes, indexes the layout does not know, and (where the server records it) unused ones."""
    present = await present_indexes(conn)
    missing: list[str] = []
    unknown: list[str] = []
    for table in TABLES:
        have = present.get(table.name)
        if have is None:
            continue  # a table not created yet is a pending migration, not an index finding
        expected = expected_indexes(table)
        for name, (cols, unique) in expected.items():
            if name not in have:
                kind = "PRIMARY KEY" if name == "PRIMARY" else f"{'UNIQUE KEY' if unique else 'KEY'} {quote(name)}"
                missing.append(f"ALTER TABLE {quote(table.name)} ADD {kind} ({', '.join(quote(c) for c in cols)})")
        unknown += [f"{table.name}.{name} ({', '.join(cols)})" for name, cols in sorted(have.items())
                    if name not in expected]
    out = index_diff_findings(missing, unknown, what="layout", missing_fix="run: ",
                              unknown_fix="keep them if your own queries use them; else ALTER TABLE .. DROP INDEX "
                                          "(each one costs every write)")
    return out + await _usage(conn, present)


async def _usage(conn: MySQLConnection, present: dict[str, dict[str, list[str]]]) -> list[Finding]:
    """Non-unique mastra indexes with no recorded use, from whichever statistics the server keeps."""
    unique = {(t.name, name) for t in TABLES for name, (_, u) in expected_indexes(t).items() if u}
    candidates = {(t, i) for t, idx in present.items() for i in idx if (t, i) not in unique}
    source, used = await _used_indexes(conn)
    if source is None:
        return [Finding(check="indexes.unused", severity="info",
                        message="the server records no index usage (performance_schema and userstat are off)",
                        fix="to see unused indexes: performance_schema=ON in the server config (then "
                            "sys.schema_unused_indexes), or SET GLOBAL userstat=1 on MariaDB")]
    unused = sorted(f"{t}.{i}" for t, i in candidates - used)
    if not unused:
        return [Finding(check="indexes.unused", severity="ok",
                        message=f"every mastra index has been used ({source})")]
    return [Finding(check="indexes.unused", severity="info",
                    message=f"never used since the server's statistics began ({source}): {shown(unused)}",
                    fix="drop an index only after watching it under real traffic")]


async def _used_indexes(conn: MySQLConnection) -> tuple[str | None, set[tuple[str, str]]]:
    """(where usage was read, the (table, index) pairs used); (None, empty) when the server records none."""
    row = await conn.one("SELECT @@performance_schema AS on_")
    if row is not None and int(row["on_"] or 0):
        rows = await conn.fetch(
            "SELECT object_name AS t, index_name AS i FROM performance_schema.table_io_waits_summary_by_index_usage "
            "WHERE object_schema = DATABASE() AND index_name IS NOT NULL AND count_star > 0")
        return "performance_schema", {(str(r["t"]), str(r["i"])) for r in rows}
    try:
        row = await conn.one("SELECT @@userstat AS on_")  # MariaDB only: MySQL has no such variable
    except Exception:  # MySQL has no such variable: no user statistics there
        return None, set()
    if row is None or not int(row["on_"] or 0):
        return None, set()
    rows = await conn.fetch("SELECT table_name AS t, index_name AS i FROM information_schema.index_statistics "
                            "WHERE table_schema = DATABASE() AND rows_read > 0")
    return "userstat", {(str(r["t"]), str(r["i"])) for r in rows}
