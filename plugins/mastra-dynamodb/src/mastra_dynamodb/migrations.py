"""What ``mastra migrate`` shows and applies on DynamoDB: the table (keys, GSIs) and its TTL attribute.

The layout has no recorded version: a table with the keys and the four GSIs of :mod:`mastra_dynamodb.schema` is
:data:`LAYOUT_VERSION`; a missing one is 0. ``init()`` creates a missing table only with ``create_table_if_missing``;
``mastra migrate`` creates it (and enables TTL on the rules' attribute), and enables TTL on an existing table that
has none. GSIs cannot be added to an existing table by this tool: such a difference is listed as a comment.
"""

from __future__ import annotations

from typing import Any

from .connection import DynamoConnection
from .schema import GSIS, verify_table

#: The version of the single-table layout this release reads and writes.
LAYOUT_VERSION = 1
CREATE = "CreateTable"
ENABLE_TTL = "UpdateTimeToLive"


async def describe(conn: DynamoConnection) -> dict[str, Any] | None:
    """The table's description (None: no such table); missing credentials or an unreachable endpoint fail fast
    as at init (a ConfigError or a ConnectionFailedError with the cause), never as a raw botocore error."""
    return await conn.describe_table_checked(conn.client)


async def enabled_ttl(conn: DynamoConnection) -> str | None:
    """The attribute the table's TTL deletes by (None: TTL off)."""
    ttl = (await conn.call("describe_time_to_live", TableName=conn.table)).get("TimeToLiveDescription", {})
    return ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None


def ttl_attribute(conn: DynamoConnection) -> str:
    """The attribute TTL is enabled on: the configured rules' (the first, sorted), else ``ttl``."""
    names = sorted(conn.ttl_attributes)
    return names[0] if names else "ttl"


async def plan(conn: DynamoConnection) -> list[str]:
    """The changes ``mastra migrate`` would make now (reads only)."""
    desc = await describe(conn)
    if desc is None:
        gsis = ", ".join(GSIS)
        return [f"{CREATE} {conn.table}: pk (S, HASH) + sk (S, RANGE); GSIs {gsis} (gsiNpk S HASH + gsiNsk N RANGE, "
                "projection ALL); PAY_PER_REQUEST",
                f"{ENABLE_TTL} {conn.table}: Enabled=true, AttributeName={ttl_attribute(conn)}"]
    out = [f"-- {problem} (not applied by mastra migrate: see TABLE_SETUP.md)" for problem in verify_table(desc)]
    if conn.ttl_attributes and await enabled_ttl(conn) is None:
        out.append(f"{ENABLE_TTL} {conn.table}: Enabled=true, AttributeName={ttl_attribute(conn)}")
    return out


async def apply(conn: DynamoConnection) -> None:
    """Create the table (with TTL) when missing; enable TTL on an existing table without it when rules need it."""
    if await describe(conn) is None:
        await conn.create_table(ttl_attribute=ttl_attribute(conn))
    elif conn.ttl_attributes and await enabled_ttl(conn) is None:
        await conn.call("update_time_to_live", TableName=conn.table,
                        TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute(conn)})


async def version(conn: DynamoConnection) -> int:
    """:data:`LAYOUT_VERSION` when the table matches the layout, 0 when it is missing or does not."""
    desc = await describe(conn)
    return LAYOUT_VERSION if desc is not None and not verify_table(desc) else 0
