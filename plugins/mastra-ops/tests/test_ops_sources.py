"""The ``mastra-ts+`` sources without a service: URL routing and the record builders on the reference's stored
shapes (the end-to-end tests, with data written by the real packages, are in tests/interop/test_ref_layouts.py)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from mastra_core.errors import ConfigError
from mastra_ops.sources import is_source_url, open_source
from mastra_ops.sources import records as rec


def test_urls_route_to_their_layout() -> None:
    """``mastra-ts+`` URLs are sources; other schemes under it are refused before any I/O."""
    assert is_source_url("mastra-ts+dynamodb://t") and not is_source_url("dynamodb://t")
    assert type(open_source("mastra-ts+dynamodb://127.0.0.1:1/tbl", {})).__name__ == "DynamoTsSource"
    assert type(open_source("mastra-ts+redis://127.0.0.1:1/0", {})).__name__ == "UpstashTsSource"
    with pytest.raises(ConfigError, match="mastra-ts\\+dynamodb"):
        open_source("mastra-ts+mongodb://127.0.0.1/x", {})


def test_dynamodb_score_item_becomes_the_score() -> None:
    """JSON held as text, "" for unset ids, ``entityData`` for the entity (ElectroDB owns ``entity``)."""
    item = {
        "entity": "score", "id": "s1", "scorerId": "rel", "entityId": "a1", "runId": "run", "source": "LIVE",
        "score": Decimal("0.75"), "scorer": json.dumps({"id": "rel"}), "entityData": json.dumps({"id": "a1"}),
        "input": json.dumps([{"role": "user"}]), "output": json.dumps({"text": "a"}), "traceId": "", "spanId": "",
        "resourceId": "", "threadId": "t1", "createdAt": "2026-01-02T03:04:05.678Z",
        "updatedAt": "2026-01-02T03:04:05.678Z", "pk": "$mastra#entity_score#id_s1",
    }
    score = rec.score(rec.plain(item))
    assert score.entity == {"id": "a1"} and score.scorer == {"id": "rel"} and score.input == [{"role": "user"}]
    assert (score.trace_id, score.span_id, score.resource_id, score.thread_id) == (None, None, None, "t1")
    assert score.score == 0.75 and score.created_at.isoformat() == "2026-01-02T03:04:05.678000+00:00"


def test_message_without_content_and_v2_type() -> None:
    """A message stored without content reads as the reference's empty text part; type 'v2' is the default."""
    msg = rec.message({"id": "m", "role": "user", "threadId": "t", "createdAt": "2026-01-02T03:04:05.678Z",
                       "type": "v2", "_index": 3})
    assert msg.type is None and [p.type for p in msg.content.parts] == ["text"]
    text = rec.message({"id": "m", "role": "user", "threadId": "t", "createdAt": "2026-01-02T03:04:05.678Z",
                        "content": json.dumps({"format": 2, "parts": [{"type": "text", "text": "hi"}]})})
    assert text.text == "hi"


def test_json_fields_as_the_reference_getters_read_them() -> None:
    """Only text that starts like a JSON object or array is parsed; metadata must be an object."""
    assert rec.json_value('{"a": 1}') == {"a": 1} and rec.json_value("plain") == "plain"
    assert rec.json_object("[1]") is None and rec.json_object('{"k": "v"}') == {"k": "v"}
    assert rec.workflow_run({"workflow_name": "w", "run_id": "r", "snapshot": "not json",
                             "createdAt": "2026-01-02T03:04:05.678Z"}) is None
