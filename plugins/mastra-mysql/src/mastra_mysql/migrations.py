"""What ``mastra migrate`` shows for MariaDB/MySQL: the database, the tables ``init()`` would create, the version row.

``init()`` creates what is missing (``CREATE ... IF NOT EXISTS``, see :func:`~mastra_mysql.schema.create_schema`) and
records :data:`~mastra_mysql.schema.SCHEMA_VERSION` in ``mastra_schema_version``; the plan lists exactly those
statements that would change something now. Reads only.
"""
# ruff: noqa: S608  -- SQL text holds only constant, quoted identifiers; values are bound parameters

from __future__ import annotations

from mastra_core.backend.reference_schema import SCHEMA_VERSION_TABLE, TABLES

from .connection import MySQLConnection
from .schema import SCHEMA_VERSION, create_table_sql, quote


def _all(database: str, *, create_database: bool) -> list[str]:
    out = [f"CREATE DATABASE IF NOT EXISTS {quote(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
           ] if create_database else []
    return [*out, *(create_table_sql(t) for t in TABLES), *_version_steps(table=True)]


def _version_steps(*, table: bool) -> list[str]:
    out = [f"CREATE TABLE IF NOT EXISTS {quote(SCHEMA_VERSION_TABLE)} (id VARCHAR(64) NOT NULL PRIMARY KEY, "
           "version INT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"] if table else []
    return [*out, f"INSERT INTO {quote(SCHEMA_VERSION_TABLE)} (id, version) VALUES ('mysql', {SCHEMA_VERSION}) "
            "ON DUPLICATE KEY UPDATE version = GREATEST(version, VALUES(version))"]


def whole_schema(database: str) -> list[str]:
    """Everything ``init()`` does on a server without the database."""
    return _all(database, create_database=True)


async def plan(conn: MySQLConnection) -> list[str]:
    """The statements ``init()`` would run now on the connected database."""
    rows = await conn.fetch("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()")
    present = {str(r["t"] if "t" in r else next(iter(r.values()))) for r in rows}
    out = [create_table_sql(t) for t in TABLES if t.name not in present]
    version = await recorded(conn) if SCHEMA_VERSION_TABLE in present else 0
    if out or version < SCHEMA_VERSION:
        out += _version_steps(table=SCHEMA_VERSION_TABLE not in present)
    return out


async def recorded(conn: MySQLConnection) -> int:
    """The version recorded in ``mastra_schema_version`` (0: none)."""
    exists = await conn.one("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() "
                            "AND table_name = %s", (SCHEMA_VERSION_TABLE,))
    if not exists or not int(exists["n"]):
        return 0
    row = await conn.one(f"SELECT version FROM {quote(SCHEMA_VERSION_TABLE)} WHERE id = 'mysql'")
    return int(row["version"]) if row else 0

