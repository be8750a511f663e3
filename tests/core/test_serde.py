"""Records round-trip through the wire form losslessly, including fields this version does not know."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_core import records as r
from mastra_core.clock import iso, parse_datetime, to_ms
from mastra_core.serde import content_from_json, content_to_json, from_wire, make_converter, to_wire

NOW = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

SAMPLES = [
    r.Thread(id="t", resource_id="u", title="T", metadata={"a": [1, {"b": None}]}, created_at=NOW, updated_at=NOW),
    r.Resource(id="u", working_memory="# hi", metadata={}, created_at=NOW, updated_at=NOW),
    r.WorkflowRun(
        workflow_name="w",
        run_id="r",
        snapshot={"status": "running", "context": {}},
        resource_id="u",
        created_at=NOW,
        updated_at=NOW,
    ),
    r.Score(
        id="s",
        scorer_id="sc",
        entity_id="e",
        run_id="r",
        score=0.5,
        scorer={"n": 1},
        entity={"id": "e"},
        source="TEST",
        created_at=NOW,
        updated_at=NOW,
        metadata={"k": "v"},
        structured_output=True,
    ),
    r.Span(
        trace_id="t",
        span_id="s",
        name="n",
        span_type="agent_run",
        started_at=NOW,
        tags=["x"],
        input="primitive",
        ended_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    ),
    r.Agent(
        id="a", name="A", instructions="be nice", model={"provider": "x"}, tools=["t"], created_at=NOW, updated_at=NOW
    ),
    r.EvalRow(run_id="r", agent_name="a", metric_name="m", input="i", output="o", result={"score": 1}, created_at=NOW),
    r.TraceRow(id="x", trace_id="t", name="n", scope="s", kind=1, start_time=1, end_time=2, created_at=NOW),
]


@pytest.mark.parametrize("record", SAMPLES, ids=lambda rec: type(rec).__name__)
def test_record_round_trip(record: object) -> None:
    assert from_wire(to_wire(record), type(record)) == record


def test_wire_names_follow_the_reference() -> None:
    wire = to_wire(SAMPLES[0])
    assert set(wire) == {"id", "resourceId", "title", "metadata", "createdAt", "updatedAt"}
    assert wire["createdAt"] == "2026-01-02T03:04:05.678Z"
    assert set(to_wire(SAMPLES[6])) >= {"agent_name", "metric_name", "run_id", "created_at"}


def test_every_part_kind_and_unknown_fields_survive() -> None:
    content = r.MessageContent(
        parts=[
            r.TextPart(text="hi", provider_metadata={"openai": {"x": 1}}),
            r.ReasoningPart(reasoning="because", details=[{"type": "text", "text": "why"}]),
            r.ToolInvocationPart(
                tool_invocation=r.ToolInvocation(
                    state="result", tool_call_id="c1", tool_name="search", args={"q": "x"}, result=[1, 2], step=0
                )
            ),
            r.SourcePart(source={"url": "https://example.com", "id": "s1"}),
            r.FilePart(data="aGk=", mime_type="text/plain"),
            r.StepStartPart(),
            r.DataPart(type="data-weather", data={"temp": 21}, id="d1"),
            r.UnknownPart(raw={"type": "future-part", "payload": [1]}),
        ],
        content="hi",
        metadata={"m": 1},
        reasoning="r",
        annotations=[{"a": 1}],
        extra={"futureField": {"x": True}},
    )
    text = content_to_json(content)
    assert '"futureField"' in text and '"toolInvocation"' in text and '"mimeType"' in text
    assert content_from_json(text) == content


def test_legacy_content_is_upgraded() -> None:
    assert content_from_json("plain text").text() == "plain text"
    v1 = content_from_json('[{"type":"text","text":"a"},{"type":"tool-call","toolCallId":"1"}]')
    assert v1.parts[0] == r.TextPart(text="a")
    assert isinstance(v1.parts[1], r.UnknownPart)


def test_private_converters_do_not_leak_hooks() -> None:
    mine = make_converter()
    mine.register_unstructure_hook(datetime, lambda d: "custom")
    assert to_wire(SAMPLES[0])["createdAt"] != "custom"
    assert to_wire(SAMPLES[0], mine)["createdAt"] == "custom"


@settings(max_examples=60, deadline=None)
@given(
    meta=st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=5),
    title=st.text(max_size=30),
    ms=st.integers(0, 2**41),
)
def test_thread_round_trip_property(meta: dict[str, object], title: str, ms: int) -> None:
    when = parse_datetime(ms)
    t = r.Thread(id="t", resource_id="u", title=title, metadata=meta, created_at=when, updated_at=when)
    assert from_wire(to_wire(t), r.Thread) == t


def test_times_are_utc_milliseconds() -> None:
    naive = datetime(2026, 1, 1, 12, 0, 0, 123456)
    assert to_ms(naive) == datetime(2026, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert parse_datetime(iso(NOW)) == NOW
    assert parse_datetime("2026-01-02T03:04:05.678+00:00") == NOW


def test_message_from_text_helper() -> None:
    m = r.Message.from_text("hello", id="m", thread_id="t", resource_id="u", created_at=NOW)
    assert m.content.text() == "hello" and m.role == "user"
    assert (
        attrs.evolve(m, content=r.MessageContent(parts=[r.TextPart(text="a"), r.TextPart(text="b")])).content.text()
        == "a b"
    )


# contents near the plain-text shape that content_from_json builds without the converter: each key, type and value
# it checks, varied, so a shape it wrongly takes (or builds differently) shows up against the general path
_near_text_part = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "reasoning", "Text"])},
    optional={"text": st.one_of(st.text(max_size=8), st.integers(), st.none()), "providerMetadata": st.just({}),
              "extraKey": st.just(1)},
)
_near_plain_content = st.fixed_dictionaries(
    {},
    optional={"format": st.sampled_from([2, 2.0, 1, "2", None, True]),
              "parts": st.one_of(st.lists(st.one_of(_near_text_part, st.text(max_size=3)), max_size=3), st.none(),
                                 st.text(max_size=3)),
              "content": st.one_of(st.text(max_size=8), st.none(), st.integers()),
              "metadata": st.just({"k": 1})},
)


@settings(max_examples=200, deadline=None)
@given(data=_near_plain_content)
def test_plain_text_content_reads_as_the_converter_reads_it(data: dict[str, object]) -> None:
    import json

    from mastra_core.serde import _plain_text_content

    built = _plain_text_content(data)
    if built is not None:  # taken: exactly what the general path gives
        assert built == from_wire(data, r.MessageContent)
        assert data.get("format") == 2 and set(data) <= {"format", "parts", "content"}
    try:
        general = from_wire(data, r.MessageContent) if data.get("format") == 2 or "parts" in data else None
    except Exception:  # a shape the converter refuses must not be one the fast path took
        assert built is None
        return
    if general is not None:
        assert content_from_json(json.dumps(data)) == general


def test_plain_text_content_is_the_usual_shape() -> None:
    from mastra_core.serde import _plain_text_content

    data = {"format": 2, "parts": [{"type": "text", "text": "hi"}, {"type": "text", "text": ""}], "content": "hi"}
    built = _plain_text_content(data)
    assert built == r.MessageContent(parts=[r.TextPart(text="hi"), r.TextPart(text="")], content="hi")
    assert built == from_wire(data, r.MessageContent)
    assert _plain_text_content({**data, "content": None}) == r.MessageContent(parts=built.parts)


# contents near the plain-text shape that content_wire builds without the converter: each field it checks, varied
_near_text_part_record = st.builds(
    r.TextPart, text=st.one_of(st.text(max_size=6), st.sampled_from(["", "é😀", "\x00"])),
    provider_metadata=st.sampled_from([None, {}, {"k": 1}]), extra=st.sampled_from([{}, {"x": 1}]),
    type=st.sampled_from(["text", "text", "Text"]),
)
_near_plain_record = st.builds(
    r.MessageContent,
    format=st.sampled_from([2, 2, 1, 2.0, True]),
    parts=st.lists(st.one_of(_near_text_part_record, st.builds(r.ReasoningPart, reasoning=st.text(max_size=3))),
                   max_size=3),
    content=st.one_of(st.none(), st.text(max_size=6)),
    reasoning=st.sampled_from([None, None, "why"]),
    metadata=st.sampled_from([None, None, {"k": 1}]),
    annotations=st.sampled_from([None, None, []]),
    extra=st.sampled_from([{}, {}, {"custom": 1}]),
)


@settings(max_examples=300, deadline=None)
@given(content=_near_plain_record)
def test_content_wire_is_to_wire(content: r.MessageContent) -> None:
    import json

    from mastra_core.serde import content_wire

    fast, general = content_wire(content), to_wire(content)
    assert json.dumps(fast) == json.dumps(general)  # the same keys in the same order, the same values and types
    assert content_to_json(content) == json.dumps(general, ensure_ascii=False, separators=(",", ":"))


def test_content_wire_of_the_usual_shape() -> None:
    from mastra_core.serde import content_wire

    content = r.Message.from_text("hi", id="m", thread_id="t").content
    assert content_wire(content) == {"format": 2, "parts": [{"text": "hi", "type": "text"}], "content": "hi"}
    assert content_wire(content) == to_wire(content)
