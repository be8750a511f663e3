"""Value fuzzing: every public write of every domain takes hostile values, with one answer on every backend.

A value is either inside the storable domain (``mastra_core.values``) and reads back equal, or outside it and
refused with a USER ValidationError naming the field, with nothing written. Which one is decided here by how
the value was generated, never by the backend: so every backend must give the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mastra_core import MessageContent, TextPart
from mastra_core.errors import ErrorCategory, StorageError, ValidationError
from mastra_core.records import Agent, EvalRow, TraceRow
from mastra_core.values import MAX_DEPTH, MAX_ID_BYTES, MAX_ID_LENGTH, MAX_SAFE_INTEGER, MAX_YEAR, MIN_YEAR

from .factories import sample_message, sample_score, sample_snapshot, sample_span, sample_thread, uid

# Few examples per write site: 10 sites x 2 tests, each example a write and a read (CI budget: ~20 s a backend).
FUZZ = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ------------------------------------------------------------------ values inside and outside the domain

# awkward but valid Unicode (NUL, quotes, JSON and SQL syntax, astral planes, the last code point)
_chars = st.one_of(
    st.sampled_from(["\x00", "\x1f", "'", '"', "\\", "\n", "$", ".", "{", "%", "é", "漢", "\u200b", "\ufeff",
                     "\U0001f600", "\U0010ffff"]),
    st.integers(0x20, 0x7E).map(chr),
)
_text = st.text(_chars, max_size=12)
_key = st.text(_chars, max_size=6)
_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    st.sampled_from([0, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
)
storable = st.recursive(
    _scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_key, inner, max_size=3), max_leaves=8
)


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"d": value}
    return value


_lone_surrogate = st.builds(lambda a, s, b: a + chr(s) + b, _text, st.integers(0xD800, 0xDFFF), _text)
_hostile_leaf = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.integers(MAX_SAFE_INTEGER + 1, 2**70),
    st.integers(-(2**70), -MAX_SAFE_INTEGER - 1),
    _lone_surrogate,
    st.sets(st.integers(0, 3), max_size=2),
    st.just(b"bytes"),
    st.builds(object),
    st.just(datetime(2024, 1, 1, tzinfo=UTC)),  # a date inside JSON would read back as a string
    st.integers(MAX_DEPTH + 1, 2000).map(nested),
    st.dictionaries(st.integers(0, 3), _scalar, min_size=1, max_size=2),  # non-string keys
    st.dictionaries(_lone_surrogate, _scalar, min_size=1, max_size=1),
)
# a hostile leaf somewhere inside an otherwise good value
hostile = st.one_of(
    _hostile_leaf,
    st.tuples(st.lists(_scalar, max_size=2), _hostile_leaf).map(lambda t: [*t[0], t[1]]),
    st.tuples(_key, _hostile_leaf).map(lambda t: {"ok": 1, "in": {t[0]: t[1]}}),
)
verdicts = st.one_of(storable.map(lambda v: (v, True)), hostile.map(lambda v: (v, False)))


def _normal(value: Any) -> Any:
    """A value as JSON reads it back: tuples are lists; floats compare as numbers."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


# ------------------------------------------------------------------ one write site per domain


Write = Callable[[Any, Any], Awaitable[None]]
Read = Callable[[Any], Awaitable[Any]]
_MISSING = object()  # what a read returns when nothing was stored


def _thread_metadata(storage: Any) -> tuple[Write, Read]:
    m, tid = storage.memory, uid("t-")
    return (
        lambda v: m.save_thread(thread=sample_thread(id=tid, metadata={"v": v})),
        lambda: _get(m.get_thread_by_id(thread_id=tid), lambda t: t.metadata["v"]),
    )


def _message_content(storage: Any) -> tuple[Write, Read]:
    m, tid, mid = storage.memory, uid("t-"), uid("m-")

    async def write(v: Any) -> None:
        msg = sample_message(tid, id=mid)
        content = MessageContent(parts=[TextPart(text="x", extra={"v": v})], metadata={"v": v})
        await m.save_messages(messages=[_evolve(msg, content=content)])

    async def read() -> Any:
        found = await m.list_messages_by_id(message_ids=[mid])
        return found[0].content.metadata["v"] if found else _MISSING

    return write, read


def _resource_metadata(storage: Any) -> tuple[Write, Read]:
    m, rid = storage.memory, uid("r-")
    return (
        lambda v: m.update_resource(resource_id=rid, metadata={"v": v}),
        lambda: _get(m.get_resource_by_id(resource_id=rid), lambda r: r.metadata["v"]),
    )


def _snapshot(storage: Any) -> tuple[Write, Read]:
    w, wf, run = storage.workflows, uid("wf-"), uid("run-")
    return (
        lambda v: w.persist_workflow_snapshot(workflow_name=wf, run_id=run, snapshot=sample_snapshot(run, value=v)),
        lambda: _get(w.load_workflow_snapshot(workflow_name=wf, run_id=run), lambda s: s["value"]),
    )


def _step_result(storage: Any) -> tuple[Write, Read]:
    w, wf, run = storage.workflows, uid("wf-"), uid("run-")
    return (
        lambda v: w.update_workflow_results(workflow_name=wf, run_id=run, step_id="s", result=v),
        lambda: _get(w.load_workflow_snapshot(workflow_name=wf, run_id=run), lambda s: s["context"]["s"]),
    )


def _score_metadata(storage: Any) -> tuple[Write, Read]:
    s, run = storage.scores, uid("run-")

    async def read() -> Any:
        page = await s.list_scores_by_run_id(run_id=run)
        return page.items[0].metadata["v"] if page.items else _MISSING

    return lambda v: s.save_score(score=sample_score(run_id=run, metadata={"v": v})), read


def _span_attributes(storage: Any) -> tuple[Write, Read]:
    o, span = storage.get_store("observability"), sample_span()
    return (
        lambda v: o.create_span(span=_evolve(span, attributes={"v": v})),
        lambda: _get(o.get_span(trace_id=span.trace_id, span_id=span.span_id), lambda sp: sp.attributes["v"]),
    )


def _agent_metadata(storage: Any) -> tuple[Write, Read]:
    a, aid = storage.get_store("agents"), uid("agent-")
    agent = Agent(id=aid, name="n", instructions="i", model={"provider": "p"})
    return (
        lambda v: a.create_agent(agent=_evolve(agent, metadata={"v": v})),
        lambda: _get(a.get_agent_by_id(id=aid), lambda ag: ag.metadata["v"]),
    )


def _eval_result(storage: Any) -> tuple[Write, Read]:
    e, agent = storage.get_store("evals"), uid("agent-")

    async def read() -> Any:
        page = await e.list_evals(agent_name=agent)
        return page.items[0].result["v"] if page.items else _MISSING

    row = EvalRow(run_id=uid("run-"), agent_name=agent, metric_name="m", input="i", output="o", result={},
                  instructions="x", global_run_id=uid("g-"))
    return lambda v: e.save_evals(evals=[_evolve(row, result={"v": v})]), read


def _trace_attributes(storage: Any) -> tuple[Write, Read]:
    t, name = storage.get_store("traces"), uid("trace-name-")
    row = TraceRow(id=uid("span-"), trace_id=uid("trace-"), name=name, scope="s", kind=1, start_time=1, end_time=2,
                   attributes={}, status={}, events=[], links=[], other={})

    async def read() -> Any:
        page = await t.list_traces(name=name)
        return page.items[0].attributes["v"] if page.items else _MISSING

    return lambda v: t.save_traces(traces=[_evolve(row, attributes={"v": v})]), read


SITES: dict[str, tuple[Callable[[Any], tuple[Write, Read]], str | None]] = {
    "thread.metadata": (_thread_metadata, None),
    "message.content": (_message_content, None),
    "resource.metadata": (_resource_metadata, None),
    "snapshot.value": (_snapshot, None),
    "step.result": (_step_result, None),
    "score.metadata": (_score_metadata, None),
    "span.attributes": (_span_attributes, "observability"),
    "agent.metadata": (_agent_metadata, "agents"),
    "eval.result": (_eval_result, "evals"),
    "trace.attributes": (_trace_attributes, "traces"),
}


def _site_params() -> list[Any]:
    return [
        pytest.param(name, marks=[pytest.mark.requires(cap)] if cap else [], id=name)
        for name, (_, cap) in SITES.items()
    ]


async def _get(found: Awaitable[Any], pick: Callable[[Any], Any]) -> Any:
    record = await found
    return _MISSING if record is None else pick(record)


def _evolve(record: Any, **changes: Any) -> Any:
    import attrs

    return attrs.evolve(record, **changes)


def assert_refused(exc: BaseException) -> None:
    assert isinstance(exc, ValidationError), repr(exc)
    assert exc.category == ErrorCategory.USER
    assert exc.details.get("field"), f"the error names no field: {exc!r}"


# ------------------------------------------------------------------ the fuzz tests


@pytest.mark.parametrize("site", _site_params())
@FUZZ
@given(case=verdicts)
async def test_every_write_stores_or_refuses_the_same_way(storage, site: str, case: tuple[Any, bool]) -> None:
    value, good = case
    write, read = SITES[site][0](storage)
    if good:
        await write(value)
        assert _normal(await read()) == _normal(value)
    else:
        with pytest.raises(StorageError) as info:
            await write(value)
        assert_refused(info.value)
        assert await read() is _MISSING, "a refused write left something behind"


# ------------------------------------------------------------------ each defect of issue 12, one test each

ZERO_DATE = datetime(1, 1, 1, tzinfo=UTC)


async def test_zero_dates_are_refused_and_nothing_written(memory, workflows) -> None:
    """A 0001-01-01 date used to be stored and then fail every later read of its thread (libsql, dynamodb...)."""
    thread = sample_thread(created_at=ZERO_DATE)
    with pytest.raises(ValidationError) as info:
        await memory.save_thread(thread=thread)
    assert_refused(info.value)
    assert await memory.get_thread_by_id(thread_id=thread.id) is None

    kept = await memory.save_thread(thread=sample_thread())
    msg = sample_message(kept.id, created_at=ZERO_DATE)
    with pytest.raises(ValidationError) as info:
        await memory.save_messages(messages=[msg])
    assert_refused(info.value)
    assert await memory.list_messages_by_id(message_ids=[msg.id]) == []
    assert (await memory.list_messages(thread_id=kept.id)).items == []

    wf, run = uid("wf-"), uid("run-")
    with pytest.raises(ValidationError) as info:
        await workflows.persist_workflow_snapshot(
            workflow_name=wf, run_id=run, snapshot=sample_snapshot(run), created_at=ZERO_DATE
        )
    assert_refused(info.value)
    assert await workflows.load_workflow_snapshot(workflow_name=wf, run_id=run) is None


@pytest.mark.requires("observability")
async def test_a_zero_date_span_is_refused_and_nothing_written(storage) -> None:
    obs = storage.get_store("observability")
    span = sample_span(started_at=ZERO_DATE)
    with pytest.raises(ValidationError) as info:
        await obs.create_span(span=span)
    assert_refused(info.value)
    assert await obs.get_span(trace_id=span.trace_id, span_id=span.span_id) is None


async def test_the_date_range_edges_read_back(memory) -> None:
    """The first and last moment of the date range are stored and read back exactly on every backend."""
    for moment in (datetime(MIN_YEAR, 1, 1, tzinfo=UTC), datetime(MAX_YEAR, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)):
        thread = await memory.save_thread(thread=sample_thread(created_at=moment, updated_at=moment))
        got = await memory.get_thread_by_id(thread_id=thread.id)
        assert got is not None and got.created_at == moment
        msg = sample_message(thread.id, created_at=moment)
        await memory.save_messages(messages=[msg])
        assert [m.created_at for m in (await memory.list_messages(thread_id=thread.id)).items] == [moment]


BAD_CALLS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "created_at text in a record": lambda m: m.save_thread(thread=sample_thread(created_at="x")),
    "int title in a record": lambda m: m.save_thread(thread=sample_thread(title=5)),
    "int title in an update": lambda m: m.update_thread(id=uid("t-"), title=5),
    "messages=None": lambda m: m.save_messages(messages=None),
    "message updates=None": lambda m: m.update_messages(messages=None),
    "thread_id a dict": lambda m: m.list_messages(thread_id={"a": 1}),
    "thread_id a set": lambda m: m.list_messages(thread_id={"a"}),
    "message ids a dict": lambda m: m.list_messages_by_id(message_ids={"a": 1}),
    "100k-character id": lambda m: m.get_thread_by_id(thread_id="x" * 100_000),
    "id over the maximum": lambda m: m.save_thread(thread=sample_thread(id="x" * (MAX_ID_LENGTH + 1))),
    "id over the byte maximum": lambda m: m.save_thread(thread=sample_thread(id="\U0001f600" * MAX_ID_LENGTH)),
    "NUL in an id": lambda m: m.save_thread(thread=sample_thread(id=uid("t-") + "\x00")),
    "lone surrogate in an id": lambda m: m.save_thread(thread=sample_thread(resource_id="r\ud800")),
    "set in metadata": lambda m: m.save_thread(thread=sample_thread(metadata={"s": {1, 2}})),
    "NaN in metadata": lambda m: m.update_resource(resource_id=uid("r-"), metadata={"n": math.nan}),
    "nesting depth 2000": lambda m: m.save_thread(thread=sample_thread(metadata={"deep": nested(2000)})),
    "page past the offset limit": lambda m: m.list_threads(page=2**53, per_page=1),
    "page of 10**30 with per_page 0": lambda m: m.list_threads(page=10**30, per_page=0),
    "per_page past the offset limit": lambda m: m.list_threads(per_page=2**62),
    "zero date in a date filter": lambda m: m.list_messages(
        thread_id="t", filter={"date_range": {"start": ZERO_DATE}}
    ),
}


async def test_bad_input_is_a_validation_error_never_a_raw_error(memory) -> None:
    wrong: dict[str, str] = {}  # every call is tried (one storage for all: CI budget), then all are reported
    for name, call in BAD_CALLS.items():
        try:
            await call(memory)
            wrong[name] = "accepted"
        except ValidationError as exc:
            if exc.category != ErrorCategory.USER:
                wrong[name] = repr(exc)
        except BaseException as exc:  # a raw or THIRD_PARTY error is the defect this test is about
            wrong[name] = repr(exc)
    assert wrong == {}


async def test_ids_at_the_maximum_length_are_stored_on_every_backend(memory, workflows) -> None:
    """The id limit is what every backend keys take (MySQL VARCHAR(255), DynamoDB's 1024-byte sort key)."""
    for tid in ("t" * MAX_ID_LENGTH, "\U0001f600" * (MAX_ID_BYTES // 4)):
        thread = await memory.save_thread(thread=sample_thread(id=tid, resource_id=tid))
        msg = sample_message(thread.id, id=tid, resource_id=tid)
        await memory.save_messages(messages=[msg])
        assert (await memory.get_thread_by_id(thread_id=tid)) is not None
        assert [m.id for m in await memory.list_messages_by_id(message_ids=[tid])] == [tid]
        await workflows.persist_workflow_snapshot(workflow_name=tid, run_id=tid, snapshot=sample_snapshot(tid))
        assert (await workflows.load_workflow_snapshot(workflow_name=tid, run_id=tid))["runId"] == tid
        await memory.delete_thread(thread_id=tid)


async def test_a_huge_page_offset_is_an_empty_page_not_a_driver_error(memory) -> None:
    thread = await memory.save_thread(thread=sample_thread())
    await memory.save_messages(messages=[sample_message(thread.id)])
    page = await memory.list_messages(thread_id=thread.id, page=2**52, per_page=1)
    assert page.items == [] and page.total == 1
    threads = await memory.list_threads(filter={"resource_id": thread.resource_id}, page=2**49, per_page=8)
    assert threads.items == [] and threads.total == 1


async def test_use_after_close_is_a_clear_error(make_storage) -> None:
    storage = await make_storage()
    thread = await storage.memory.save_thread(thread=sample_thread())
    await storage.close()
    for call in (
        lambda: storage.memory.get_thread_by_id(thread_id=thread.id),
        lambda: storage.memory.save_thread(thread=sample_thread()),
        lambda: storage.workflows.load_workflow_snapshot(workflow_name="w", run_id="r"),
    ):
        with pytest.raises(StorageError) as info:
            await call()
        assert info.value.id.endswith("_STORAGE_CLOSED"), info.value.id
        assert info.value.category == ErrorCategory.USER
