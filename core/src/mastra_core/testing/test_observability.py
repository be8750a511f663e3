"""Observability spans: create/batch create (upserts keeping created_at), get span/root/trace, updates, deletes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from mastra_core.clock import utc_now

from .factories import base_time, ms, raises_not_found, sample_span, uid

pytestmark = pytest.mark.requires("observability")


def _without_db_times(span):
    return attrs.evolve(span, created_at=None, updated_at=None)


async def _trace(observability, children: int = 2):
    t0 = base_time()
    root = sample_span(started_at=t0)
    kids = [
        sample_span(
            root.trace_id,
            name=f"child {i}",
            span_type="tool_call",
            parent_span_id=root.span_id,
            started_at=t0 + ms(10 * (i + 1)),
        )
        for i in range(children)
    ]
    await observability.batch_create_spans(records=[root, *kids])
    return root, kids


async def test_create_span_then_get_trace_preserves_every_field(observability) -> None:
    started = datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    span = sample_span(
        started_at=started,
        ended_at=started + ms(456),
        entity_type="agent",
        entity_id="agent-1",
        entity_name="Agent One",
        user_id="u",
        organization_id="org",
        resource_id="res",
        run_id="run",
        session_id="sess",
        thread_id="thr",
        request_id="req",
        environment="production",
        source="cloud",
        service_name="svc",
        scope={"core": "1.0"},
        metadata={"k": {"nested": [1, None]}},
        tags=["a", "b"],
        attributes={"model": "gpt"},
        links=[{"traceId": "x"}],
        input={"messages": [{"role": "user", "content": "hi"}]},
        output="just a string",
        error=None,
    )
    before = utc_now()
    await observability.create_span(span=span)
    trace = await observability.get_trace(trace_id=span.trace_id)
    assert trace.trace_id == span.trace_id
    [got] = trace.spans
    assert _without_db_times(got) == span
    assert got.parent_span_id is None
    assert got.created_at >= before and got.updated_at >= before


@pytest.mark.parametrize("value", ["plain string", 42, 1.5, True, None, [1, "two"], {"a": {"b": None}}])
async def test_json_fields_keep_primitives(observability, value) -> None:
    span = sample_span(input=value, output=value, error=value if value is not None else None)
    await observability.create_span(span=span)
    got = await observability.get_span(trace_id=span.trace_id, span_id=span.span_id)
    assert (got.input, got.output, got.error) == (value, value, value)


async def test_create_span_accepts_wire_mappings(observability) -> None:
    trace_id, span_id = uid("trace-"), uid("span-")
    started = base_time()
    await observability.create_span(
        span={
            "traceId": trace_id,
            "spanId": span_id,
            "name": "n",
            "spanType": "generic",
            "isEvent": True,
            "startedAt": started.isoformat(),
            "attributes": {"a": 1},
        }
    )
    got = await observability.get_span(trace_id=trace_id, span_id=span_id)
    assert (got.is_event, got.started_at, got.attributes, got.span_type) == (True, started, {"a": 1}, "generic")


async def test_create_span_again_replaces_it_and_keeps_created_at(observability) -> None:
    span = sample_span(name="first")
    await observability.create_span(span=span)
    first = await observability.get_span(trace_id=span.trace_id, span_id=span.span_id)
    await observability.create_span(span=attrs.evolve(span, name="second", output={"o": 1}))
    second = await observability.get_span(trace_id=span.trace_id, span_id=span.span_id)
    assert (second.name, second.output, second.created_at) == ("second", {"o": 1}, first.created_at)
    assert second.updated_at >= first.updated_at
    assert len((await observability.get_trace(trace_id=span.trace_id)).spans) == 1


async def test_batch_create_several_traces(observability) -> None:
    spans = [sample_span(), sample_span(), sample_span()]
    await observability.batch_create_spans(records=spans)
    for s in spans:
        assert _without_db_times(await observability.get_span(trace_id=s.trace_id, span_id=s.span_id)) == s


async def test_batch_create_empty_list(observability) -> None:
    await observability.batch_create_spans(records=[])
    assert (await observability.list_traces()).total == 0


async def test_get_trace_orders_spans_by_started_at(observability) -> None:
    t0 = base_time()
    root = sample_span(started_at=t0)
    later = sample_span(root.trace_id, parent_span_id=root.span_id, started_at=t0 + ms(20))
    earlier = sample_span(root.trace_id, parent_span_id=root.span_id, started_at=t0 + ms(10))
    await observability.batch_create_spans(records=[later, root, earlier])
    trace = await observability.get_trace(trace_id=root.trace_id)
    assert [s.span_id for s in trace.spans] == [root.span_id, earlier.span_id, later.span_id]


async def test_get_trace_of_unknown_trace_is_none(observability) -> None:
    assert await observability.get_trace(trace_id=uid("missing-")) is None


async def test_get_span(observability) -> None:
    root, kids = await _trace(observability)
    got = await observability.get_span(trace_id=root.trace_id, span_id=kids[1].span_id)
    assert _without_db_times(got) == kids[1]
    assert await observability.get_span(trace_id=uid(), span_id=root.span_id) is None
    assert await observability.get_span(trace_id=root.trace_id, span_id=uid()) is None


async def test_get_root_span_returns_only_the_root(observability) -> None:
    root, _ = await _trace(observability, 3)
    got = await observability.get_root_span(trace_id=root.trace_id)
    assert got.span_id == root.span_id and got.parent_span_id is None
    assert await observability.get_root_span(trace_id=uid()) is None


async def test_trace_without_root(observability) -> None:
    orphan = sample_span(parent_span_id=uid("parent-"))
    await observability.create_span(span=orphan)
    assert await observability.get_root_span(trace_id=orphan.trace_id) is None
    assert len((await observability.get_trace(trace_id=orphan.trace_id)).spans) == 1


async def test_update_span_sets_output_and_end_and_keeps_the_rest(observability) -> None:
    root, _ = await _trace(observability)
    before = await observability.get_span(trace_id=root.trace_id, span_id=root.span_id)
    ended = base_time() + ms(999)
    await observability.update_span(
        trace_id=root.trace_id,
        span_id=root.span_id,
        updates={"output": {"answer": 42}, "ended_at": ended, "name": "renamed"},
    )
    after = await observability.get_span(trace_id=root.trace_id, span_id=root.span_id)
    assert (after.output, after.ended_at, after.name) == ({"answer": 42}, ended, "renamed")
    assert (after.span_type, after.started_at, after.input, after.created_at) == (
        before.span_type,
        before.started_at,
        before.input,
        before.created_at,
    )
    assert after.updated_at >= before.updated_at


async def test_update_span_accepts_camel_case_and_iso_dates(observability) -> None:
    span = sample_span()
    await observability.create_span(span=span)
    ended = base_time() + ms(1)
    await observability.update_span(
        trace_id=span.trace_id,
        span_id=span.span_id,
        updates={"endedAt": ended.isoformat(), "entityName": "E", "metadata": {"m": 1}},
    )
    got = await observability.get_span(trace_id=span.trace_id, span_id=span.span_id)
    assert (got.ended_at, got.entity_name, got.metadata) == (ended, "E", {"m": 1})


async def test_update_span_can_clear_a_field(observability) -> None:
    span = sample_span(output={"x": 1}, tags=["t"])
    await observability.create_span(span=span)
    await observability.update_span(
        trace_id=span.trace_id, span_id=span.span_id, updates={"output": None, "tags": None}
    )
    got = await observability.get_span(trace_id=span.trace_id, span_id=span.span_id)
    assert got.output is None and not got.tags


async def test_update_missing_span_is_not_found(observability) -> None:
    with raises_not_found(observability, "UPDATE_SPAN"):
        await observability.update_span(trace_id=uid(), span_id=uid(), updates={"name": "x"})


async def test_batch_update_across_traces(observability) -> None:
    a, b = sample_span(), sample_span()
    await observability.batch_create_spans(records=[a, b])
    end = base_time() + ms(5)
    await observability.batch_update_spans(
        records=[
            {"trace_id": a.trace_id, "span_id": a.span_id, "updates": {"ended_at": end}},
            {"traceId": b.trace_id, "spanId": b.span_id, "updates": {"error": {"message": "bad"}}},
        ]
    )
    assert (await observability.get_span(trace_id=a.trace_id, span_id=a.span_id)).ended_at == end
    assert (await observability.get_span(trace_id=b.trace_id, span_id=b.span_id)).error == {"message": "bad"}


async def test_batch_update_with_a_missing_span_writes_nothing(observability) -> None:
    span = sample_span()
    await observability.create_span(span=span)
    with raises_not_found(observability, "BATCH_UPDATE_SPANS"):
        await observability.batch_update_spans(
            records=[
                {"trace_id": span.trace_id, "span_id": span.span_id, "updates": {"name": "changed"}},
                {"trace_id": span.trace_id, "span_id": uid("missing-"), "updates": {"name": "x"}},
            ]
        )
    assert (await observability.get_span(trace_id=span.trace_id, span_id=span.span_id)).name == span.name


async def test_batch_delete_traces_is_selective_and_tolerates_unknown_ids(observability) -> None:
    (a, a_kids), (b, _) = await _trace(observability), await _trace(observability)
    await observability.batch_delete_traces(trace_ids=[a.trace_id, uid("missing-")])
    assert await observability.get_trace(trace_id=a.trace_id) is None
    assert await observability.get_span(trace_id=a.trace_id, span_id=a_kids[0].span_id) is None
    assert len((await observability.get_trace(trace_id=b.trace_id)).spans) == 3
    await observability.batch_delete_traces(trace_ids=[])
    assert len((await observability.get_trace(trace_id=b.trace_id)).spans) == 3


async def test_span_ids_are_scoped_by_trace(observability) -> None:
    span_id = uid("span-")
    a = sample_span(span_id=span_id, name="in a")
    b = sample_span(span_id=span_id, name="in b")
    await observability.batch_create_spans(records=[a, b])
    assert (await observability.get_span(trace_id=a.trace_id, span_id=span_id)).name == "in a"
    assert (await observability.get_span(trace_id=b.trace_id, span_id=span_id)).name == "in b"


async def test_tracing_strategy_is_declared(observability) -> None:
    strategy = observability.tracing_strategy
    assert strategy["preferred"] in strategy["supported"]
    assert set(strategy["supported"]) <= {"realtime", "batch-with-updates", "insert-only"}


async def test_timestamps_round_trip_to_the_millisecond(observability) -> None:
    started = datetime(2030, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    span = sample_span(started_at=started, ended_at=started + timedelta(milliseconds=1))
    await observability.create_span(span=span)
    got = await observability.get_span(trace_id=span.trace_id, span_id=span.span_id)
    assert (got.started_at, got.ended_at) == (started, started + timedelta(milliseconds=1))
