"""Hook implementations only; boto3 is imported when a store is built, not here."""

from __future__ import annotations

from mastra_core.hookspecs import Register, hookimpl


@hookimpl
def mastra_register_backends(register: Register) -> None:
    from .store import DynamoDBStore

    register(DynamoDBStore)


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: a fresh table per namespace on DynamoDB Local."""
    register("dynamodb", "mastra_dynamodb.harness")
