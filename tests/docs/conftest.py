"""After the docs session: remove what the README blocks and examples left on the machine's shared servers.

The blocks are written for a reader (fixed names: the ``docs-example:`` and ``tenant-a:`` Redis prefixes, the
``docs_demo`` PostgreSQL schema, the ``mastra_docs`` MariaDB database), so the session cleans up those names, and only
those, once every block has run. The examples delete what they create themselves.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

#: Redis key prefixes the README blocks and examples write under.
REDIS_PREFIXES = ("docs-example:", "tenant-a:")


@pytest.fixture(scope="session", autouse=True)
def clean_up_the_shared_servers() -> Iterator[None]:
    yield
    asyncio.run(_clean_up())


async def _clean_up() -> None:
    if url := os.environ.get("MASTRA_TEST_REDIS_URL"):
        import redis.asyncio as aioredis

        client = aioredis.from_url(url)
        try:
            for prefix in REDIS_PREFIXES:
                keys = [key async for key in client.scan_iter(match=prefix.replace("*", r"\*") + "*", count=500)]
                if keys:
                    await client.delete(*keys)
        finally:
            await client.aclose()
    if url := os.environ.get("MASTRA_TEST_PG_URL"):
        import psycopg

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("DROP SCHEMA IF EXISTS docs_demo CASCADE")
    if url := os.environ.get("MASTRA_TEST_MYSQL_URL"):
        from urllib.parse import urlsplit

        import asyncmy

        parts = urlsplit(url)
        server = await asyncmy.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                                       user=parts.username or "root", password=parts.password or "")
        try:
            async with server.cursor() as cursor:
                await cursor.execute("DROP DATABASE IF EXISTS mastra_docs")
        finally:
            await server.ensure_closed()
