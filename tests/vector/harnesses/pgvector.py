"""pgvector: every namespace is a fresh schema in MASTRA_TEST_PG_URL's database (pgvector installed).

``scripts/services/start.sh postgres pgvector`` installs/builds the extension and prints the URL; a
missing URL or server is an error, never a skip. ``cleanup`` drops the schema.
"""

from __future__ import annotations

import os

from mastra_core.vector import VectorStore

PERSISTENT = True


def server_url() -> str:
    url = os.environ.get("MASTRA_TEST_PG_URL")
    if not url:
        raise RuntimeError(
            "MASTRA_TEST_PG_URL is not set: run `bash scripts/services/start.sh postgres pgvector` first"
        )
    return url


async def make_vector(namespace: str) -> VectorStore:
    from mastra_pg import PgVector

    return PgVector(connection_string=server_url(), schema_name=namespace, min_pool_size=1, max_pool_size=4)


async def cleanup(namespace: str) -> None:
    import psycopg
    from psycopg import sql

    async with await psycopg.AsyncConnection.connect(server_url(), autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(namespace)))
