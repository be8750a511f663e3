"""The botocore internals the lean request path reads, and what happens without them.

``lean.py``/``wire.py`` read ``botocore.auth._host_from_url``, the endpoint's ``_needs_retry`` and the HTTP session's
``_timeout``/``_socket_options``/``_verify``/``_max_pool_connections``/``_proxy_config``/``_cert_file``. A botocore
release that moves any of them must send that call (or every call) through botocore's full path, never break the
store. The first test is the canary: it fails when the installed botocore no longer lets every operation go lean
(so CI says so the day botocore moves them, instead of the store silently getting slower); the others take the
internals away and compare what comes back with the lean path's result.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from mastra_core.records import Thread
from mastra_dynamodb import wire
from mastra_dynamodb.connection import _lean_path
from mastra_dynamodb.lean import _FULL, OPERATIONS, LeanPath


def _calls(table: str, pk: str) -> list[tuple[str, dict[str, Any]]]:
    """One call of every operation the lean path serves, on items of partition ``pk``."""
    key = {"pk": {"S": pk}, "sk": {"S": "B"}}
    item = {**key, "n": {"N": "1"}}
    return [
        ("put_item", {"TableName": table, "Item": item}),
        ("get_item", {"TableName": table, "Key": key, "ConsistentRead": True}),
        ("update_item", {"TableName": table, "Key": key, "UpdateExpression": "ADD n :one",
                         "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "ALL_NEW"}),
        ("query", {"TableName": table, "KeyConditionExpression": "pk = :p",
                   "ExpressionAttributeValues": {":p": {"S": pk}}, "ConsistentRead": True}),
        ("scan", {"TableName": table, "ConsistentRead": True, "FilterExpression": "pk = :p",
                  "ExpressionAttributeValues": {":p": {"S": pk}}}),
        ("batch_get_item", {"RequestItems": {table: {"Keys": [key], "ConsistentRead": True}}}),
        ("batch_write_item", {"RequestItems": {table: [{"PutRequest": {"Item": {**key, "sk": {"S": "C"}}}}]}}),
        ("transact_write_items", {"TransactItems": [{"Update": {
            "TableName": table, "Key": key, "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}}}}], "ClientRequestToken": uuid.uuid4().hex}),
        ("delete_item", {"TableName": table, "Key": key, "ReturnValues": "ALL_OLD"}),
    ]


def _run(path: LeanPath, table: str, pk: str = "A") -> list[Any]:
    out = []
    for method, params in _calls(table, pk):
        got = path.send(method, params)
        got.pop("ResponseMetadata", None)
        got.pop("ConsumedCapacity", None)
        got.pop("ScannedCount", None)  # a Scan reads the whole table, the other run's items too
        out.append(got)
    return out


def test_every_operation_goes_lean_on_the_installed_botocore(client: Any, table: str) -> None:
    path = _lean_path(client)
    assert path is not None, "botocore moved what LeanPath needs: every call takes the full path"
    results = _run(path, table)
    assert set(path._ops) == set(OPERATIONS)
    full = sorted(m for m, op in path._ops.items() if op is _FULL)
    assert not full, f"these operations fell back to botocore's full path: {full}"
    assert results[1]["Item"]["n"] == {"N": "1"} and results[2]["Attributes"]["n"] == {"N": "2"}
    assert results[8]["Attributes"]["n"] == {"N": "3"}  # the transaction's ADD landed before the delete


def test_a_session_without_its_private_settings_sends_on_the_full_path(client: Any, table: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    lean_results = _run(LeanPath(client), table, "A")
    path = LeanPath(client)
    monkeypatch.delattr(path._session, "_socket_options")  # as a botocore that renamed it
    full_results = _run(path, table, "A2")
    assert all(op is _FULL for op in path._ops.values())
    assert str(full_results).replace("A2", "A") == str(lean_results)


async def test_a_botocore_without_host_from_url_leaves_the_store_working(make_store: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async def workload(store: Any) -> list[Any]:
        await store.init()
        mem = store.memory
        await mem.save_thread(thread=Thread(id="t", resource_id="r", title="x", metadata={"k": 1}))
        got = await mem.get_thread_by_id(thread_id="t")
        page = await mem.list_threads(filter={"resource_id": "r"})
        await store.workflows.persist_workflow_snapshot(workflow_name="w", run_id="run", snapshot={"n": 1})
        snap = await store.workflows.load_workflow_snapshot(workflow_name="w", run_id="run")
        return [(got.id, got.title, got.metadata) if got else None, [t.id for t in page], page.total, snap]

    lean_store = await make_store()
    fast = await workload(lean_store)
    assert lean_store.db._lean is not None
    assert fast == [("t", "x", {"k": 1}), ["t"], 1, {"n": 1}]
    monkeypatch.setattr(wire, "host_from_url", None)
    full_store = await make_store()
    assert await workload(full_store) == fast
    assert full_store.db._lean is None


@pytest.mark.parametrize("name", ["_needs_retry", "_add_modeled_error_fields"])
def test_an_endpoint_without_its_retry_or_error_hooks_is_not_served(client: Any, name: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Both are only called on a retry or an error: checked up front, or the first throttled call would fail."""
    monkeypatch.delattr(type(client._endpoint), name)
    assert _lean_path(client) is None
