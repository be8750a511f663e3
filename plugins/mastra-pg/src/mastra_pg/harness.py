"""PostgreSQL: every namespace is a fresh schema (``schema_name=namespace``) in MASTRA_TEST_PG_URL's database.

``scripts/services/start.sh postgres pgvector`` prints the URL; without it, or without a server
answering there, the harness fails loudly (never skips). ``cleanup`` drops the schema.
"""

from __future__ import annotations

import os
from typing import Any

from mastra_core import Storage, create_storage

BACKEND_ID = "pg"
#: Building a store does not connect, so the capability probe needs no server.
PROBE_CONFIG = {"connection_string": "postgresql://probe@127.0.0.1:1/probe"}


def server_url() -> str:
    """``MASTRA_TEST_PG_URL``; an error when unset."""
    url = os.environ.get("MASTRA_TEST_PG_URL")
    if not url:
        raise RuntimeError(
            "MASTRA_TEST_PG_URL is not set: run `bash scripts/services/start.sh postgres pgvector` "
            "and export what it prints (nox -s 'conformance(pg)' does this for you)"
        )
    return url


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    """An un-initialised storage on the schema ``namespace``."""
    config: dict[str, Any] = {"connection_string": server_url(), "schema_name": namespace, "min_pool_size": 1,
                              "max_pool_size": 10}
    config.update(overrides)
    return create_storage("pg", id=f"conformance-{namespace}", **config)


async def cleanup(namespace: str) -> None:
    """Drop the namespace's schema."""
    import psycopg
    from psycopg import sql

    async with await psycopg.AsyncConnection.connect(server_url(), autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(namespace)))


def fault_upstream() -> tuple[str, int]:
    """The server's TCP address (the fault suite's chaos proxy forwards there)."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(server_url())
    return str(params.get("host") or "127.0.0.1"), int(params.get("port") or 5432)


async def make_proxied_storage(namespace: str, host: str, port: int, **overrides: Any) -> Storage:
    """An un-initialised storage on the schema ``namespace`` that reaches the server through ``host:port``."""
    from psycopg.conninfo import make_conninfo

    return await make_storage(namespace, connection_string=make_conninfo(server_url(), host=host, port=port),
                              **overrides)
