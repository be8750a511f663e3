"""Table provisioning and verification: init() names exactly what is missing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from mastra_core.errors import ConfigError
from mastra_dynamodb import create_table
from mastra_dynamodb.schema import attribute_definitions, gsi_definitions, key_schema


async def test_missing_table_says_how_to_create_it(make_store: Any) -> None:
    store = await make_store(create=False)
    with pytest.raises(ConfigError) as info:
        await store.init()
    assert info.value.id == "MASTRA_STORAGE_DYNAMODB_TABLE_MISSING"
    assert "mastra dynamodb create-table" in str(info.value) and store.table_name in str(info.value)


async def test_missing_gsis_are_named(make_store: Any, client: Any) -> None:
    name = f"mastra-ddbtest-{uuid.uuid4().hex[:12]}"
    gsis = [g for g in gsi_definitions() if g["IndexName"] in ("gsi1", "gsi2")]
    used = {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"}
    defs = [a for a in attribute_definitions() if a["AttributeName"] in used]
    client.create_table(TableName=name, KeySchema=key_schema(), BillingMode="PAY_PER_REQUEST",
                        GlobalSecondaryIndexes=gsis, AttributeDefinitions=defs)
    store = await make_store(create=False, table=name)
    with pytest.raises(ConfigError) as info:
        await store.init()
    text = str(info.value)
    assert info.value.id == "MASTRA_STORAGE_DYNAMODB_TABLE_INVALID"
    assert "missing GSI 'gsi3'" in text and "missing GSI 'gsi4'" in text and "'gsi1'" not in text


async def test_create_table_if_missing_and_idempotent_create(make_store: Any, client: Any) -> None:
    store = await make_store(create=False, create_table_if_missing=True)
    await store.init()
    assert await store.memory.get_thread_by_id(thread_id="x") is None
    assert create_table(store.table_name, client=client) is False  # exists already: left alone


async def test_caller_supplied_client_is_not_closed(make_store: Any, client: Any) -> None:
    store = await make_store(client=client, endpoint=None, credentials=None)
    await store.init()
    await store.close()
    client.list_tables(Limit=1)  # still usable


def test_secrets_never_in_repr(endpoint: str) -> None:
    from mastra_dynamodb import DynamoDBStore

    store = DynamoDBStore(id="s", table_name="tbl", endpoint=endpoint,
                          credentials={"accessKeyId": "AKIDSECRET1", "secretAccessKey": "SUPERSECRET2"})
    text = repr(store) + repr(store.config)
    assert "SUPERSECRET2" not in text and "AKIDSECRET1" not in text


def test_bad_config_is_a_config_error() -> None:
    from mastra_dynamodb import DynamoDBStore

    with pytest.raises(ConfigError):
        DynamoDBStore(id="s", table_name="x")  # too short
    with pytest.raises(ConfigError) as info:
        DynamoDBStore(id="s", table_name="tbl",
                      credentials={"accessKeyId": "a", "secretAccessKey": "TOPSECRET9", "oops": "z"})
    assert "TOPSECRET9" not in str(info.value)
    with pytest.raises(ConfigError):
        DynamoDBStore(id="s", table_name="tbl", tabel="typo")


def test_from_url() -> None:
    from mastra_core import open_storage

    local = open_storage("dynamodb://127.0.0.1:8000/my-table?region=eu-west-1")
    where = (local.config.table_name, local.config.endpoint, local.config.region)
    assert where == ("my-table", "http://127.0.0.1:8000", "eu-west-1")
    aws = open_storage("dynamodb://prod-table")
    assert (aws.config.table_name, aws.config.endpoint, aws.config.region) == ("prod-table", None, "us-east-1")
