"""The exporter with the real OpenTelemetry SDK, on every backend: nested GenAI spans, an error span, events,
links, batching, and the trace read back through ``storage.observability.get_trace`` and the tree reader."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from mastra_core import Storage
from mastra_core.sync import SyncStorage
from mastra_otel import MastraSpanExporter, get_trace_tree, get_trace_tree_sync
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode, format_trace_id

T0 = 1_767_225_600_123_456_789  # 2026-01-01T00:00:00.123456789Z in ns


def ns(ms: int) -> int:
    return T0 + ms * 1_000_000


def provider_with(processor: Any) -> TracerProvider:
    provider = TracerProvider(
        resource=Resource.create({"service.name": "weather-app", "deployment.environment.name": "test"})
    )
    provider.add_span_processor(processor)
    return provider


def record_agent_turn(provider: TracerProvider) -> tuple[str, str]:
    """An agent run with a chat call, a failing tool call and a plain span; returns (trace id, linked trace id)."""
    tracer = provider.get_tracer("my.instrumentation", "1.2.3")
    other = tracer.start_span("elsewhere", start_time=ns(0))
    other.end(end_time=ns(1))
    with tracer.start_as_current_span(
        "invoke_agent weather",
        kind=SpanKind.INTERNAL,
        start_time=ns(0),
        end_on_exit=False,
        links=[Link(other.get_span_context(), {"reason": "follow-up"})],
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "weather",
            "gen_ai.agent.id": "agent-7",
            "gen_ai.conversation.id": "thread-1",
            "user.id": "u-1",
            "gen_ai.provider.name": "openai",
            "app.custom": "kept",
        },
    ) as agent:
        with tracer.start_as_current_span(
            "chat gpt-4o",
            kind=SpanKind.CLIENT,
            start_time=ns(5),
            end_on_exit=False,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.usage.input_tokens": 120,
                "gen_ai.usage.output_tokens": 30,
                "gen_ai.request.temperature": 0.2,
                "gen_ai.response.finish_reasons": ["tool_calls"],
                "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]',
                "gen_ai.output.messages": '[{"role": "assistant", "parts": []}]',
            },
        ) as chat:
            chat.add_event("gen_ai.content.chunk", {"index": 1}, timestamp=ns(7))
            chat.end(end_time=ns(9))
        with tracer.start_as_current_span(
            "execute_tool get_weather",
            start_time=ns(10),
            end_on_exit=False,
            record_exception=False,
            set_status_on_exception=False,
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "get_weather",
                "gen_ai.tool.call.id": "call_1",
                "gen_ai.tool.call.arguments": '{"city": "Paris"}',
            },
        ) as tool:
            try:
                raise TimeoutError("weather service timed out")
            except TimeoutError as exc:
                tool.record_exception(exc, timestamp=ns(11))
                tool.set_status(Status(StatusCode.ERROR, "weather service timed out"))
            tool.end(end_time=ns(12))
        with tracer.start_as_current_span("format answer", start_time=ns(13), end_on_exit=False) as plain:
            plain.set_attribute("tags", ["a", "b"])
            plain.end(end_time=ns(14))
        agent.end(end_time=ns(20))
    return format_trace_id(agent.get_span_context().trace_id), format_trace_id(other.get_span_context().trace_id)


def at(ms: int) -> datetime:
    return datetime(2026, 1, 1, 0, 0, 0, (123 + ms) * 1000, tzinfo=UTC)


async def check_stored_turn(storage: Storage, trace_id: str, linked: str) -> None:
    trace = await storage.observability.get_trace(trace_id=trace_id)
    assert trace is not None
    by_name = {s.name: s for s in trace.spans}
    assert sorted(by_name) == ["chat gpt-4o", "execute_tool get_weather", "format answer", "invoke_agent weather"]
    agent, chat = by_name["invoke_agent weather"], by_name["chat gpt-4o"]
    tool, plain = by_name["execute_tool get_weather"], by_name["format answer"]

    assert (agent.span_type, chat.span_type, tool.span_type, plain.span_type) == (
        "agent_run",
        "model_generation",
        "tool_call",
        "generic",
    )
    assert agent.parent_span_id is None
    assert chat.parent_span_id == tool.parent_span_id == plain.parent_span_id == agent.span_id
    assert (agent.started_at, agent.ended_at, chat.started_at, chat.ended_at) == (at(0), at(20), at(5), at(9))
    assert (agent.entity_type, agent.entity_id, agent.entity_name) == ("agent", "agent-7", "weather")
    assert (agent.thread_id, agent.user_id, agent.service_name, agent.environment, agent.source) == (
        "thread-1",
        "u-1",
        "weather-app",
        "test",
        "otel",
    )
    assert agent.scope == {"name": "my.instrumentation", "version": "1.2.3"}
    assert agent.attributes is not None and agent.attributes["app.custom"] == "kept"
    assert agent.links == [
        {"traceId": linked, "spanId": agent.links[0]["spanId"], "attributes": {"reason": "follow-up"}}
    ]

    assert chat.attributes is not None
    assert {k: chat.attributes[k] for k in ("model", "provider", "usage", "parameters", "finishReason")} == {
        "model": "gpt-4o-2024-08-06",
        "provider": "openai",
        "usage": {"inputTokens": 120, "outputTokens": 30, "totalTokens": 150},
        "parameters": {"temperature": 0.2},
        "finishReason": ["tool_calls"],
    }
    assert chat.attributes["gen_ai.usage.input_tokens"] == 120  # the original attribute is kept too
    assert chat.input == [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    assert chat.output == [{"role": "assistant", "parts": []}]
    assert chat.metadata is not None
    otel = chat.metadata["otel"]
    assert (otel["kind"], otel["status"]) == ("CLIENT", {"code": "UNSET"})
    assert otel["events"] == [
        {"name": "gen_ai.content.chunk", "timestamp": "2026-01-01T00:00:00.130Z", "attributes": {"index": 1}}
    ]
    assert otel["resource"]["service.name"] == "weather-app"
    assert chat.error is None

    assert (tool.entity_type, tool.entity_name, tool.input) == ("tool", "get_weather", {"city": "Paris"})
    assert tool.attributes is not None and tool.attributes["toolCallId"] == "call_1"
    assert tool.error is not None
    assert (tool.error["message"], tool.error["type"]) == ("weather service timed out", "TimeoutError")
    assert "Traceback" in tool.error["stack"]
    assert tool.metadata is not None and tool.metadata["otel"]["status"]["code"] == "ERROR"
    assert plain.attributes == {"tags": ["a", "b"]}

    roots = await get_trace_tree(storage, trace_id)
    assert roots is not None and len(roots) == 1
    assert [(depth, node.span.name) for depth, node in roots[0].walk()] == [
        (0, "invoke_agent weather"),
        (1, "chat gpt-4o"),
        (1, "execute_tool get_weather"),
        (1, "format answer"),
    ]
    found = roots[0].find("execute_tool get_weather")
    assert found is not None and found.span.error is not None
    assert await get_trace_tree(storage, "0" * 32) is None

    listed = await storage.observability.list_traces(filters={"source": "otel", "span_type": "agent_run"})
    assert [s.trace_id for s in listed.items] == [trace_id]


async def test_batch_span_processor(storage: Storage) -> None:
    exporter = MastraSpanExporter(storage)
    provider = provider_with(BatchSpanProcessor(exporter))
    trace_id, linked = record_agent_turn(provider)
    # the processor's worker thread writes on this loop: flush from a thread so the loop stays free
    assert await asyncio.to_thread(provider.force_flush)
    await asyncio.to_thread(provider.shutdown)
    await check_stored_turn(storage, trace_id, linked)
    linked_trace = await storage.observability.get_trace(trace_id=linked)
    assert linked_trace is not None and [s.name for s in linked_trace.spans] == ["elsewhere"]


async def test_simple_span_processor_on_the_event_loop(storage: Storage) -> None:
    exporter = MastraSpanExporter(storage)
    provider = provider_with(SimpleSpanProcessor(exporter))
    trace_id, linked = record_agent_turn(provider)  # every span ends (and is exported) on this loop's thread
    await exporter.flush()
    await check_stored_turn(storage, trace_id, linked)
    provider.shutdown()
    assert exporter.export([]) is SpanExportResult.FAILURE  # shut down


async def test_one_batch_create_spans_per_export(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    captured = InMemorySpanExporter()
    provider = provider_with(SimpleSpanProcessor(captured))
    trace_id, _ = record_agent_turn(provider)
    spans = captured.get_finished_spans()
    assert len(spans) == 5

    calls: list[int] = []
    store = storage.observability
    original = store.batch_create_spans

    async def counting(*, records: Any, op: str = "BATCH_CREATE_SPANS") -> None:
        calls.append(len(records))
        await original(records=records, op=op)

    monkeypatch.setattr(store, "batch_create_spans", counting)
    result = await asyncio.to_thread(MastraSpanExporter(storage).export, spans)
    assert result is SpanExportResult.SUCCESS
    assert calls == [5]
    trace = await storage.observability.get_trace(trace_id=trace_id)
    assert trace is not None and len(trace.spans) == 4


async def test_a_failing_write_is_reported_not_raised(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = MastraSpanExporter(storage)
    store = storage.observability

    async def broken(**_: Any) -> None:
        raise RuntimeError("disk full")

    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    captured = InMemorySpanExporter()
    record_agent_turn(provider_with(SimpleSpanProcessor(captured)))
    monkeypatch.setattr(store, "batch_create_spans", broken)
    assert await asyncio.to_thread(exporter.export, captured.get_finished_spans()) is SpanExportResult.FAILURE


def test_a_sync_storage_works_from_any_thread(sync_storage: SyncStorage) -> None:
    """A blocking storage: both processors export from their own thread, the app reads without an event loop."""
    exporter = MastraSpanExporter(sync_storage)
    batch = provider_with(BatchSpanProcessor(exporter))
    trace_id, _ = record_agent_turn(batch)
    assert batch.force_flush()
    simple = provider_with(SimpleSpanProcessor(exporter))
    second, _ = record_agent_turn(simple)
    for tid in (trace_id, second):
        roots = get_trace_tree_sync(sync_storage, tid)
        assert roots is not None and len(roots) == 1
        assert [node.span.span_type for _, node in roots[0].walk()] == [
            "agent_run",
            "model_generation",
            "tool_call",
            "generic",
        ]
    batch.shutdown()
    assert exporter.export([]) is SpanExportResult.FAILURE


def test_an_async_storage_needs_its_loop() -> None:
    from mastra_core import create_storage

    with pytest.raises(ValueError, match="event loop"):
        MastraSpanExporter(create_storage("inmemory", id="no-loop"))
