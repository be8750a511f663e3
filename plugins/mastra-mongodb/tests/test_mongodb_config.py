"""Configuration: uri/url/db_name/options, caller-supplied clients, secrets kept out of reprs and errors."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from mastra_core import ConfigError, ErrorCategory, StorageError, open_storage
from mastra_mongodb import MongoDBStore


def test_uri_and_db_name() -> None:
    store = MongoDBStore(id="s", uri="mongodb://127.0.0.1:1", db_name="app")
    assert (store.config.uri, store.config.db_name, store.backend_id) == ("mongodb://127.0.0.1:1", "app", "mongodb")


def test_db_name_defaults_to_the_uri_path() -> None:
    store = MongoDBStore(id="s", uri="mongodb://u:p@h1:1,h2:2/appdb?replicaSet=rs")
    assert store.config.db_name == "appdb"


def test_missing_db_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        MongoDBStore(id="s", uri="mongodb://127.0.0.1:1")
    assert "db_name" in str(info.value) and info.value.category is ErrorCategory.USER


def test_missing_uri_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="uri is required"):
        MongoDBStore(id="s", db_name="x")


def test_unknown_option_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown mongodb option"):
        MongoDBStore(id="s", uri="mongodb://127.0.0.1:1", db_name="x", dbName="y")


def test_url_is_the_shared_name_of_uri() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store = MongoDBStore(id="s", url="mongodb://127.0.0.1:1/legacy")
    assert (store.config.uri, store.config.db_name) == ("mongodb://127.0.0.1:1/legacy", "legacy")


def test_url_and_a_different_uri_conflict() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ConfigError, match="not both"):
            MongoDBStore(id="s", url="mongodb://a:1/x", uri="mongodb://b:1/x")


def test_secrets_never_in_repr_or_config_errors() -> None:
    store = MongoDBStore(id="s", uri="mongodb://admin:s3cr3t@127.0.0.1:1/app", options={"password": "other-s3cr3t"})
    assert "s3cr3t" not in repr(store)
    with pytest.raises(ConfigError) as info:
        MongoDBStore(id="s", uri="mongodb://admin:s3cr3t@127.0.0.1:1/bad name")
    assert "s3cr3t" not in str(info.value)


async def test_unreachable_server_fails_loudly_without_leaking_the_password() -> None:
    store = MongoDBStore(id="s", uri="mongodb://admin:s3cr3t@127.0.0.1:1/app",
                         options={"server_selection_timeout_ms": 300}, retry_attempts=0)
    with pytest.raises(StorageError) as info:
        await store.init()
    err = info.value
    assert err.id == "MASTRA_STORAGE_MONGODB_CONNECT_FAILED" and err.category is ErrorCategory.THIRD_PARTY
    assert "s3cr3t" not in str(err) and "s3cr3t" not in repr(err)
    assert err.__cause__ is not None


async def test_client_options_reach_the_driver(make_store: Any) -> None:
    store = await make_store(options={"max_pool_size": 7, "server_selection_timeout_ms": 4000,
                                      "socket_timeout_ms": 45000, "retry_writes": False, "appname": "mastra-test"})
    opts = store.client.options
    assert opts.pool_options.max_pool_size == 7
    assert opts.server_selection_timeout == 4.0
    assert opts.pool_options.socket_timeout == 45.0
    assert opts.retry_writes is False
    assert opts.pool_options.metadata["application"]["name"] == "mastra-test"


async def test_a_caller_supplied_client_is_used_and_not_closed(make_store: Any, client: Any) -> None:
    store = await make_store(client=client)
    assert store.client is client
    thread = await store.memory.save_thread(thread={"id": "t1", "resourceId": "r1", "metadata": {}})
    await store.close()
    # the client still works after the store is closed, and saw the store's writes
    doc = await client[store.config.db_name]["mastra_threads"].find_one({"id": thread.id})
    assert doc is not None and doc["resourceId"] == "r1"


def test_a_sync_client_is_refused() -> None:
    from pymongo import MongoClient

    sync = MongoClient("mongodb://127.0.0.1:1", connect=False)
    try:
        with pytest.raises(ConfigError, match="AsyncMongoClient"):
            MongoDBStore(id="s", client=sync, db_name="x")
    finally:
        sync.close()


async def test_open_storage_routes_mongodb_urls(uri: str) -> None:
    base = uri.split("?", 1)[0].rstrip("/")
    if base.count("/") > 2:  # a URI that already names a database
        base = base.rsplit("/", 1)[0]
    storage = open_storage(f"{base}/mastra_route_test")
    assert isinstance(storage, MongoDBStore) and storage.config.db_name == "mastra_route_test"
    await storage.init()
    assert await storage.memory.get_thread_by_id(thread_id="missing") is None
    await storage.close()


def test_custom_index_specs_are_validated() -> None:
    with pytest.raises(ConfigError, match="collection must be one of"):
        MongoDBStore(id="s", uri="mongodb://127.0.0.1:1/x", indexes=[{"collection": "mastra_thread", "keys": {"a": 1}}])
    with pytest.raises(ConfigError, match="keys"):
        MongoDBStore(id="s", uri="mongodb://127.0.0.1:1/x", indexes=[{"collection": "mastra_threads", "keys": "a"}])
