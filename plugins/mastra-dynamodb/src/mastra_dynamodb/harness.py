"""DynamoDB on DynamoDB Local: a fresh table per namespace, deleted on cleanup.

The endpoint comes from ``MASTRA_TEST_DYNAMODB_ENDPOINT`` (printed by ``scripts/services/start.sh dynamodb``);
a missing endpoint is an error, never a skip.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from mastra_core import Storage

BACKEND_ID = "dynamodb"
ENV = "MASTRA_TEST_DYNAMODB_ENDPOINT"
#: DynamoDB Local accepts any credentials; these are not secrets.
CREDENTIALS = {"access_key_id": "local", "secret_access_key": "local"}
PROBE_CONFIG = {"table_name": "capability-probe"}
_clients: dict[str, Any] = {}


def endpoint() -> str:
    """``MASTRA_TEST_DYNAMODB_ENDPOINT``; an error when unset."""
    url = os.environ.get(ENV)
    if not url:
        raise RuntimeError(f"{ENV} is not set: run `bash scripts/services/start.sh dynamodb` and export what it prints")
    return url


def _client() -> Any:
    url = endpoint()
    if url not in _clients:
        from . import make_client

        _clients[url] = make_client(endpoint=url, credentials=CREDENTIALS)
    return _clients[url]


def table_name(namespace: str) -> str:
    """The table of ``namespace``."""
    return f"mastra-conf-{namespace}"


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    """An un-initialised storage on a new table for ``namespace`` (TTL enabled on its attribute)."""
    from . import DynamoDBStore, create_table

    config: dict[str, Any] = {
        "id": f"conformance-{namespace}",
        "table_name": table_name(namespace),
        "endpoint": endpoint(),
        "credentials": CREDENTIALS,
    }
    config.update(overrides)
    storage = DynamoDBStore(**config)  # a bad config fails here, before a table exists to leak
    names = _ttl_attribute_names(overrides.get("ttl"))
    await asyncio.to_thread(create_table, table_name(namespace), client=_client(), ttl_attribute=names[0])
    return storage


def _ttl_attribute_names(ttl: Any) -> list[str]:
    """The TTL attribute to enable on the table (the first configured name; the store validates the config itself)."""
    names: set[str] = set()
    for rule in ttl.values() if isinstance(ttl, dict) else ():
        name = (
            (rule.get("attribute_name") or rule.get("attributeName"))
            if isinstance(rule, dict)
            else getattr(rule, "attribute_name", None)
        )
        if isinstance(name, str) and name:
            names.add(name)
    return sorted(names) or ["ttl"]


async def cleanup(namespace: str) -> None:
    """Delete the namespace's table."""
    client = _client()
    try:
        await asyncio.to_thread(client.delete_table, TableName=table_name(namespace))
    except client.exceptions.ResourceNotFoundException:
        pass


def fault_upstream() -> tuple[str, int]:
    """The endpoint's TCP address (the fault suite's chaos proxy forwards there)."""
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint())
    return parts.hostname or "127.0.0.1", parts.port or 80


async def make_proxied_storage(namespace: str, host: str, port: int, **overrides: Any) -> Storage:
    """An un-initialised storage on the table of ``namespace`` (created directly) whose calls go through
    ``host:port``."""
    storage = await make_storage(namespace, **overrides)
    await storage.close()
    from . import DynamoDBStore

    config: dict[str, Any] = {"id": f"conformance-{namespace}", "table_name": table_name(namespace),
                              "endpoint": f"http://{host}:{port}", "credentials": CREDENTIALS}
    config.update(overrides)
    return DynamoDBStore(**config)
