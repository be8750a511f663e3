"""Records from the reference's stored shapes (camelCase dicts, JSON fields possibly held as JSON text).

Both reference layouts keep, per record, the object the reference package was handed, with dates as ISO
text; @mastra/dynamodb also stores every JSON field as a JSON *string* (ElectroDB attribute setters) and
empty strings for unset ids. These functions undo both, the way the reference's own getters do, and build
the records the rest of mastra-ops copies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mastra_core import records as r
from mastra_core.clock import parse_datetime
from mastra_core.serde import content_from_json, from_wire

#: What the reference returns for a stored message without content (@mastra/upstash ``parseStoredMessage``).
EMPTY_CONTENT = {"format": 2, "parts": [{"type": "text", "text": ""}]}
#: Score fields the reference may hold as JSON text.
SCORE_JSON_FIELDS = (
    "scorer", "entity", "input", "output", "metadata", "additionalContext", "requestContext",
    "preprocessStepResult", "analyzeStepResult", "extractStepResult",
)
#: Score ids @mastra/dynamodb stores as "" when unset.
SCORE_OPTIONAL_IDS = ("traceId", "spanId", "resourceId", "threadId")


def plain(value: Any) -> Any:
    """DynamoDB numbers (Decimal) as int or float, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def json_value(value: Any) -> Any:
    """A JSON field as stored: JSON text starting with ``{`` or ``[`` is parsed (as the reference's getters do),
    anything else is returned as it is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def json_object(value: Any) -> dict[str, Any] | None:
    """A JSON object field (metadata...): the object, or None when there is none (or it is not an object)."""
    value = json_value(value)
    return dict(value) if isinstance(value, Mapping) else None


def thread(data: Mapping[str, Any]) -> r.Thread:
    """A stored thread."""
    created = parse_datetime(data["createdAt"])
    return r.Thread(
        id=str(data["id"]),
        resource_id=str(data["resourceId"]),
        title=data.get("title"),
        metadata=json_object(data.get("metadata")),
        created_at=created,
        updated_at=parse_datetime(data["updatedAt"]) if data.get("updatedAt") else created,
    )


def resource(data: Mapping[str, Any]) -> r.Resource:
    """A stored resource (working memory is text; the reference turns an object back into JSON text)."""
    created = parse_datetime(data["createdAt"])
    memory = data.get("workingMemory")
    if memory is not None and not isinstance(memory, str):
        memory = json.dumps(memory, ensure_ascii=False, separators=(",", ":"))
    return r.Resource(
        id=str(data["id"]),
        working_memory=memory,
        metadata=json_object(data.get("metadata")),
        created_at=created,
        updated_at=parse_datetime(data["updatedAt"]) if data.get("updatedAt") else created,
    )


def message(data: Mapping[str, Any]) -> r.Message:
    """A stored message; ``type`` "v2" is the default (None), as in every mastra backend."""
    mtype = data.get("type")
    content = data.get("content")
    return r.Message(
        id=str(data["id"]),
        role=data["role"],
        content=content_from_json(EMPTY_CONTENT if content in (None, "") else content),
        thread_id=data.get("threadId"),
        resource_id=data.get("resourceId") or None,
        created_at=parse_datetime(data["createdAt"]),
        type=None if mtype in (None, "v2") else str(mtype),
    )


def workflow_run(data: Mapping[str, Any]) -> r.WorkflowRun | None:
    """A stored workflow snapshot row; None when its snapshot is not a JSON object (nothing to resume)."""
    snapshot = json_value(data.get("snapshot"))
    if not isinstance(snapshot, Mapping):
        return None
    created = parse_datetime(data["createdAt"])
    return r.WorkflowRun(
        workflow_name=str(data["workflow_name"]),
        run_id=str(data["run_id"]),
        snapshot=dict(snapshot),
        resource_id=data.get("resourceId") or None,
        created_at=created,
        updated_at=parse_datetime(data["updatedAt"]) if data.get("updatedAt") else created,
    )


def score(data: Mapping[str, Any]) -> r.Score:
    """A stored score: JSON text parsed, "" ids unset, ``entityData`` (DynamoDB: ``entity`` is ElectroDB's own
    attribute there) read as ``entity``."""
    wire = dict(data)
    if "entityData" in wire:
        wire["entity"] = wire.pop("entityData")
    for name in SCORE_JSON_FIELDS:
        if name in wire:
            wire[name] = json_value(wire[name])
    for name in SCORE_OPTIONAL_IDS:
        if wire.get(name) == "":
            wire[name] = None
    if not isinstance(wire.get("entity"), Mapping):
        wire["entity"] = {}
    return from_wire(wire, r.Score)
