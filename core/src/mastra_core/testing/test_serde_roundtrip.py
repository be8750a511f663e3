"""Lossless round trips through the backend: every part kind, unknown fields, awkward strings and numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mastra_core import MessageContent
from mastra_core.records import (
    Agent,
    DataPart,
    FilePart,
    ReasoningPart,
    SourcePart,
    StepStartPart,
    TextPart,
    ToolInvocation,
    ToolInvocationPart,
    UnknownPart,
)

from .factories import (
    base_time,
    ms,
    sample_message,
    sample_resource,
    sample_score,
    sample_snapshot,
    sample_span,
    sample_thread,
    uid,
)

# Lone surrogates and integers beyond 2^53-1 are outside the value domain: test_values.py checks they are refused.
NASTY_STRINGS = {
    "emoji": "🎉🧵👩‍👩‍👧‍👦 🏳️‍🌈",
    "quotes": "it's \"quoted\" `back` 'single'",
    "backslashes": "C:\\path\\to\\file \\n not a newline \\u0000",
    "controls": "tab\tnewline\ncarriage\rbell\x07escape\x1b",
    "nul": "before\x00after",
    "json_lookalike": '{"not": "an object"}',
    "sql": "'; DROP TABLE mastra_threads; --",
    "cjk_rtl": "漢字かなカナ 한국어 العربية עברית",
    "combining": "e\u0301 n\u0303 Z\u0351\u0352",
    "zero_width": "a\u200bb\u200dc\ufeffd",
    "max_codepoint": "\U0010ffff\U0001f600",
    "empty": "",
    "whitespace": "   \n\t  ",
    "long": "x" * 20000,
}


def _everything() -> dict[str, Any]:
    return {
        **NASTY_STRINGS,
        "list": list(NASTY_STRINGS.values())[:6],
        "nested": {"deeper": {k: v for k, v in list(NASTY_STRINGS.items())[:5]}},
    }


def _every_part() -> list[Any]:
    return [
        TextPart(text="plain text", provider_metadata={"openai": {"id": "x"}}),
        TextPart(text="with unknown fields", extra={"futureField": {"a": [1, 2]}, "state": "done"}),
        ReasoningPart(reasoning="thinking…", details=[{"type": "text", "text": "step", "signature": "sig"}]),
        ToolInvocationPart(
            tool_invocation=ToolInvocation(
                state="partial-call", tool_call_id="c0", tool_name="search", args={"q": "par"}
            )
        ),
        ToolInvocationPart(
            tool_invocation=ToolInvocation(
                state="call", tool_call_id="c1", tool_name="search", args={"q": "x", "n": 3}, step=1
            )
        ),
        ToolInvocationPart(
            tool_invocation=ToolInvocation(
                state="result",
                tool_call_id="c1",
                tool_name="search",
                args={"q": "x"},
                result={"hits": [{"title": "t", "score": 0.5}], "none": None},
                extra={"providerExecuted": True},
            )
        ),
        SourcePart(source={"sourceType": "url", "id": "s1", "url": 'https://example.com/?a=1&b="2"', "title": "Ex"}),
        FilePart(data="aGVsbG8gd29ybGQ=", mime_type="text/plain"),
        FilePart(data="https://example.com/image.png", mime_type="image/png", extra={"filename": "image.png"}),
        StepStartPart(),
        DataPart(type="data-weather", data={"temp": 21.5, "unit": "C"}, id="d1"),
        DataPart(type="data-empty"),
        UnknownPart(raw={"type": "future-part", "payload": {"x": [1, None, True]}}),
        UnknownPart(raw={"type": "text"}),  # a malformed known part is kept verbatim
    ]


async def _round_trip_message(memory, content: MessageContent, **kw: Any) -> Any:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msg = sample_message(thread.id, content=content, **kw)
    await memory.save_messages(messages=[msg])
    [listed] = (await memory.list_messages(thread_id=thread.id)).items
    [by_id] = await memory.list_messages_by_id(message_ids=[msg.id])
    assert listed == by_id == msg
    return listed


async def test_every_part_kind_round_trips(memory) -> None:
    content = MessageContent(parts=_every_part(), content="summary")
    got = await _round_trip_message(memory, content, role="assistant")
    assert [type(p) for p in got.content.parts] == [type(p) for p in _every_part()]


@pytest.mark.parametrize("part", _every_part(), ids=lambda p: f"{type(p).__name__}-{getattr(p, 'type', '')}")
async def test_each_part_alone_round_trips(memory, part: Any) -> None:
    await _round_trip_message(memory, MessageContent(parts=[part]))


async def test_every_content_field_and_unknown_top_level_fields_round_trip(memory) -> None:
    content = MessageContent(
        parts=[TextPart(text="t")],
        content="t",
        experimental_attachments=[{"name": "a.txt", "contentType": "text/plain", "url": "data:,x"}],
        tool_invocations=[{"state": "result", "toolCallId": "c", "toolName": "n", "args": {}, "result": 1}],
        reasoning="why",
        annotations=[{"kind": "note"}, "plain", 3],
        metadata={"rating": 5, "tags": ["a"], "nested": {"n": None}},
        provider_metadata={"anthropic": {"cacheControl": {"type": "ephemeral"}}},
        extra={"newerClientField": {"keep": "me"}, "anotherOne": [1, 2, 3]},
    )
    await _round_trip_message(memory, content)


async def test_empty_parts_and_missing_text(memory) -> None:
    await _round_trip_message(memory, MessageContent(parts=[]))
    await _round_trip_message(memory, MessageContent(parts=[], content=None, metadata={}))


async def test_content_that_is_a_json_string_is_not_double_decoded(memory) -> None:
    json_text = '{"role": "user", "content": [{"type": "text", "text": "hi"}]}'
    got = await _round_trip_message(memory, MessageContent(parts=[TextPart(text=json_text)], content=json_text))
    assert got.content.content == json_text
    assert got.content.parts[0].text == json_text


@pytest.mark.parametrize("message_type", [None, "text", "tool-call", "tool-result"])
async def test_message_type_round_trips(memory, message_type: Any) -> None:
    got = await _round_trip_message(memory, MessageContent(parts=[TextPart(text="x")]), type=message_type)
    assert got.type == message_type


@pytest.mark.parametrize("name", sorted(NASTY_STRINGS))
async def test_awkward_strings_in_message_content(memory, name: str) -> None:
    text = NASTY_STRINGS[name]
    await _round_trip_message(memory, MessageContent(parts=[TextPart(text=text)], content=text, metadata={"v": text}))


@pytest.mark.parametrize("name", sorted(NASTY_STRINGS))
async def test_awkward_strings_in_thread_title_and_metadata(memory, name: str) -> None:
    text = NASTY_STRINGS[name]
    thread = sample_thread(title=text, metadata={"value": text, "list": [text, {"inner": text}]})
    await memory.save_thread(thread=thread)
    assert await memory.get_thread_by_id(thread_id=thread.id) == thread
    assert (await memory.list_threads(filter={"resource_id": thread.resource_id})).items == [thread]


@pytest.mark.parametrize("name", ["emoji", "quotes", "nul", "max_codepoint", "sql", "cjk_rtl", "backslashes"])
async def test_metadata_filter_matches_awkward_values(memory, name: str) -> None:
    text = NASTY_STRINGS[name]
    thread = sample_thread(metadata={"probe": text})
    await memory.save_thread(thread=thread)
    await memory.save_thread(thread=sample_thread(resource_id=thread.resource_id, metadata={"probe": text + "x"}))
    result = await memory.list_threads(filter={"resource_id": thread.resource_id, "metadata": {"probe": text}})
    assert [t.id for t in result] == [thread.id]


async def test_awkward_strings_in_resources(memory) -> None:
    everything = _everything()
    resource = sample_resource(working_memory="\n".join(NASTY_STRINGS.values()), metadata=everything)
    await memory.save_resource(resource=resource)
    assert await memory.get_resource_by_id(resource_id=resource.id) == resource
    updated = await memory.update_resource(
        resource_id=resource.id,
        working_memory=NASTY_STRINGS["nul"],
        metadata={"more": NASTY_STRINGS["nul"]},
    )
    assert await memory.get_resource_by_id(resource_id=resource.id) == updated


async def test_awkward_metadata_keys(memory) -> None:
    metadata = {
        "with space": 1,
        "dotted.key": 2,
        "$dollar": 3,
        "emoji🎉": 4,
        'quote"key': 5,
        "back\\slash": 6,
        "": 7,
        "ünïcödé": 8,
        "UPPER": 9,
        "upper": 10,
    }
    thread = sample_thread(metadata=metadata)
    await memory.save_thread(thread=thread)
    assert (await memory.get_thread_by_id(thread_id=thread.id)).metadata == metadata


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        2**31,
        2**53 - 1,
        -(2**53 - 1),
        0.1,
        1e-300,
        1.7976931348623157e308,
        -2.5,
        1.0,
        True,
        False,
        None,
        [],
        {},
        [[[]]],
    ],
)
async def test_json_scalars_and_containers_keep_their_type(memory, value: Any) -> None:
    thread = sample_thread(metadata={"v": value, "wrapped": [value], "obj": {"v": value}})
    await memory.save_thread(thread=thread)
    got = (await memory.get_thread_by_id(thread_id=thread.id)).metadata
    assert got == thread.metadata
    assert type(got["v"]) is type(value) or (
        isinstance(value, float) and value.is_integer() and isinstance(got["v"], int | float)
    )


async def test_deeply_nested_metadata(memory) -> None:
    deep: dict[str, Any] = {"leaf": [1, "two", None]}
    for i in range(40):
        deep = {f"l{i}": deep}
    thread = sample_thread(metadata=deep)
    await memory.save_thread(thread=thread)
    assert (await memory.get_thread_by_id(thread_id=thread.id)).metadata == deep


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC),
        datetime(2000, 2, 29, 12, 0, 0, tzinfo=UTC),
        datetime(2038, 1, 19, 3, 14, 8, 999000, tzinfo=UTC),
        datetime(2099, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
    ],
)
async def test_extreme_timestamps_round_trip(memory, moment: datetime) -> None:
    thread = sample_thread(created_at=moment, updated_at=moment)
    await memory.save_thread(thread=thread)
    assert (await memory.get_thread_by_id(thread_id=thread.id)).created_at == moment
    msg = sample_message(uid("thread-"), created_at=moment)
    await memory.save_messages(messages=[msg])
    assert (await memory.list_messages_by_id(message_ids=[msg.id]))[0].created_at == moment


async def test_awkward_snapshot_round_trips_and_filters_by_status(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    snap = sample_snapshot(
        run_id,
        "suspended",
        value=_everything(),
        context={"input": NASTY_STRINGS, "step": {"output": NASTY_STRINGS["max_codepoint"]}},
        error={"message": NASTY_STRINGS["nul"], "stack": NASTY_STRINGS["backslashes"]},
    )
    await workflows.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot=snap)
    assert await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id) == snap
    assert [r.run_id for r in await workflows.list_workflow_runs(workflow_name=name, status="suspended")] == [run_id]
    ctx = await workflows.update_workflow_results(
        workflow_name=name, run_id=run_id, step_id="s\u0000💥", result=NASTY_STRINGS["zero_width"]
    )
    assert ctx["s\u0000💥"] == NASTY_STRINGS["zero_width"]
    assert (await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id))["context"] == ctx


async def test_awkward_ids_round_trip(memory, workflows) -> None:
    weird = f"id with spaces/slashes:colons#{uid()}?&=%20 'q' \"dq\" 🎉"
    thread = sample_thread(id=weird, resource_id=weird + "-r")
    await memory.save_thread(thread=thread)
    msg = sample_message(weird, id=weird + "-m", resource_id=weird + "-r")
    await memory.save_messages(messages=[msg])
    got = await memory.get_thread_by_id(thread_id=weird)
    assert (got.id, got.resource_id, got.created_at) == (thread.id, thread.resource_id, thread.created_at)
    assert [m.id for m in await memory.list_messages(thread_id=weird)] == [msg.id]
    assert [t.id for t in await memory.list_threads(filter={"resource_id": weird + "-r"})] == [weird]
    await workflows.persist_workflow_snapshot(workflow_name=weird, run_id=weird, snapshot=sample_snapshot(weird))
    assert (await workflows.load_workflow_snapshot(workflow_name=weird, run_id=weird))["runId"] == weird


async def test_awkward_strings_in_scores(scores) -> None:
    payload = sample_score(
        reason=NASTY_STRINGS["nul"],
        output=NASTY_STRINGS,
        input=[NASTY_STRINGS["max_codepoint"]],
        metadata=_everything(),
        scorer={"name": NASTY_STRINGS["emoji"]},
        entity={"id": NASTY_STRINGS["quotes"]},
        analyze_prompt=NASTY_STRINGS["long"],
    )
    saved = await scores.save_score(score=payload)
    assert await scores.get_score_by_id(id=saved.id) == saved


@pytest.mark.requires("observability")
async def test_awkward_strings_in_spans(observability) -> None:
    span = sample_span(
        name=NASTY_STRINGS["emoji"],
        attributes=_everything(),
        input=NASTY_STRINGS["nul"],
        output={"o": NASTY_STRINGS["nul"]},
        metadata={"m": NASTY_STRINGS["quotes"]},
        tags=[NASTY_STRINGS["cjk_rtl"], NASTY_STRINGS["nul"]],
        started_at=base_time(),
        ended_at=base_time() + ms(3),
    )
    await observability.create_span(span=span)
    got = await observability.get_span(trace_id=span.trace_id, span_id=span.span_id)
    assert (got.name, got.attributes, got.input, got.output, got.metadata, got.tags) == (
        span.name,
        span.attributes,
        span.input,
        span.output,
        span.metadata,
        span.tags,
    )
    assert [s.trace_id for s in await observability.list_traces(filters={"tags": [NASTY_STRINGS["nul"]]})] == [
        span.trace_id
    ]


@pytest.mark.requires("agents")
async def test_awkward_strings_in_agents(agents) -> None:
    agent = Agent(
        id=uid("agent-"),
        name=NASTY_STRINGS["emoji"],
        instructions=NASTY_STRINGS["long"] + NASTY_STRINGS["nul"],
        model={"name": NASTY_STRINGS["quotes"]},
        metadata=_everything(),
        description=NASTY_STRINGS["max_codepoint"],
    )
    created = await agents.create_agent(agent=agent)
    assert await agents.get_agent_by_id(id=agent.id) == created
