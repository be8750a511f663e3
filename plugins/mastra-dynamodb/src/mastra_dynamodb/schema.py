"""The single-table layout: key attributes, the four GSIs, and table provisioning/verification.

Every item has ``pk`` (S) and ``sk`` (S) and an ``entity`` attribute. Four overloaded global secondary
indexes ``gsi1``..``gsi4`` each have a string partition key ``gsiNpk`` and a NUMBER sort key ``gsiNsk``
holding an *order value* (``created/started/updated ms * 10**19 + sequence``), projection ALL. Items
only carry the GSI attributes of the access patterns they serve (sparse indexes). TABLE_SETUP.md
documents every key of every entity; this module is the executable form of that document.
"""

from __future__ import annotations

import time
from typing import Any

GSI_COUNT = 4
GSIS = tuple(f"gsi{i}" for i in range(1, GSI_COUNT + 1))
#: Attributes the store writes itself: a TTL attribute name may not be one of them.
RESERVED_ATTRIBUTES = frozenset(
    {"pk", "sk", "entity", "data", "dataz", "expMs", "seq", "ver", "createdMs", "updatedMs", "n"}
    | {f"{g}pk" for g in GSIS} | {f"{g}sk" for g in GSIS}
    | {"id", "threadId", "resourceId", "status", "workflowName", "runId", "scorerId", "entityId", "entityType",
       "source", "traceId", "spanId", "agentName", "isTest", "name", "scope", "startedMs"}
)


def key_schema() -> list[dict[str, str]]:
    return [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]


def attribute_definitions() -> list[dict[str, str]]:
    defs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
    for g in GSIS:
        defs.append({"AttributeName": f"{g}pk", "AttributeType": "S"})
        defs.append({"AttributeName": f"{g}sk", "AttributeType": "N"})
    return defs


def gsi_definitions() -> list[dict[str, Any]]:
    return [
        {
            "IndexName": g,
            "KeySchema": [{"AttributeName": f"{g}pk", "KeyType": "HASH"}, {"AttributeName": f"{g}sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }
        for g in GSIS
    ]


def create_table_request(table_name: str) -> dict[str, Any]:
    """The CreateTable request of the mastra table (PAY_PER_REQUEST)."""
    return {
        "TableName": table_name,
        "KeySchema": key_schema(),
        "AttributeDefinitions": attribute_definitions(),
        "GlobalSecondaryIndexes": gsi_definitions(),
        "BillingMode": "PAY_PER_REQUEST",
    }


def create_table_sync(client: Any, table_name: str, *, ttl_attribute: str | None = "ttl", wait: bool = True,
                      exist_ok: bool = True) -> bool:
    """Create the table with its GSIs (and enable TTL on ``ttl_attribute``); returns False if it already existed."""
    try:
        client.create_table(**create_table_request(table_name))
        created = True
    except client.exceptions.ResourceInUseException:
        if not exist_ok:
            raise
        created = False
    if wait:
        deadline = time.monotonic() + 300
        while True:
            desc = client.describe_table(TableName=table_name)["Table"]
            busy = desc.get("TableStatus") != "ACTIVE" or any(
                g.get("IndexStatus") not in (None, "ACTIVE") for g in desc.get("GlobalSecondaryIndexes", []))
            if not busy or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    if created and ttl_attribute:
        client.update_time_to_live(TableName=table_name,
                                   TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute})
    return created


def verify_table(description: dict[str, Any]) -> list[str]:
    """What the described table lacks compared with the layout (empty: it is usable)."""
    problems: list[str] = []
    name = description.get("TableName", "?")
    keys = {k["AttributeName"]: k["KeyType"] for k in description.get("KeySchema", [])}
    types = {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", [])}
    if keys != {"pk": "HASH", "sk": "RANGE"}:
        problems.append(f"table {name!r} must have primary key pk (HASH, S) + sk (RANGE, S); it has {keys or 'none'}")
    for attr in ("pk", "sk"):
        if attr in keys and types.get(attr) != "S":
            problems.append(f"key attribute {attr!r} must be of type S, not {types.get(attr)}")
    present = {g["IndexName"]: g for g in description.get("GlobalSecondaryIndexes", []) or []}
    for g in GSIS:
        idx = present.get(g)
        if idx is None:
            problems.append(f"missing GSI {g!r}: partition key {g}pk (S), sort key {g}sk (N), projection ALL")
            continue
        ks = {k["AttributeName"]: k["KeyType"] for k in idx.get("KeySchema", [])}
        if ks != {f"{g}pk": "HASH", f"{g}sk": "RANGE"}:
            problems.append(f"GSI {g!r} must have keys {g}pk (HASH) + {g}sk (RANGE); it has {ks}")
        if types.get(f"{g}pk") != "S" or types.get(f"{g}sk") != "N":
            problems.append(f"GSI {g!r} key types must be {g}pk S and {g}sk N; they are "
                            f"{types.get(f'{g}pk')} and {types.get(f'{g}sk')}")
        if idx.get("Projection", {}).get("ProjectionType") != "ALL":
            problems.append(f"GSI {g!r} must project ALL attributes")
        if idx.get("IndexStatus") not in (None, "ACTIVE"):
            problems.append(f"GSI {g!r} is {idx.get('IndexStatus')}, not ACTIVE yet")
    if description.get("TableStatus") not in (None, "ACTIVE", "UPDATING"):
        problems.append(f"table {name!r} is {description.get('TableStatus')}")
    return problems
