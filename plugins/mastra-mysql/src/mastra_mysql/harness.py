"""The contract-suite harness: every namespace is its own database on ``MASTRA_TEST_MYSQL_URL``'s server.

``bash scripts/services/start.sh mariadb`` prints the URL; without it, or without a server answering
there, the harness fails loudly (never skips). ``cleanup`` drops the namespace's database.
"""

from __future__ import annotations

import os
from typing import Any

from mastra_core import Storage, create_storage

BACKEND_ID = "mysql"
#: Building a store does not connect, so the capability probe needs no server.
PROBE_CONFIG = {"url": "mysql://probe@127.0.0.1:1/probe"}


def server_url() -> str:
    """The server's URL (``mysql://user:password@host:port/db``; the database part is replaced per namespace)."""
    url = os.environ.get("MASTRA_TEST_MYSQL_URL")
    if not url:
        raise RuntimeError("MASTRA_TEST_MYSQL_URL is not set: run `bash scripts/services/start.sh mariadb` and export "
                           "what it prints (nox -s 'conformance(mysql)' does this for you)")
    return url


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    """An un-initialised storage on a fresh database called ``namespace``."""
    config: dict[str, Any] = {"url": server_url(), "database": namespace, "min_pool_size": 1, "max_pool_size": 10}
    config.update(overrides)
    return create_storage(BACKEND_ID, id=f"conformance-{namespace}", **config)


async def cleanup(namespace: str) -> None:
    """Drop the namespace's database."""
    import asyncmy

    from .config import MySQLConfig
    from .schema import quote

    cfg = MySQLConfig(url=server_url(), database=namespace)
    conn = await asyncmy.connect(host=cfg.host, port=cfg.port, user=cfg.user, password=cfg.password or "")
    try:
        async with conn.cursor() as cur:
            await cur.execute(f"DROP DATABASE IF EXISTS {quote(namespace)}")
    finally:
        conn.close()


def fault_upstream() -> tuple[str, int]:
    """The server's TCP address (the fault suite's chaos proxy forwards there)."""
    from .config import MySQLConfig

    cfg = MySQLConfig(url=server_url(), database="probe")
    return str(cfg.host), int(cfg.port or 3306)


async def make_proxied_storage(namespace: str, host: str, port: int, **overrides: Any) -> Storage:
    """An un-initialised storage on the database ``namespace`` reaching the server through ``host:port``."""
    return await make_storage(namespace, host=host, port=port, **overrides)
