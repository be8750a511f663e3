"""The same operations on either side: write the data set, read it back as normalised wire dicts.

``write_*`` take the data set's wire dicts; ``read_*`` return what that side reads, normalised by
``dataset.norm`` so the two sides and the input compare field by field.
"""

from __future__ import annotations

from typing import Any

from mastra_core import Storage
from mastra_core.serde import to_wire

from .conftest import Ref, RefError
from .dataset import norm

WF = "interop-wf"


def py_wire(record: Any) -> Any:
    """A Python record (or None) as normalised wire data; messages carry ``type`` as stored (``v2``)."""
    if record is None:
        return None
    wire = to_wire(record)
    if "role" in wire and "content" in wire:
        wire["type"] = wire.get("type") or "v2"
    return norm(wire)


def ref_message(m: dict[str, Any]) -> dict[str, Any]:
    """A message the reference returned, normalised."""
    return dict(norm(m))


# ---------------------------------------------------------------- Python


async def py_write(s: Storage, data: dict[str, Any]) -> dict[str, Any]:
    """Write the data set through Python; returns generated values (the score's id)."""
    mem = s.get_store("memory")
    await mem.save_thread(thread=data["thread"])
    await mem.save_messages(messages=data["messages"])
    await mem.save_resource(resource=data["resource"])
    await s.get_store("workflows").persist_workflow_snapshot(
        workflow_name=WF, run_id=data["run_id"], resource_id=data["resource"]["id"], snapshot=data["snapshot"])
    score = await s.get_store("scores").save_score(score=data["score"])
    obs = s.get_store("observability")
    for sp in data["spans"]:
        await obs.create_span(span=sp)
    await s.get_store("agents").create_agent(agent=data["agent"])
    return {"score_id": score.id}


async def py_read(s: Storage, data: dict[str, Any], score_id: str | None) -> dict[str, Any]:
    """Read every record of the data set through Python."""
    mem = s.get_store("memory")
    tid = data["thread"]["id"]
    page = await mem.list_messages(thread_id=tid, per_page=False)
    run = await s.get_store("workflows").get_workflow_run_by_id(run_id=data["run_id"], workflow_name=WF)
    trace = await s.get_store("observability").get_trace(trace_id=data["spans"][0]["traceId"])
    return {
        "thread": py_wire(await mem.get_thread_by_id(thread_id=tid)),
        "messages": [py_wire(m) for m in page.items],
        "resource": py_wire(await mem.get_resource_by_id(resource_id=data["resource"]["id"])),
        "run": py_wire(run),
        "snapshot": norm(await s.get_store("workflows").load_workflow_snapshot(workflow_name=WF,
                                                                              run_id=data["run_id"])),
        "score": py_wire(await s.get_store("scores").get_score_by_id(id=score_id)) if score_id else None,
        "spans": sorted((py_wire(sp) for sp in trace.spans), key=lambda x: x["spanId"]) if trace else None,
        "agent": py_wire(await s.get_store("agents").get_agent_by_id(id=data["agent"]["id"])),
    }


# ---------------------------------------------------------------- reference


def span_arg(backend: str, span: dict[str, Any]) -> Any:
    """``createSpan``'s argument: ``{span}`` in 1.0; the span itself in @mastra/mongodb 1.0.0-beta.6."""
    return span if backend == "mongodb" else {"span": span}


def trace_arg(backend: str, trace_id: str) -> Any:
    """``getTrace``'s argument: ``{traceId}`` in 1.0; the id itself in @mastra/mongodb 1.0.0-beta.6."""
    return trace_id if backend == "mongodb" else {"traceId": trace_id}


def ref_write(ref: Ref, data: dict[str, Any], *, agents: bool) -> tuple[dict[str, Any], list[str]]:
    """Write the data set through the reference; returns generated values and the ops it refused."""
    ops: list[tuple[str | None, str, list[Any]]] = [
        ("memory", "saveThread", [{"thread": data["thread"]}]),
        ("memory", "saveMessages", [{"messages": data["messages"]}]),
        ("memory", "saveResource", [{"resource": data["resource"]}]),
        ("workflows", "persistWorkflowSnapshot", [{"workflowName": WF, "runId": data["run_id"],
                                                   "resourceId": data["resource"]["id"],
                                                   "snapshot": data["snapshot"]}]),
        ("scores", "saveScore", [data["score"]]),
        *(("observability", "createSpan", [span_arg(ref.backend, sp)]) for sp in data["spans"]),
    ]
    if agents:
        ops.append(("agents", "createAgent", [{"agent": data["agent"]}]))
    results = ref.run(*ops)
    refused = [f"{m}: {r['error'][:200]}" for (_, m, _), r in zip(ops, results, strict=True) if not r["ok"]]
    score = results[4].get("value") or {}
    return {"score_id": (score.get("score") or {}).get("id")}, refused


def ref_read(ref: Ref, data: dict[str, Any], score_id: str | None, *, agents: bool,
             errors: list[str] | None = None) -> dict[str, Any]:
    """Read every record of the data set through the reference; a read it fails is None, and its error goes to
    ``errors`` (``ref failed <method>: ...``) when given, else raises."""
    tid = data["thread"]["id"]
    ops: list[tuple[str | None, str, list[Any]]] = [
        ("memory", "getThreadById", [{"threadId": tid}]),
        ("memory", "listMessages", [{"threadId": tid, "perPage": False}]),
        ("memory", "getResourceById", [{"resourceId": data["resource"]["id"]}]),
        ("workflows", "getWorkflowRunById", [{"runId": data["run_id"], "workflowName": WF}]),
        ("workflows", "loadWorkflowSnapshot", [{"workflowName": WF, "runId": data["run_id"]}]),
        ("scores", "getScoreById", [{"id": score_id or "none"}]),
        ("observability", "getTrace", [trace_arg(ref.backend, data["spans"][0]["traceId"])]),
    ]
    if agents:
        ops.append(("agents", "getAgentById", [{"id": data["agent"]["id"]}]))
    results = ref.run(*ops)
    for (_, m, _), r in zip(ops, results, strict=True):
        if not r["ok"]:
            if errors is None:
                raise RefError(f"{m}: {r['error']}")
            errors.append(f"ref failed {m}: {r['error'][:160]}")
    v = [r.get("value") for r in results]
    trace = v[6]
    return {
        "thread": norm(v[0]),
        "messages": [ref_message(m) for m in (v[1] or {}).get("messages", [])],
        "resource": norm(v[2]),
        "run": norm(v[3]),
        "snapshot": norm(v[4]),
        "score": norm(v[5]) if score_id else None,
        "spans": sorted((norm(sp) for sp in trace["spans"]), key=lambda x: x["spanId"]) if trace else None,
        "agent": norm(v[7]) if agents and v[7] is not None else None,
    }
