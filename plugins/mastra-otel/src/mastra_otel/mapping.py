"""One finished OpenTelemetry span -> one span record of the observability domain.

The GenAI semantic conventions decide the span type: ``gen_ai.operation.name`` ``invoke_agent`` /
``create_agent`` is an agent run, ``chat`` / ``text_completion`` / ``generate_content`` / ``embeddings`` a
model generation, ``execute_tool`` a tool call; everything else is generic. The conventions' well-known
attributes are also written under the names mastra's own spans use (``model``, ``provider``, ``usage`` ...,
the agent or tool as the span's entity, the conversation as its thread, input and output messages as its
input and output), and every attribute is kept verbatim under its dotted OpenTelemetry name. Events,
the status, the span kind, the resource and the trace state go to ``metadata["otel"]``, links to ``links``,
an error status (with the recorded exception) to ``error``. ``started_at``/``ended_at`` keep millisecond
precision; the nanosecond times stay in ``metadata["otel"]``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mastra_core import records as r
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode, format_span_id, format_trace_id

#: ``gen_ai.operation.name`` -> span type.
SPAN_TYPES = {
    "invoke_agent": "agent_run",
    "create_agent": "agent_run",
    "chat": "model_generation",
    "text_completion": "model_generation",
    "generate_content": "model_generation",
    "embeddings": "model_generation",
    "execute_tool": "tool_call",
}
#: Where a span was recorded, as ``source`` of the stored span (so OpenTelemetry traces can be filtered).
SOURCE = "otel"

_INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
_OUTPUT_TOKENS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")


def _time(ns: int | None) -> datetime | None:
    if ns is None:
        return None
    ms = ns // 1_000_000
    return datetime.fromtimestamp(ms // 1000, tz=UTC).replace(microsecond=(ms % 1000) * 1000)


def _iso(ns: int) -> str:
    stamp = _time(ns)
    assert stamp is not None
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    """An attribute value as JSON (OpenTelemetry hands sequences over as tuples)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _attrs(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: _plain(v) for k, v in (values or {}).items()}


def _first(attrs: Mapping[str, Any], *keys: str) -> Any:
    return next((attrs[k] for k in keys if attrs.get(k) is not None), None)


def _json(value: Any) -> Any:
    """A JSON-encoded attribute (``gen_ai.input.messages`` ...) decoded; anything else as it is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def span_type(attrs: Mapping[str, Any]) -> str:
    """The observability span type of a span with these attributes."""
    return SPAN_TYPES.get(str(attrs.get("gen_ai.operation.name", "")), "generic")


def _genai(kind: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The conventions' attributes under mastra's names (only those present)."""
    out: dict[str, Any] = {}
    if kind == "model_generation":
        out["model"] = _first(attrs, "gen_ai.response.model", "gen_ai.request.model")
        out["provider"] = _first(attrs, "gen_ai.provider.name", "gen_ai.system")
        usage = {
            "inputTokens": _first(attrs, *_INPUT_TOKENS),
            "outputTokens": _first(attrs, *_OUTPUT_TOKENS),
        }
        if usage["inputTokens"] is not None and usage["outputTokens"] is not None:
            usage["totalTokens"] = usage["inputTokens"] + usage["outputTokens"]
        out["usage"] = {k: v for k, v in usage.items() if v is not None} or None
        params = {k.removeprefix("gen_ai.request."): v for k, v in attrs.items()
                  if k.startswith("gen_ai.request.") and k != "gen_ai.request.model"}
        out["parameters"] = params or None
        out["finishReason"] = _first(attrs, "gen_ai.response.finish_reasons")
        out["responseId"] = attrs.get("gen_ai.response.id")
    elif kind == "agent_run":
        out["agentId"] = _first(attrs, "gen_ai.agent.id", "gen_ai.agent.name")
        out["agentDescription"] = attrs.get("gen_ai.agent.description")
        out["model"] = attrs.get("gen_ai.request.model")
        out["provider"] = _first(attrs, "gen_ai.provider.name", "gen_ai.system")
    elif kind == "tool_call":
        out["toolId"] = attrs.get("gen_ai.tool.name")
        out["toolCallId"] = attrs.get("gen_ai.tool.call.id")
        out["toolType"] = attrs.get("gen_ai.tool.type")
        out["toolDescription"] = attrs.get("gen_ai.tool.description")
    return {k: v for k, v in out.items() if v is not None}


def _entity(kind: str, attrs: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    if kind == "agent_run" or (kind != "tool_call" and "gen_ai.agent.name" in attrs):
        name = _str(attrs.get("gen_ai.agent.name"))
        return "agent", _str(_first(attrs, "gen_ai.agent.id", "gen_ai.agent.name")), name
    if kind == "tool_call":
        name = _str(attrs.get("gen_ai.tool.name"))
        return "tool", name, name
    return None, None, None


def _io(kind: str, attrs: Mapping[str, Any]) -> tuple[Any, Any]:
    if kind == "tool_call":
        return _json(attrs.get("gen_ai.tool.call.arguments")), _json(attrs.get("gen_ai.tool.call.result"))
    inp = attrs.get("gen_ai.input.messages")
    system = attrs.get("gen_ai.system_instructions")
    out = attrs.get("gen_ai.output.messages")
    if system is not None and inp is not None:
        return {"system": _json(system), "messages": _json(inp)}, _json(out)
    return _json(inp if inp is not None else system), _json(out)


def _error(span: ReadableSpan) -> dict[str, Any] | None:
    if span.status.status_code is not StatusCode.ERROR:
        return None
    error: dict[str, Any] = {"message": span.status.description or ""}
    exc = next((e for e in reversed(span.events) if e.name == "exception"), None)
    if exc is not None:
        ea = exc.attributes or {}
        error["message"] = error["message"] or str(ea.get("exception.message", ""))
        for key, name in (("exception.type", "type"), ("exception.stacktrace", "stack")):
            if ea.get(key) is not None:
                error[name] = ea[key]
    if span.attributes and span.attributes.get("error.type") is not None:
        error.setdefault("type", span.attributes["error.type"])
    return error


def span_record(span: ReadableSpan) -> r.Span:
    """The observability record of one finished OpenTelemetry span."""
    ctx = span.get_span_context()
    if ctx is None:
        raise ValueError(f"span {span.name!r} has no span context")
    attrs = _attrs(span.attributes)
    resource = _attrs(span.resource.attributes) if span.resource is not None else {}
    kind = span_type(attrs)
    entity_type, entity_id, entity_name = _entity(kind, attrs)
    inp, out = _io(kind, attrs)
    otel: dict[str, Any] = {
        "kind": span.kind.name,
        "status": {"code": span.status.status_code.name, **(
            {"description": span.status.description} if span.status.description else {})},
        "events": [
            {"name": e.name, "timestamp": _iso(e.timestamp), "attributes": _attrs(e.attributes)} for e in span.events
        ],
        "resource": resource,
        "traceFlags": int(ctx.trace_flags),
        # the exact times: siblings started within one millisecond keep their order in a tree. Decimal strings, as
        # OTLP/JSON writes these 64-bit fields: nanoseconds since 1970 exceed the value domain's 2^53 integers
        "startTimeUnixNano": None if span.start_time is None else str(span.start_time),
        "endTimeUnixNano": None if span.end_time is None else str(span.end_time),
    }
    if ctx.trace_state:
        otel["traceState"] = ctx.trace_state.to_header()
    if span.parent is not None and span.parent.is_remote:
        otel["parentIsRemote"] = True
    if span.dropped_attributes or span.dropped_events or span.dropped_links:
        otel["dropped"] = {"attributes": span.dropped_attributes, "events": span.dropped_events,
                           "links": span.dropped_links}
    scope = span.instrumentation_scope
    started = _time(span.start_time)
    return r.Span(
        trace_id=format_trace_id(ctx.trace_id),
        span_id=format_span_id(ctx.span_id),
        parent_span_id=format_span_id(span.parent.span_id) if span.parent is not None else None,
        name=span.name or "(unnamed)",
        span_type=kind,
        started_at=started if started is not None else datetime.now(tz=UTC),
        ended_at=_time(span.end_time),
        entity_type=entity_type,
        entity_id=entity_id,
        entity_name=entity_name,
        user_id=_str(_first(attrs, "user.id", "enduser.id")),
        session_id=_str(attrs.get("session.id")),
        thread_id=_str(attrs.get("gen_ai.conversation.id")),
        environment=_str(_first(resource, "deployment.environment.name", "deployment.environment")),
        service_name=_str(resource.get("service.name")),
        source=SOURCE,
        scope={k: v for k, v in (("name", scope.name), ("version", scope.version), ("schemaUrl", scope.schema_url))
               if v} if scope is not None else None,
        attributes={**_genai(kind, attrs), **attrs},
        metadata={"otel": otel},
        links=[{"traceId": format_trace_id(link.context.trace_id), "spanId": format_span_id(link.context.span_id),
                "attributes": _attrs(link.attributes)} for link in span.links] or None,
        input=inp,
        output=out,
        error=_error(span),
    )
