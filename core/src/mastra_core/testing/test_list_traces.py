"""list_traces: root spans only, filters on the root (and has_child_error), pages, ordering incl. running traces."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_core.records import TraceFilter

from .factories import base_time, ms, sample_span, uid

pytestmark = pytest.mark.requires("observability")


async def _traces(observability, n: int, *, step_ms: int = 1000, **root_kw: Any):
    """n traces (root + one child each), roots started step_ms apart, ended 100 ms after start."""
    t0 = base_time()
    roots = []
    records = []
    for i in range(n):
        start = t0 + ms(i * step_ms)
        root = sample_span(started_at=start, ended_at=start + ms(100), **root_kw)
        child = sample_span(root.trace_id, parent_span_id=root.span_id, span_type="tool_call", started_at=start + ms(1))
        roots.append(root)
        records += [root, child]
    await observability.batch_create_spans(records=records)
    return roots


def _trace_ids(page) -> list[str]:
    return [s.trace_id for s in page]


async def test_lists_root_spans_only_newest_first(observability) -> None:
    roots = await _traces(observability, 3)
    page = await observability.list_traces()
    assert _trace_ids(page) == [r.trace_id for r in reversed(roots)]
    assert all(s.parent_span_id is None for s in page)
    assert (page.total, page.page, page.per_page, page.has_more) == (3, 0, 10, False)


@pytest.mark.parametrize(("page", "count", "has_more"), [(0, 4, True), (1, 4, True), (2, 2, False), (3, 0, False)])
async def test_pagination(observability, page: int, count: int, has_more: bool) -> None:
    roots = await _traces(observability, 10)
    result = await observability.list_traces(page=page, per_page=4)
    assert (len(result), result.total, result.has_more) == (count, 10, has_more)
    assert _trace_ids(result) == [r.trace_id for r in reversed(roots)][page * 4 : page * 4 + 4]


@pytest.mark.parametrize(
    ("field", "direction"), [("started_at", "ASC"), ("started_at", "DESC"), ("ended_at", "ASC"), ("ended_at", "DESC")]
)
async def test_order_by(observability, field: str, direction: str) -> None:
    t0 = base_time()
    # started order: a, b, c; ended order: c, a, b
    a = sample_span(started_at=t0, ended_at=t0 + ms(500))
    b = sample_span(started_at=t0 + ms(100), ended_at=t0 + ms(900))
    c = sample_span(started_at=t0 + ms(200), ended_at=t0 + ms(300))
    await observability.batch_create_spans(records=[a, b, c])
    expected = sorted([a, b, c], key=lambda s: getattr(s, field), reverse=direction == "DESC")
    page = await observability.list_traces(order_by={"field": field, "direction": direction})
    assert _trace_ids(page) == [s.trace_id for s in expected]


@pytest.mark.parametrize(("direction", "running_first"), [("DESC", True), ("ASC", False)])
async def test_running_traces_sort_first_desc_and_last_asc_on_ended_at(
    observability, direction: str, running_first: bool
) -> None:
    t0 = base_time()
    done = sample_span(started_at=t0, ended_at=t0 + ms(10))
    running = sample_span(started_at=t0 + ms(5))
    await observability.batch_create_spans(records=[done, running])
    page = await observability.list_traces(order_by={"field": "endedAt", "direction": direction})
    expected = [running.trace_id, done.trace_id] if running_first else [done.trace_id, running.trace_id]
    assert _trace_ids(page) == expected


_EQUALITY_FILTERS = [
    ("span_type", "workflow_run"),
    ("entity_type", "workflow_run"),
    ("entity_id", "entity-x"),
    ("entity_name", "Name X"),
    ("user_id", "user-x"),
    ("organization_id", "org-x"),
    ("resource_id", "res-x"),
    ("run_id", "run-x"),
    ("session_id", "session-x"),
    ("thread_id", "thread-x"),
    ("request_id", "req-x"),
    ("environment", "staging"),
    ("source", "local"),
    ("service_name", "svc-x"),
]


@pytest.mark.parametrize(("field", "value"), _EQUALITY_FILTERS)
async def test_equality_filters_match_the_root(observability, field: str, value: str) -> None:
    hit = sample_span(**{field: value})
    miss = sample_span(**{field: value + "-other"})
    child_only = sample_span()
    child = sample_span(child_only.trace_id, parent_span_id=child_only.span_id, **{field: value})
    await observability.batch_create_spans(records=[hit, miss, child_only, child])
    page = await observability.list_traces(filters={field: value})
    assert _trace_ids(page) == [hit.trace_id]
    assert page.total == 1


async def test_camel_case_filter_keys_and_filter_records(observability) -> None:
    hit = sample_span(entity_id="e-1", user_id="u-1")
    await observability.batch_create_spans(records=[hit, sample_span(entity_id="e-1")])
    assert _trace_ids(await observability.list_traces(filters={"entityId": "e-1", "userId": "u-1"})) == [hit.trace_id]
    assert _trace_ids(await observability.list_traces(filters=TraceFilter(entity_id="e-1", user_id="u-1"))) == [
        hit.trace_id
    ]


async def test_tags_filter_needs_every_tag(observability) -> None:
    both = sample_span(tags=["prod", "beta", "x"])
    one = sample_span(tags=["prod"])
    none = sample_span()
    await observability.batch_create_spans(records=[both, one, none])
    assert _trace_ids(await observability.list_traces(filters={"tags": ["prod", "beta"]})) == [both.trace_id]
    assert set(_trace_ids(await observability.list_traces(filters={"tags": ["prod"]}))) == {both.trace_id, one.trace_id}


@pytest.mark.parametrize(
    ("field", "stored", "wanted", "matches"),
    [
        ("metadata", {"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1}, True),
        ("metadata", {"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}}, True),
        ("metadata", {"a": 1}, {"a": 2}, False),
        ("metadata", {"a": 1}, {"z": 1}, False),
        ("metadata", {"list": [1, 2, 3]}, {"list": [2]}, True),
        ("metadata", {"flag": True}, {"flag": 1}, False),
        ("scope", {"core": "1.0", "pkg": "x"}, {"core": "1.0"}, True),
        ("scope", {"core": "1.0"}, {"core": "2.0"}, False),
    ],
)
async def test_metadata_and_scope_filters_are_containment(
    observability, field: str, stored, wanted, matches: bool
) -> None:
    span = sample_span(**{field: stored})
    await observability.batch_create_spans(records=[span, sample_span()])
    page = await observability.list_traces(filters={field: wanted})
    assert _trace_ids(page) == ([span.trace_id] if matches else [])


async def test_status_filter(observability) -> None:
    t0 = base_time()
    ok = sample_span(started_at=t0, ended_at=t0 + ms(5))
    failed = sample_span(started_at=t0 + ms(1), ended_at=t0 + ms(5), error={"message": "x"})
    failed_running = sample_span(started_at=t0 + ms(2), error={"message": "y"})
    running = sample_span(started_at=t0 + ms(3))
    await observability.batch_create_spans(records=[ok, failed, failed_running, running])
    assert _trace_ids(await observability.list_traces(filters={"status": "success"})) == [ok.trace_id]
    assert _trace_ids(await observability.list_traces(filters={"status": "error"})) == [
        failed_running.trace_id,
        failed.trace_id,
    ]
    assert _trace_ids(await observability.list_traces(filters={"status": "running"})) == [running.trace_id]


async def test_has_child_error(observability) -> None:
    t0 = base_time()
    clean = sample_span(started_at=t0)
    dirty = sample_span(started_at=t0 + ms(1))
    bad_child = sample_span(dirty.trace_id, parent_span_id=dirty.span_id, error={"message": "child failed"})
    good_child = sample_span(clean.trace_id, parent_span_id=clean.span_id)
    await observability.batch_create_spans(records=[clean, dirty, bad_child, good_child])
    assert _trace_ids(await observability.list_traces(filters={"has_child_error": True})) == [dirty.trace_id]
    assert _trace_ids(await observability.list_traces(filters={"hasChildError": False})) == [clean.trace_id]


async def test_has_child_error_follows_updates(observability) -> None:
    root = sample_span()
    child = sample_span(root.trace_id, parent_span_id=root.span_id)
    await observability.batch_create_spans(records=[root, child])
    assert (await observability.list_traces(filters={"has_child_error": True})).total == 0
    await observability.update_span(
        trace_id=root.trace_id, span_id=child.span_id, updates={"error": {"message": "late"}}
    )
    assert _trace_ids(await observability.list_traces(filters={"has_child_error": True})) == [root.trace_id]


async def test_started_at_range_is_inclusive(observability) -> None:
    roots = await _traces(observability, 5)
    page = await observability.list_traces(
        filters={"started_at": {"start": roots[1].started_at, "end": roots[3].started_at}}
    )
    assert _trace_ids(page) == [r.trace_id for r in reversed(roots[1:4])]
    flat = await observability.list_traces(filters={"started_at_from": roots[3].started_at})
    assert _trace_ids(flat) == [roots[4].trace_id, roots[3].trace_id]


async def test_ended_at_range_never_matches_running_traces(observability) -> None:
    roots = await _traces(observability, 3)
    running = sample_span(started_at=roots[1].started_at + ms(1))
    await observability.create_span(span=running)
    page = await observability.list_traces(filters={"endedAt": {"start": roots[0].ended_at, "end": roots[1].ended_at}})
    assert _trace_ids(page) == [roots[1].trace_id, roots[0].trace_id]
    assert running.trace_id not in _trace_ids(
        await observability.list_traces(filters={"ended_at_to": roots[2].ended_at + ms(10**6)})
    )


async def test_filters_combine_with_and(observability) -> None:
    hit = sample_span(entity_id="e", environment="prod", tags=["t"])
    await observability.batch_create_spans(
        records=[
            hit,
            sample_span(entity_id="e", environment="dev", tags=["t"]),
            sample_span(entity_id="e", environment="prod"),
        ]
    )
    page = await observability.list_traces(filters={"entity_id": "e", "environment": "prod", "tags": ["t"]})
    assert _trace_ids(page) == [hit.trace_id]


async def test_deleted_traces_disappear_from_the_list(observability) -> None:
    roots = await _traces(observability, 3)
    await observability.batch_delete_traces(trace_ids=[roots[1].trace_id])
    page = await observability.list_traces()
    assert _trace_ids(page) == [roots[2].trace_id, roots[0].trace_id]
    assert page.total == 2


async def test_no_match_is_empty(observability) -> None:
    await _traces(observability, 2)
    page = await observability.list_traces(filters={"entity_id": uid("nobody-")})
    assert (page.items, page.total, page.has_more) == ([], 0, False)


async def test_equal_started_at_pages_never_skip_or_repeat(observability) -> None:
    t0 = base_time()
    roots = [sample_span(started_at=t0) for _ in range(7)]
    await observability.batch_create_spans(records=roots)
    seen: list[str] = []
    for page in range(3):
        seen += _trace_ids(await observability.list_traces(page=page, per_page=3))
    assert sorted(seen) == sorted(r.trace_id for r in roots) and len(seen) == 7
