"""The legacy evals and traces tables: save and list with their filters, newest first."""

from __future__ import annotations

import pytest

from mastra_core.records import EvalRow, TraceRow

from .factories import base_time, ms, raises_validation, uid


def sample_eval(**kw) -> EvalRow:
    base = {
        "run_id": uid("run-"),
        "agent_name": "agent",
        "metric_name": "relevance",
        "input": "in",
        "output": "out",
        "result": {"score": 0.5, "info": {"reason": "r"}},
        "instructions": "be nice",
        "global_run_id": uid("g-"),
    }
    base.update(kw)
    return EvalRow(**base)


def sample_trace_row(**kw) -> TraceRow:
    base = {
        "id": uid("span-"),
        "trace_id": uid("trace-"),
        "name": "agent.generate",
        "scope": "mastra",
        "kind": 1,
        "start_time": 1_700_000_000_000_000_000,
        "end_time": 1_700_000_000_500_000_000,
        "attributes": {"agent": "a"},
        "status": {"code": 0},
        "events": [],
        "links": [],
        "other": {"x": 1},
    }
    base.update(kw)
    return TraceRow(**base)


@pytest.mark.requires("evals")
async def test_evals_round_trip_and_list_by_agent_newest_first(storage) -> None:
    evals = storage.get_store("evals")
    agent = uid("agent-")
    t0 = base_time()
    rows = [sample_eval(agent_name=agent, created_at=t0 + ms(i)) for i in range(3)]
    await evals.save_evals(evals=rows)
    await evals.save_evals(evals=[sample_eval()])
    page = await evals.list_evals(agent_name=agent)
    assert page.items == rows[::-1]
    assert (page.total, page.has_more) == (3, False)


@pytest.mark.requires("evals")
async def test_evals_type_filter(storage) -> None:
    evals = storage.get_store("evals")
    agent = uid("agent-")
    live = sample_eval(agent_name=agent)
    test = sample_eval(agent_name=agent, test_info={"testName": "t", "testPath": "p"})
    await evals.save_evals(evals=[live, test])
    assert [e.run_id for e in await evals.list_evals(agent_name=agent, type="test")] == [test.run_id]
    assert [e.run_id for e in await evals.list_evals(agent_name=agent, type="live")] == [live.run_id]


@pytest.mark.requires("evals")
async def test_evals_pagination_and_empty(storage) -> None:
    evals = storage.get_store("evals")
    agent = uid("agent-")
    t0 = base_time()
    rows = [sample_eval(agent_name=agent, created_at=t0 + ms(i)) for i in range(5)]
    await evals.save_evals(evals=rows)
    page = await evals.list_evals(agent_name=agent, page=1, per_page=2)
    assert [e.run_id for e in page] == [rows[2].run_id, rows[1].run_id]
    assert (page.total, page.has_more) == (5, True)
    empty = await evals.list_evals(agent_name=uid("nobody-"))
    assert (empty.items, empty.total) == ([], 0)


@pytest.mark.requires("evals")
async def test_evals_batch_failing_validation_writes_nothing(storage) -> None:
    evals = storage.get_store("evals")
    agent = uid("agent-")
    with raises_validation(evals, "SAVE_EVALS", "INVALID_METRIC_NAME"):
        await evals.save_evals(evals=[sample_eval(agent_name=agent), sample_eval(agent_name=agent, metric_name="")])
    assert (await evals.list_evals(agent_name=agent)).total == 0


@pytest.mark.requires("evals")
async def test_evals_accept_snake_case_wire_rows(storage) -> None:
    evals = storage.get_store("evals")
    agent = uid("agent-")
    await evals.save_evals(
        evals=[
            {
                "run_id": "r",
                "agent_name": agent,
                "metric_name": "m",
                "input": "i",
                "output": "o",
                "result": {"score": 1},
                "created_at": base_time().isoformat(),
            }
        ]
    )
    [row] = (await evals.list_evals(agent_name=agent)).items
    assert (row.run_id, row.result) == ("r", {"score": 1})


@pytest.mark.requires("traces")
async def test_legacy_traces_round_trip_and_list_newest_first(storage) -> None:
    traces = storage.get_store("traces")
    scope = uid("scope-")
    t0 = base_time()
    rows = [sample_trace_row(scope=scope, created_at=t0 + ms(i)) for i in range(3)]
    await traces.save_traces(traces=rows)
    page = await traces.list_traces(scope=scope)
    assert page.items == rows[::-1]
    assert page.total == 3


@pytest.mark.requires("traces")
async def test_legacy_traces_filters(storage) -> None:
    traces = storage.get_store("traces")
    scope = uid("scope-")
    t0 = base_time()
    a = sample_trace_row(scope=scope, name="agent.generate", attributes={"agent": "a", "deep": {"k": 1}}, created_at=t0)
    b = sample_trace_row(scope=scope, name="agent.stream", attributes={"agent": "b"}, created_at=t0 + ms(10))
    c = sample_trace_row(scope=scope, name="workflow.run", attributes={"agent": "a"}, created_at=t0 + ms(20))
    await traces.save_traces(traces=[a, b, c])
    assert [r.id for r in await traces.list_traces(scope=scope, name="agent.")] == [b.id, a.id]
    assert [r.id for r in await traces.list_traces(scope=scope, attributes={"agent": "a"})] == [c.id, a.id]
    assert [r.id for r in await traces.list_traces(scope=scope, attributes={"deep": {"k": 1}})] == [a.id]
    assert [r.id for r in await traces.list_traces(scope=scope, from_date=t0 + ms(10), to_date=t0 + ms(20))] == [
        c.id,
        b.id,
    ]
    assert (await traces.list_traces(scope=uid("other-"))).total == 0


@pytest.mark.requires("traces")
async def test_legacy_traces_upsert_by_id_and_pages(storage) -> None:
    traces = storage.get_store("traces")
    scope = uid("scope-")
    t0 = base_time()
    rows = [sample_trace_row(scope=scope, created_at=t0 + ms(i)) for i in range(4)]
    await traces.save_traces(traces=rows)
    await traces.save_traces(
        traces=[
            sample_trace_row(
                id=rows[0].id, trace_id=rows[0].trace_id, scope=scope, name="renamed", created_at=rows[0].created_at
            )
        ]
    )
    page = await traces.list_traces(scope=scope, page=1, per_page=3)
    assert [r.name for r in page] == ["renamed"]
    assert (page.total, page.has_more) == (4, False)


@pytest.mark.requires("traces")
async def test_legacy_trace_name_prefix_is_literal(storage) -> None:
    """The name filter is a plain prefix: ``_`` and ``%`` are not wildcards."""
    traces = storage.get_store("traces")
    scope = uid("scope-")
    t0 = base_time()
    literal = sample_trace_row(scope=scope, name="a_b%c.run", created_at=t0)
    lookalike = sample_trace_row(scope=scope, name="aXbYc.run", created_at=t0 + ms(1))
    await traces.save_traces(traces=[literal, lookalike])
    assert [r.id for r in await traces.list_traces(scope=scope, name="a_b%c")] == [literal.id]
    assert [r.id for r in await traces.list_traces(scope=scope, name="a_b")] == [literal.id]
