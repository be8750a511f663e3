"""Records <-> MongoDB documents, in the reference implementation's field names.

Dates are BSON dates; message ``content`` is JSON text; resource ``metadata`` is JSON text (as the
reference writes it); thread metadata, snapshots, scores and spans keep their objects. ``_id`` is the
server's and is ignored, as are our bookkeeping fields (``seq``, ``rev``, ``expiresAt``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.clock import parse_datetime, to_ms
from mastra_core.serde import content_from_json, content_to_json, from_wire, json_dumps, to_wire, wire_names

from .codec import dec, enc
from .schema import EXPIRES, REV, SEQ

_BOOKKEEPING = ("_id", SEQ, REV, EXPIRES)


def clean(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without the server's ``_id`` and our bookkeeping fields, values decoded (see codec.py)."""
    return {k: dec(v) for k, v in doc.items() if k not in _BOOKKEEPING}


def _date(value: Any) -> datetime | None:
    return None if value is None else parse_datetime(value)


def _json_text(value: Any) -> str:
    """JSON text for a JSON-string field; ASCII-escaped only when it holds lone surrogates (BSON needs UTF-8)."""
    if isinstance(value, r.MessageContent):
        text = content_to_json(value)
        data: Any = None
    else:
        data = value
        text = json_dumps(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(to_wire(value) if data is None else data, ensure_ascii=True, separators=(",", ":"))
    return text


def _json_object(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# ---------------------------------------------------------------- threads, resources, messages


def thread_doc(t: r.Thread) -> dict[str, Any]:
    return {"id": t.id, "resourceId": t.resource_id, "title": enc(t.title), "metadata": enc(t.metadata),
            "createdAt": t.created_at, "updatedAt": t.updated_at}


def thread_from(doc: dict[str, Any]) -> r.Thread:
    doc = clean(doc)
    metadata = _json_object(doc.get("metadata"))
    return r.Thread(id=doc["id"], resource_id=doc.get("resourceId"), title=doc.get("title"),
                    metadata=metadata, created_at=to_ms(doc["createdAt"]) if doc.get("createdAt") else parse_datetime(0),
                    updated_at=to_ms(doc["updatedAt"]) if doc.get("updatedAt") else parse_datetime(0))


def resource_doc(res: r.Resource) -> dict[str, Any]:
    return {"id": res.id, "workingMemory": enc(res.working_memory),
            "metadata": None if res.metadata is None else _json_text(res.metadata),
            "createdAt": res.created_at, "updatedAt": res.updated_at}


def resource_from(doc: dict[str, Any]) -> r.Resource:
    doc = clean(doc)
    return r.Resource(id=doc["id"], working_memory=doc.get("workingMemory"), metadata=_json_object(doc.get("metadata")),
                      created_at=_date(doc.get("createdAt")) or parse_datetime(0),
                      updated_at=_date(doc.get("updatedAt")) or parse_datetime(0))


def message_fields(m: r.Message) -> dict[str, Any]:
    """Every field of a message document but ``createdAt`` (which an upsert keeps)."""
    return {"id": m.id, "thread_id": m.thread_id, "resourceId": m.resource_id, "role": m.role,
            "type": m.type or "v2", "content": _json_text(m.content)}


def message_from(doc: dict[str, Any]) -> r.Message:
    doc = clean(doc)
    kind = doc.get("type")
    return r.Message(id=doc["id"], role=doc.get("role", "user"), content=content_from_json(doc.get("content")),
                     thread_id=doc.get("thread_id"), resource_id=doc.get("resourceId"),
                     created_at=_date(doc.get("createdAt")) or parse_datetime(0),
                     type=None if kind in (None, "v2") else kind)


# ---------------------------------------------------------------- workflows


def run_doc(run: r.WorkflowRun) -> dict[str, Any]:
    return {"workflow_name": run.workflow_name, "run_id": run.run_id, "resourceId": run.resource_id,
            "snapshot": enc(run.snapshot), "createdAt": run.created_at, "updatedAt": run.updated_at}


def run_from(doc: dict[str, Any]) -> r.WorkflowRun:
    doc = clean(doc)
    snapshot = _json_object(doc.get("snapshot"))
    return r.WorkflowRun(workflow_name=doc["workflow_name"], run_id=doc["run_id"],
                         snapshot=snapshot if isinstance(snapshot, dict) else {"value": snapshot},
                         resource_id=doc.get("resourceId"),
                         created_at=_date(doc.get("createdAt")) or parse_datetime(0),
                         updated_at=_date(doc.get("updatedAt")) or parse_datetime(0))


# ---------------------------------------------------------------- wire-form records (scores, spans, agents, legacy)


def _dated_wire(record: Any) -> dict[str, Any]:
    """The wire form of a record with its datetime attributes as BSON dates instead of ISO text."""
    doc = to_wire(record)
    names = wire_names(type(record))
    for field in attrs.fields(type(record)):
        value = getattr(record, field.name, None)
        if isinstance(value, datetime):
            doc[names[field.name]] = to_ms(value)
    return doc


def wire_doc(record: Any) -> dict[str, Any]:
    return {k: enc(v) for k, v in _dated_wire(record).items()}


def wire_from(doc: dict[str, Any], cls: type[Any]) -> Any:
    return from_wire(clean(doc), cls)


def all_wire_keys(cls: type[Any]) -> list[str]:
    return list(wire_names(cls).values())
