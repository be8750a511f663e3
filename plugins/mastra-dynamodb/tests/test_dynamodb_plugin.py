"""The plugin's shape: every domain comes from its ``mastra_register_<domain>_stores`` hook; building a store
connects to nothing."""

from __future__ import annotations

from mastra_core.backend import BackendDomain
from mastra_core.plugins import registry
from mastra_dynamodb import DynamoDBStore
from mastra_dynamodb.connection import DynamoConnection


def test_every_domain_is_registered_through_its_hook() -> None:
    reg = registry()
    for domain in DynamoDBStore.declared_domains:
        entry = reg.domain_factories[(domain, "dynamodb")]
        assert entry.distribution == "mastra-dynamodb" and not entry.replace


def test_domains_share_one_connection_built_without_io() -> None:
    store = DynamoDBStore(id="shape", table_name="never-created", endpoint="http://127.0.0.1:9")
    assert isinstance(store.connection, DynamoConnection)
    assert store.domains == DynamoDBStore.declared_domains
    for domain in store.domains:
        part = store.get_store(domain)
        assert isinstance(part, BackendDomain) and part.conn is store.connection
        assert part.backend_token == "DYNAMODB"
    assert store.connection._client is None  # no client until the first call
