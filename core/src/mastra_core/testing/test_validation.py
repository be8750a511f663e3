"""Bad input for every public method: a USER ValidationError ``MASTRA_STORAGE_<BACKEND>_<OP>_<STATUS>``, raised
before anything is written (each case compares a read-back of the domain before and after the call).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import attrs
import pytest

from mastra_core import MessageContent, TextPart
from mastra_core.records import Agent, EvalRow, Span, Thread, TraceRow

from .factories import (
    raises_validation,
    sample_message,
    sample_resource,
    sample_score,
    sample_snapshot,
    sample_span,
    sample_thread,
    uid,
)

Call = Callable[[Any, dict[str, Any]], Awaitable[Any]]


@attrs.define
class Case:
    domain: str
    op: str
    status: str
    call: Call
    name: str = ""


CASES: list[Case] = []


def cases(domain: str, op: str, status: str, calls: dict[str, Call]) -> None:
    for name, fn in calls.items():
        CASES.append(Case(domain, op, status, fn, name))


# ------------------------------------------------------------------------------------------------ setup and read-back


async def setup_memory(s: Any) -> dict[str, Any]:
    thread, other = sample_thread(), sample_thread()
    await s.save_thread(thread=thread)
    await s.save_thread(thread=other)
    msgs = [sample_message(thread.id, "one"), sample_message(thread.id, "two")]
    await s.save_messages(messages=msgs)
    resource = await s.save_resource(resource=sample_resource())
    return {
        "thread": thread,
        "other": other,
        "msgs": msgs,
        "resource": resource,
        "new_resource": uid("r-"),
        "new_thread": uid("t-"),
    }


async def read_memory(s: Any, ctx: dict[str, Any]) -> Any:
    return (
        (await s.list_threads(per_page=False)).items,
        (await s.list_messages(thread_id=[ctx["thread"].id, ctx["other"].id, ctx["new_thread"]], per_page=False)).items,
        await s.get_resource_by_id(resource_id=ctx["resource"].id),
        await s.get_resource_by_id(resource_id=ctx["new_resource"]),
    )


async def setup_workflows(s: Any) -> dict[str, Any]:
    name, run_id = uid("wf-"), uid("run-")
    await s.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot=sample_snapshot(run_id))
    return {"name": name, "run_id": run_id}


async def read_workflows(s: Any, ctx: dict[str, Any]) -> Any:
    return (await s.list_workflow_runs()).items


async def setup_scores(s: Any) -> dict[str, Any]:
    score = await s.save_score(score=sample_score())
    return {"score": score}


async def read_scores(s: Any, ctx: dict[str, Any]) -> Any:
    sc = ctx["score"]
    return (
        (await s.list_scores_by_scorer_id(scorer_id=sc.scorer_id, per_page=False)).items,
        (await s.list_scores_by_run_id(run_id=sc.run_id, per_page=False)).items,
    )


async def setup_observability(s: Any) -> dict[str, Any]:
    span = sample_span()
    await s.create_span(span=span)
    return {"span": span}


async def read_observability(s: Any, ctx: dict[str, Any]) -> Any:
    return (await s.list_traces(per_page=100)).items, await s.get_trace(trace_id=ctx["span"].trace_id)


async def setup_agents(s: Any) -> dict[str, Any]:
    agent = await s.create_agent(agent=Agent(id=uid("agent-"), name="A", instructions="I", model={"m": 1}))
    return {"agent": agent}


async def read_agents(s: Any, ctx: dict[str, Any]) -> Any:
    return (await s.list_agents(per_page=False)).items


def _eval(**kw: Any) -> EvalRow:
    base = {"run_id": uid(), "agent_name": "a", "metric_name": "m", "input": "i", "output": "o", "result": {"score": 1}}
    base.update(kw)
    return EvalRow(**base)


def _trace_row(**kw: Any) -> TraceRow:
    base = {"id": uid(), "trace_id": uid(), "name": "n", "scope": "s", "kind": 0, "start_time": 1, "end_time": 2}
    base.update(kw)
    return TraceRow(**base)


async def setup_evals(s: Any) -> dict[str, Any]:
    await s.save_evals(evals=[_eval()])
    return {}


async def read_evals(s: Any, ctx: dict[str, Any]) -> Any:
    return (await s.list_evals(per_page=False)).items


async def setup_traces(s: Any) -> dict[str, Any]:
    await s.save_traces(traces=[_trace_row()])
    return {}


async def read_traces(s: Any, ctx: dict[str, Any]) -> Any:
    return (await s.list_traces(per_page=False)).items


SETUP = {
    "memory": setup_memory,
    "workflows": setup_workflows,
    "scores": setup_scores,
    "observability": setup_observability,
    "agents": setup_agents,
    "evals": setup_evals,
    "traces": setup_traces,
}
READ = {
    "memory": read_memory,
    "workflows": read_workflows,
    "scores": read_scores,
    "observability": read_observability,
    "agents": read_agents,
    "evals": read_evals,
    "traces": read_traces,
}


# ------------------------------------------------------------------------------------------------ memory


def over(values: dict[str, Any], make: Callable[[Any], Call]) -> dict[str, Call]:
    """One case per value, each call bound to its own value."""
    return {name: make(value) for name, value in values.items()}


BLANK_IDS: dict[str, Any] = {"empty": "", "spaces": "   ", "none": None, "int": 123, "tab": "\t\n"}

cases(
    "memory",
    "GET_THREAD_BY_ID",
    "INVALID_THREAD_ID",
    over(BLANK_IDS, lambda v: lambda s, c: s.get_thread_by_id(thread_id=v)),
)
cases(
    "memory", "DELETE_THREAD", "INVALID_THREAD_ID", over(BLANK_IDS, lambda v: lambda s, c: s.delete_thread(thread_id=v))
)
cases(
    "memory",
    "GET_RESOURCE_BY_ID",
    "INVALID_RESOURCE_ID",
    over(BLANK_IDS, lambda v: lambda s, c: s.get_resource_by_id(resource_id=v)),
)

cases(
    "memory",
    "SAVE_THREAD",
    "INVALID_THREAD_ID",
    {
        "blank id": lambda s, c: s.save_thread(thread=sample_thread(id="  ")),
        "empty id": lambda s, c: s.save_thread(thread=sample_thread(id="")),
    },
)
cases(
    "memory",
    "SAVE_THREAD",
    "INVALID_RESOURCE_ID",
    {
        "blank resource": lambda s, c: s.save_thread(thread=sample_thread(id=c["new_thread"], resource_id="")),
        "none resource": lambda s, c: s.save_thread(thread=sample_thread(id=c["new_thread"], resource_id=None)),
        "existing thread, blank resource": lambda s, c: s.save_thread(
            thread=attrs.evolve(c["thread"], resource_id=" ", title="x")
        ),
    },
)
cases(
    "memory",
    "SAVE_THREAD",
    "INVALID_METADATA",
    {
        "metadata string": lambda s, c: s.save_thread(thread=sample_thread(id=c["new_thread"], metadata="meta")),
        "metadata list": lambda s, c: s.save_thread(thread=attrs.evolve(c["thread"], metadata=[1, 2])),
    },
)
cases(
    "memory",
    "SAVE_THREAD",
    "INVALID_INPUT",
    {
        "not a thread": lambda s, c: s.save_thread(thread=42),
        "mapping without resource": lambda s, c: s.save_thread(
            thread={"id": c["new_thread"], "title": "x", "unknown": object()}
        ),
    },
)

cases(
    "memory",
    "UPDATE_THREAD",
    "INVALID_THREAD_ID",
    over(BLANK_IDS, lambda v: lambda s, c: s.update_thread(id=v, title="x")),
)
cases(
    "memory",
    "UPDATE_THREAD",
    "INVALID_METADATA",
    {
        "string": lambda s, c: s.update_thread(id=c["thread"].id, title="changed", metadata="x"),
        "list": lambda s, c: s.update_thread(id=c["thread"].id, metadata=[("a", 1)]),
    },
)
cases(
    "memory",
    "UPDATE_THREAD",
    "INVALID_TITLE",
    {
        "int title": lambda s, c: s.update_thread(id=c["thread"].id, title=5, metadata={"a": 1}),
        "dict title": lambda s, c: s.update_thread(id=c["thread"].id, title={"t": 1}),
    },
)

cases(
    "memory",
    "LIST_THREADS",
    "INVALID_PAGE",
    {
        "negative": lambda s, c: s.list_threads(page=-1),
        "float": lambda s, c: s.list_threads(page=1.5),
        "bool": lambda s, c: s.list_threads(page=True),
        "string": lambda s, c: s.list_threads(page="0"),
        "none": lambda s, c: s.list_threads(page=None),
        "page with per_page False": lambda s, c: s.list_threads(page=1, per_page=False),
        "offset overflow": lambda s, c: s.list_threads(page=2**62, per_page=100),
    },
)
cases(
    "memory",
    "LIST_THREADS",
    "INVALID_PER_PAGE",
    {
        "negative": lambda s, c: s.list_threads(per_page=-1),
        "string": lambda s, c: s.list_threads(per_page="10"),
        "true": lambda s, c: s.list_threads(per_page=True),
        "float": lambda s, c: s.list_threads(per_page=2.5),
        "none": lambda s, c: s.list_threads(per_page=None),
    },
)
cases(
    "memory",
    "LIST_THREADS",
    "INVALID_FILTER",
    {
        "unknown key": lambda s, c: s.list_threads(filter={"title": "x"}),
        "typo": lambda s, c: s.list_threads(filter={"resource": c["thread"].resource_id}),
    },
)
BAD_METADATA_KEYS = [
    "bad-key",
    "1abc",
    "__proto__",
    "prototype",
    "constructor",
    "a" * 129,
    "with space",
    "",
    "dotted.key",
    "quote'key",
    "semi;colon",
    "ключ",
    5,
]
cases(
    "memory",
    "LIST_THREADS",
    "INVALID_METADATA_KEY",
    over(
        {f"key {k!r}"[:40]: k for k in BAD_METADATA_KEYS},
        lambda k: lambda s, c: s.list_threads(filter={"metadata": {k: "v"}}),
    ),
)
cases(
    "memory",
    "LIST_THREADS",
    "INVALID_METADATA",
    {
        "metadata list": lambda s, c: s.list_threads(filter={"metadata": ["a"]}),
        "metadata string": lambda s, c: s.list_threads(filter={"metadata": "a=1"}),
    },
)
cases(
    "memory",
    "LIST_THREADS",
    "INVALID_ORDER_BY",
    {
        "unknown field": lambda s, c: s.list_threads(order_by={"field": "title"}),
        "unknown direction": lambda s, c: s.list_threads(order_by={"direction": "UP"}),
        "string": lambda s, c: s.list_threads(order_by="created_at"),
    },
)
cases(
    "memory",
    "LIST_THREADS",
    "INVALID_RESOURCE_ID",
    {
        "blank": lambda s, c: s.list_threads(filter={"resource_id": " "}),
    },
)

cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_THREAD_ID",
    {
        "empty": lambda s, c: s.list_messages(thread_id=""),
        "spaces": lambda s, c: s.list_messages(thread_id="   "),
        "empty list": lambda s, c: s.list_messages(thread_id=[]),
        "blank in list": lambda s, c: s.list_messages(thread_id=[c["thread"].id, ""]),
        "none": lambda s, c: s.list_messages(thread_id=None),
        "int in list": lambda s, c: s.list_messages(thread_id=[1]),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_PAGE",
    {
        "negative": lambda s, c: s.list_messages(thread_id=c["thread"].id, page=-1),
        "float": lambda s, c: s.list_messages(thread_id=c["thread"].id, page=0.5),
        "page with per_page False": lambda s, c: s.list_messages(thread_id=c["thread"].id, page=2, per_page=False),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_PER_PAGE",
    {
        "negative": lambda s, c: s.list_messages(thread_id=c["thread"].id, per_page=-5),
        "string": lambda s, c: s.list_messages(thread_id=c["thread"].id, per_page="all"),
        "true": lambda s, c: s.list_messages(thread_id=c["thread"].id, per_page=True),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_FILTER",
    {
        "unknown key": lambda s, c: s.list_messages(thread_id=c["thread"].id, filter={"role": "user"}),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_DATE_RANGE",
    {
        "unknown key": lambda s, c: s.list_messages(
            thread_id=c["thread"].id, filter={"date_range": {"from": datetime.now()}}
        ),
        "not a mapping": lambda s, c: s.list_messages(thread_id=c["thread"].id, filter={"date_range": "today"}),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_START",
    {
        "bad start": lambda s, c: s.list_messages(
            thread_id=c["thread"].id, filter={"date_range": {"start": "yesterday"}}
        ),
        "bool start": lambda s, c: s.list_messages(thread_id=c["thread"].id, filter={"date_range": {"start": True}}),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_END",
    {
        "bad end": lambda s, c: s.list_messages(thread_id=c["thread"].id, filter={"dateRange": {"end": "2024-13-45"}}),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_INCLUDE_ID",
    {
        "blank include id": lambda s, c: s.list_messages(thread_id=c["thread"].id, include=[{"id": " "}]),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_WITH_PREVIOUS_MESSAGES",
    {
        "negative previous": lambda s, c: s.list_messages(
            thread_id=c["thread"].id, include=[{"id": c["msgs"][0].id, "with_previous_messages": -1}]
        ),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_WITH_NEXT_MESSAGES",
    {
        "string next": lambda s, c: s.list_messages(
            thread_id=c["thread"].id, include=[{"id": c["msgs"][0].id, "withNextMessages": "2"}]
        ),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_INCLUDE",
    {
        "unknown include key": lambda s, c: s.list_messages(
            thread_id=c["thread"].id, include=[{"id": c["msgs"][0].id, "window": 2}]
        ),
        "include string": lambda s, c: s.list_messages(thread_id=c["thread"].id, include=[c["msgs"][0].id]),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_ORDER_BY",
    {
        "updated_at": lambda s, c: s.list_messages(thread_id=c["thread"].id, order_by={"field": "updated_at"}),
        "direction": lambda s, c: s.list_messages(thread_id=c["thread"].id, order_by={"direction": "sideways"}),
    },
)
cases(
    "memory",
    "LIST_MESSAGES",
    "INVALID_RESOURCE_ID",
    {
        "blank": lambda s, c: s.list_messages(thread_id=c["thread"].id, resource_id=""),
    },
)
cases(
    "memory",
    "LIST_MESSAGES_BY_ID",
    "INVALID_MESSAGE_IDS",
    {
        "lone string": lambda s, c: s.list_messages_by_id(message_ids=c["msgs"][0].id),
        "blank id": lambda s, c: s.list_messages_by_id(message_ids=[c["msgs"][0].id, ""]),
        "none": lambda s, c: s.list_messages_by_id(message_ids=None),
    },
)


def _good(c: dict[str, Any]) -> Any:
    return sample_message(c["thread"].id, "good")


cases(
    "memory",
    "SAVE_MESSAGES",
    "INVALID_MESSAGE_ID",
    {
        "blank id": lambda s, c: s.save_messages(messages=[_good(c), sample_message(c["thread"].id, id=" ")]),
        "none id": lambda s, c: s.save_messages(messages=[_good(c), sample_message(c["thread"].id, id=None)]),
    },
)
cases(
    "memory",
    "SAVE_MESSAGES",
    "INVALID_THREAD_ID",
    {
        "no thread": lambda s, c: s.save_messages(messages=[_good(c), sample_message(None)]),
        "blank thread": lambda s, c: s.save_messages(messages=[sample_message("  "), _good(c)]),
    },
)
cases(
    "memory",
    "SAVE_MESSAGES",
    "INVALID_RESOURCE_ID",
    {
        "no resource": lambda s, c: s.save_messages(
            messages=[_good(c), sample_message(c["thread"].id, resource_id=None)]
        ),
        "blank resource": lambda s, c: s.save_messages(
            messages=[_good(c), sample_message(c["thread"].id, resource_id="")]
        ),
    },
)
cases(
    "memory",
    "SAVE_MESSAGES",
    "INVALID_ROLE",
    {
        "robot": lambda s, c: s.save_messages(messages=[_good(c), sample_message(c["thread"].id, role="robot")]),
        "upper case": lambda s, c: s.save_messages(messages=[sample_message(c["thread"].id, role="USER")]),
    },
)
cases(
    "memory",
    "SAVE_MESSAGES",
    "INVALID_CONTENT",
    {
        # a string is the reference's short form (one text part); a number or a list of words is not content
        "number content": lambda s, c: s.save_messages(
            messages=[_good(c), sample_message(c["thread"].id, content=42)]
        ),
    },
)
cases(
    "memory",
    "SAVE_MESSAGES",
    "DUPLICATE_MESSAGE_ID",
    {
        "same id twice": lambda s, c: s.save_messages(messages=[(m := _good(c)), attrs.evolve(m, role="assistant")]),
        "existing id twice": lambda s, c: s.save_messages(
            messages=[c["msgs"][0], attrs.evolve(c["msgs"][0], role="assistant")]
        ),
    },
)
cases(
    "memory",
    "SAVE_MESSAGES",
    "INVALID_INPUT",
    {
        "not a message": lambda s, c: s.save_messages(messages=[_good(c), 42]),
        "bad mapping": lambda s, c: s.save_messages(
            messages=[{"id": uid(), "threadId": c["thread"].id, "nonsense": 1}]
        ),
    },
)

cases(
    "memory",
    "UPDATE_MESSAGES",
    "INVALID_MESSAGE_ID",
    {
        "blank id": lambda s, c: s.update_messages(
            messages=[{"id": c["msgs"][0].id, "role": "assistant"}, {"id": "", "role": "user"}]
        ),
    },
)
cases(
    "memory",
    "UPDATE_MESSAGES",
    "INVALID_ROLE",
    {
        "bad role": lambda s, c: s.update_messages(
            messages=[{"id": c["msgs"][0].id, "content": {"content": "x"}}, {"id": c["msgs"][1].id, "role": "bot"}]
        ),
    },
)
cases(
    "memory",
    "UPDATE_MESSAGES",
    "INVALID_THREAD_ID",
    {
        "blank thread": lambda s, c: s.update_messages(messages=[{"id": c["msgs"][0].id, "thread_id": " "}]),
        "none thread": lambda s, c: s.update_messages(messages=[{"id": c["msgs"][0].id, "threadId": None}]),
    },
)
cases(
    "memory",
    "UPDATE_MESSAGES",
    "INVALID_UPDATE",
    {
        "unknown field": lambda s, c: s.update_messages(messages=[{"id": c["msgs"][0].id, "colour": "red"}]),
        "not a mapping": lambda s, c: s.update_messages(messages=["x"]),
    },
)
cases(
    "memory",
    "UPDATE_MESSAGES",
    "INVALID_CONTENT",
    {
        "int content": lambda s, c: s.update_messages(messages=[{"id": c["msgs"][0].id, "content": 5}]),
    },
)
cases(
    "memory",
    "DELETE_MESSAGES",
    "INVALID_MESSAGE_IDS",
    {
        "lone string": lambda s, c: s.delete_messages(message_ids=c["msgs"][0].id),
        "blank among valid": lambda s, c: s.delete_messages(message_ids=[c["msgs"][0].id, ""]),
        "none among valid": lambda s, c: s.delete_messages(message_ids=[c["msgs"][1].id, None]),
    },
)

cases(
    "memory",
    "SAVE_RESOURCE",
    "INVALID_RESOURCE_ID",
    {
        "blank": lambda s, c: s.save_resource(resource=sample_resource(id=" ")),
    },
)
cases(
    "memory",
    "SAVE_RESOURCE",
    "INVALID_METADATA",
    {
        "string": lambda s, c: s.save_resource(resource=sample_resource(id=c["new_resource"], metadata="x")),
    },
)
cases(
    "memory",
    "SAVE_RESOURCE",
    "INVALID_WORKING_MEMORY",
    {
        "int": lambda s, c: s.save_resource(resource=attrs.evolve(c["resource"], working_memory=5)),
        "dict": lambda s, c: s.save_resource(resource=sample_resource(id=c["new_resource"], working_memory={"a": 1})),
    },
)
cases(
    "memory",
    "UPDATE_RESOURCE",
    "INVALID_RESOURCE_ID",
    over(BLANK_IDS, lambda v: lambda s, c: s.update_resource(resource_id=v, working_memory="x")),
)
cases(
    "memory",
    "UPDATE_RESOURCE",
    "INVALID_WORKING_MEMORY",
    {
        "dict on new": lambda s, c: s.update_resource(resource_id=c["new_resource"], working_memory={"a": 1}),
        "list on existing": lambda s, c: s.update_resource(
            resource_id=c["resource"].id, working_memory=["x"], metadata={"a": 1}
        ),
    },
)
cases(
    "memory",
    "UPDATE_RESOURCE",
    "INVALID_METADATA",
    {
        "list on new": lambda s, c: s.update_resource(resource_id=c["new_resource"], metadata=[1]),
        "string on existing": lambda s, c: s.update_resource(
            resource_id=c["resource"].id, working_memory="x", metadata="m"
        ),
    },
)

cases(
    "memory",
    "CLONE_THREAD",
    "INVALID_SOURCE_THREAD_ID",
    {
        "blank": lambda s, c: s.clone_thread(source_thread_id=" ", new_thread_id=c["new_thread"]),
    },
)
cases(
    "memory",
    "CLONE_THREAD",
    "INVALID_NEW_THREAD_ID",
    {
        "blank": lambda s, c: s.clone_thread(source_thread_id=c["thread"].id, new_thread_id=""),
    },
)
cases(
    "memory",
    "CLONE_THREAD",
    "INVALID_RESOURCE_ID",
    {
        "blank": lambda s, c: s.clone_thread(
            source_thread_id=c["thread"].id, new_thread_id=c["new_thread"], resource_id=" "
        ),
    },
)
cases(
    "memory",
    "CLONE_THREAD",
    "INVALID_METADATA",
    {
        "string": lambda s, c: s.clone_thread(
            source_thread_id=c["thread"].id, new_thread_id=c["new_thread"], metadata="m"
        ),
    },
)
cases(
    "memory",
    "CLONE_THREAD",
    "INVALID_OPTIONS",
    {
        "unknown option": lambda s, c: s.clone_thread(
            source_thread_id=c["thread"].id, new_thread_id=c["new_thread"], options={"limit": 1}
        ),
        "unknown filter": lambda s, c: s.clone_thread(
            source_thread_id=c["thread"].id, new_thread_id=c["new_thread"], options={"message_filter": {"role": "user"}}
        ),
    },
)
cases(
    "memory",
    "CLONE_THREAD",
    "INVALID_MESSAGE_LIMIT",
    {
        "negative": lambda s, c: s.clone_thread(
            source_thread_id=c["thread"].id, new_thread_id=c["new_thread"], options={"message_limit": -1}
        ),
        "string": lambda s, c: s.clone_thread(
            source_thread_id=c["thread"].id, new_thread_id=c["new_thread"], options={"messageLimit": "5"}
        ),
    },
)
cases(
    "memory",
    "CLONE_THREAD",
    "INVALID_START_DATE",
    {
        "bad date": lambda s, c: s.clone_thread(
            source_thread_id=c["thread"].id,
            new_thread_id=c["new_thread"],
            options={"message_filter": {"start_date": "soon"}},
        ),
    },
)
cases(
    "memory",
    "CLONE_THREAD",
    "INVALID_MESSAGE_IDS",
    {
        "lone string": lambda s, c: s.clone_thread(
            source_thread_id=c["thread"].id,
            new_thread_id=c["new_thread"],
            options={"messageFilter": {"messageIds": c["msgs"][0].id}},
        ),
    },
)

# ------------------------------------------------------------------------------------------------ workflows

cases(
    "workflows",
    "PERSIST_WORKFLOW_SNAPSHOT",
    "INVALID_WORKFLOW_NAME",
    {
        "blank": lambda s, c: s.persist_workflow_snapshot(
            workflow_name=" ", run_id=c["run_id"], snapshot=sample_snapshot(c["run_id"], "success")
        ),
    },
)
cases(
    "workflows",
    "PERSIST_WORKFLOW_SNAPSHOT",
    "INVALID_RUN_ID",
    {
        "blank": lambda s, c: s.persist_workflow_snapshot(
            workflow_name=c["name"], run_id="", snapshot=sample_snapshot("x")
        ),
    },
)
cases(
    "workflows",
    "PERSIST_WORKFLOW_SNAPSHOT",
    "INVALID_SNAPSHOT",
    {
        "string": lambda s, c: s.persist_workflow_snapshot(workflow_name=c["name"], run_id=c["run_id"], snapshot="{}"),
        "list": lambda s, c: s.persist_workflow_snapshot(workflow_name=c["name"], run_id=uid(), snapshot=[]),
    },
)
cases(
    "workflows",
    "PERSIST_WORKFLOW_SNAPSHOT",
    "INVALID_RESOURCE_ID",
    {
        "blank": lambda s, c: s.persist_workflow_snapshot(
            workflow_name=c["name"], run_id=c["run_id"], snapshot={}, resource_id=" "
        ),
    },
)
cases(
    "workflows",
    "LOAD_WORKFLOW_SNAPSHOT",
    "INVALID_WORKFLOW_NAME",
    {
        "blank": lambda s, c: s.load_workflow_snapshot(workflow_name="", run_id=c["run_id"]),
    },
)
cases(
    "workflows",
    "LOAD_WORKFLOW_SNAPSHOT",
    "INVALID_RUN_ID",
    {
        "blank": lambda s, c: s.load_workflow_snapshot(workflow_name=c["name"], run_id=None),
    },
)
cases(
    "workflows",
    "GET_WORKFLOW_RUN_BY_ID",
    "INVALID_RUN_ID",
    {
        "blank": lambda s, c: s.get_workflow_run_by_id(run_id="  "),
    },
)
cases(
    "workflows",
    "GET_WORKFLOW_RUN_BY_ID",
    "INVALID_WORKFLOW_NAME",
    {
        "blank": lambda s, c: s.get_workflow_run_by_id(run_id=c["run_id"], workflow_name=""),
    },
)
cases(
    "workflows",
    "LIST_WORKFLOW_RUNS",
    "INVALID_PAGE",
    {
        "negative": lambda s, c: s.list_workflow_runs(page=-1, per_page=10),
        "page without per_page": lambda s, c: s.list_workflow_runs(page=1),
    },
)
cases(
    "workflows",
    "LIST_WORKFLOW_RUNS",
    "INVALID_PER_PAGE",
    {
        "negative": lambda s, c: s.list_workflow_runs(page=0, per_page=-1),
        "string": lambda s, c: s.list_workflow_runs(per_page="5"),
    },
)
cases(
    "workflows",
    "LIST_WORKFLOW_RUNS",
    "INVALID_STATUS",
    {
        "unknown": lambda s, c: s.list_workflow_runs(status="done"),
        "case": lambda s, c: s.list_workflow_runs(status="SUCCESS"),
    },
)
cases(
    "workflows", "LIST_WORKFLOW_RUNS", "INVALID_FROM_DATE", {"bad": lambda s, c: s.list_workflow_runs(from_date="nope")}
)
cases("workflows", "LIST_WORKFLOW_RUNS", "INVALID_TO_DATE", {"bad": lambda s, c: s.list_workflow_runs(to_date=[2024])})
cases(
    "workflows",
    "LIST_WORKFLOW_RUNS",
    "INVALID_WORKFLOW_NAME",
    {"blank": lambda s, c: s.list_workflow_runs(workflow_name=" ")},
)
cases(
    "workflows",
    "LIST_WORKFLOW_RUNS",
    "INVALID_RESOURCE_ID",
    {"blank": lambda s, c: s.list_workflow_runs(resource_id="")},
)
cases(
    "workflows",
    "DELETE_WORKFLOW_RUN_BY_ID",
    "INVALID_RUN_ID",
    {
        "blank": lambda s, c: s.delete_workflow_run_by_id(run_id="", workflow_name=c["name"]),
    },
)
cases(
    "workflows",
    "DELETE_WORKFLOW_RUN_BY_ID",
    "INVALID_WORKFLOW_NAME",
    {
        "blank": lambda s, c: s.delete_workflow_run_by_id(run_id=c["run_id"], workflow_name=" "),
    },
)
cases(
    "workflows",
    "UPDATE_WORKFLOW_RESULTS",
    "INVALID_STEP_ID",
    {
        "blank": lambda s, c: s.update_workflow_results(
            workflow_name=c["name"], run_id=c["run_id"], step_id="", result=1
        ),
        "blank on new run": lambda s, c: s.update_workflow_results(
            workflow_name=c["name"], run_id=uid(), step_id=" ", result=1
        ),
    },
)
cases(
    "workflows",
    "UPDATE_WORKFLOW_RESULTS",
    "INVALID_RUN_ID",
    {
        "blank": lambda s, c: s.update_workflow_results(workflow_name=c["name"], run_id=" ", step_id="s", result=1),
    },
)
cases(
    "workflows",
    "UPDATE_WORKFLOW_RESULTS",
    "INVALID_REQUEST_CONTEXT",
    {
        "string": lambda s, c: s.update_workflow_results(
            workflow_name=c["name"], run_id=uid(), step_id="s", result=1, request_context="ctx"
        ),
    },
)
cases(
    "workflows",
    "UPDATE_WORKFLOW_STATE",
    "INVALID_OPTS",
    {
        "unknown key": lambda s, c: s.update_workflow_state(
            workflow_name=c["name"], run_id=c["run_id"], opts={"status": "success", "colour": 1}
        ),
        "not a mapping": lambda s, c: s.update_workflow_state(
            workflow_name=c["name"], run_id=c["run_id"], opts="success"
        ),
    },
)
cases(
    "workflows",
    "UPDATE_WORKFLOW_STATE",
    "INVALID_STATUS",
    {
        "unknown status": lambda s, c: s.update_workflow_state(
            workflow_name=c["name"], run_id=c["run_id"], opts={"status": "finished"}
        ),
        "missing status": lambda s, c: s.update_workflow_state(
            workflow_name=c["name"], run_id=c["run_id"], opts={"result": 1}
        ),
    },
)

# ------------------------------------------------------------------------------------------------ scores


def _score(c: dict[str, Any], **kw: Any) -> Any:
    base = {"scorer_id": c["score"].scorer_id, "run_id": c["score"].run_id}
    base.update(kw)
    return sample_score(**base)


cases("scores", "SAVE_SCORE", "INVALID_SCORER_ID", {"blank": lambda s, c: s.save_score(score=_score(c, scorer_id=" "))})
cases("scores", "SAVE_SCORE", "INVALID_ENTITY_ID", {"blank": lambda s, c: s.save_score(score=_score(c, entity_id=""))})
cases("scores", "SAVE_SCORE", "INVALID_RUN_ID", {"blank": lambda s, c: s.save_score(score=_score(c, run_id=""))})
cases(
    "scores",
    "SAVE_SCORE",
    "INVALID_SCORE",
    {
        "nan": lambda s, c: s.save_score(score=_score(c, score=math.nan)),
        "inf": lambda s, c: s.save_score(score=_score(c, score=math.inf)),
        "string": lambda s, c: s.save_score(score=_score(c, score="high")),
        "bool": lambda s, c: s.save_score(score=_score(c, score=True)),
        "none": lambda s, c: s.save_score(score=_score(c, score=None)),
    },
)
cases(
    "scores",
    "SAVE_SCORE",
    "INVALID_SOURCE",
    {
        "unknown": lambda s, c: s.save_score(score=_score(c, source="PROD")),
        "lower case": lambda s, c: s.save_score(score=_score(c, source="live")),
    },
)
cases(
    "scores",
    "SAVE_SCORE",
    "VALIDATION_FAILED",
    {
        "scorer not a mapping": lambda s, c: s.save_score(score=_score(c, scorer="s")),
        "entity not a mapping": lambda s, c: s.save_score(score=_score(c, entity=["e"])),
        "mapping missing fields": lambda s, c: s.save_score(
            score={"scorerId": c["score"].scorer_id, "runId": c["score"].run_id}
        ),
        "not a payload": lambda s, c: s.save_score(score=3.5),
    },
)
cases("scores", "GET_SCORE_BY_ID", "INVALID_ID", {"blank": lambda s, c: s.get_score_by_id(id="")})
cases(
    "scores",
    "LIST_SCORES_BY_SCORER_ID",
    "INVALID_SCORER_ID",
    {"blank": lambda s, c: s.list_scores_by_scorer_id(scorer_id=" ")},
)
cases(
    "scores",
    "LIST_SCORES_BY_SCORER_ID",
    "INVALID_SOURCE",
    {"unknown": lambda s, c: s.list_scores_by_scorer_id(scorer_id="s", source="BOTH")},
)
cases(
    "scores",
    "LIST_SCORES_BY_SCORER_ID",
    "INVALID_ENTITY_ID",
    {"blank": lambda s, c: s.list_scores_by_scorer_id(scorer_id="s", entity_id="")},
)
cases(
    "scores",
    "LIST_SCORES_BY_SCORER_ID",
    "INVALID_PAGE",
    {"negative": lambda s, c: s.list_scores_by_scorer_id(scorer_id="s", page=-1)},
)
cases(
    "scores",
    "LIST_SCORES_BY_SCORER_ID",
    "INVALID_PER_PAGE",
    {"negative": lambda s, c: s.list_scores_by_scorer_id(scorer_id="s", per_page=-1)},
)
cases("scores", "LIST_SCORES_BY_RUN_ID", "INVALID_RUN_ID", {"blank": lambda s, c: s.list_scores_by_run_id(run_id="")})
cases(
    "scores",
    "LIST_SCORES_BY_RUN_ID",
    "INVALID_PAGE",
    {"float": lambda s, c: s.list_scores_by_run_id(run_id="r", page=0.5)},
)
cases(
    "scores",
    "LIST_SCORES_BY_ENTITY_ID",
    "INVALID_ENTITY_TYPE",
    {"blank": lambda s, c: s.list_scores_by_entity_id(entity_id="e", entity_type=" ")},
)
cases(
    "scores",
    "LIST_SCORES_BY_ENTITY_ID",
    "INVALID_ENTITY_ID",
    {"blank": lambda s, c: s.list_scores_by_entity_id(entity_id="", entity_type="AGENT")},
)
cases(
    "scores",
    "LIST_SCORES_BY_SPAN",
    "INVALID_SPAN_ID",
    {"blank": lambda s, c: s.list_scores_by_span(trace_id="t", span_id="")},
)
cases(
    "scores",
    "LIST_SCORES_BY_SPAN",
    "INVALID_TRACE_ID",
    {"blank": lambda s, c: s.list_scores_by_span(trace_id=" ", span_id="s")},
)

# ------------------------------------------------------------------------------------------------ observability


def _span(c: dict[str, Any], **kw: Any) -> Span:
    return sample_span(c["span"].trace_id, **kw)


cases(
    "observability",
    "CREATE_SPAN",
    "INVALID_TRACE_ID",
    {"blank": lambda s, c: s.create_span(span=sample_span(trace_id=" "))},
)
cases(
    "observability", "CREATE_SPAN", "INVALID_SPAN_ID", {"blank": lambda s, c: s.create_span(span=_span(c, span_id=""))}
)
cases("observability", "CREATE_SPAN", "INVALID_NAME", {"blank": lambda s, c: s.create_span(span=_span(c, name=""))})
cases(
    "observability",
    "CREATE_SPAN",
    "INVALID_SPAN_TYPE",
    {"blank": lambda s, c: s.create_span(span=_span(c, span_type=" "))},
)
cases(
    "observability",
    "CREATE_SPAN",
    "INVALID_SPAN",
    {
        "is_event string": lambda s, c: s.create_span(span=_span(c, is_event="yes")),
        "tags string": lambda s, c: s.create_span(span=_span(c, tags="a,b")),
        "tags of ints": lambda s, c: s.create_span(span=_span(c, tags=[1, 2])),
        "mapping missing fields": lambda s, c: s.create_span(span={"traceId": c["span"].trace_id, "name": "x"}),
        "not a span": lambda s, c: s.create_span(span=7),
    },
)
cases(
    "observability",
    "BATCH_CREATE_SPANS",
    "DUPLICATE_SPAN",
    {
        "same key twice": lambda s, c: s.batch_create_spans(records=[(sp := _span(c)), attrs.evolve(sp, name="again")]),
    },
)
cases(
    "observability",
    "BATCH_CREATE_SPANS",
    "INVALID_NAME",
    {
        "one bad of two": lambda s, c: s.batch_create_spans(records=[_span(c), _span(c, name="")]),
    },
)
cases(
    "observability",
    "UPDATE_SPAN",
    "INVALID_UPDATES",
    {
        "id field": lambda s, c: s.update_span(
            trace_id=c["span"].trace_id, span_id=c["span"].span_id, updates={"name": "n", "trace_id": "x"}
        ),
        "unknown field": lambda s, c: s.update_span(
            trace_id=c["span"].trace_id, span_id=c["span"].span_id, updates={"colour": 1}
        ),
        "created_at": lambda s, c: s.update_span(
            trace_id=c["span"].trace_id, span_id=c["span"].span_id, updates={"createdAt": "2024-01-01"}
        ),
        "not a mapping": lambda s, c: s.update_span(
            trace_id=c["span"].trace_id, span_id=c["span"].span_id, updates=["name"]
        ),
    },
)
cases(
    "observability",
    "UPDATE_SPAN",
    "INVALID_ENDED_AT",
    {
        "bad date": lambda s, c: s.update_span(
            trace_id=c["span"].trace_id, span_id=c["span"].span_id, updates={"ended_at": "later"}
        ),
    },
)
cases(
    "observability",
    "UPDATE_SPAN",
    "INVALID_TRACE_ID",
    {
        "blank": lambda s, c: s.update_span(trace_id="", span_id=c["span"].span_id, updates={"name": "x"}),
    },
)
cases(
    "observability",
    "BATCH_UPDATE_SPANS",
    "INVALID_UPDATES",
    {
        "one bad of two": lambda s, c: s.batch_update_spans(
            records=[
                {"trace_id": c["span"].trace_id, "span_id": c["span"].span_id, "updates": {"name": "changed"}},
                {"trace_id": c["span"].trace_id, "span_id": c["span"].span_id, "updates": {"spanId": "x"}},
            ]
        ),
    },
)
cases(
    "observability",
    "BATCH_UPDATE_SPANS",
    "INVALID_SPAN_ID",
    {
        "missing span id": lambda s, c: s.batch_update_spans(
            records=[{"trace_id": c["span"].trace_id, "updates": {"name": "x"}}]
        ),
    },
)
cases(
    "observability",
    "GET_SPAN",
    "INVALID_SPAN_ID",
    {"blank": lambda s, c: s.get_span(trace_id=c["span"].trace_id, span_id=" ")},
)
cases("observability", "GET_ROOT_SPAN", "INVALID_TRACE_ID", {"blank": lambda s, c: s.get_root_span(trace_id="")})
cases("observability", "GET_TRACE", "INVALID_TRACE_ID", {"blank": lambda s, c: s.get_trace(trace_id=None)})
cases(
    "observability",
    "LIST_TRACES",
    "INVALID_PER_PAGE",
    {
        "over 100": lambda s, c: s.list_traces(per_page=101),
        "negative": lambda s, c: s.list_traces(per_page=-1),
    },
)
cases("observability", "LIST_TRACES", "INVALID_PAGE", {"negative": lambda s, c: s.list_traces(page=-1)})
cases(
    "observability",
    "LIST_TRACES",
    "INVALID_FILTER",
    {
        "unknown": lambda s, c: s.list_traces(filters={"colour": "red"}),
        "not a mapping": lambda s, c: s.list_traces(filters="status=error"),
    },
)
cases(
    "observability",
    "LIST_TRACES",
    "INVALID_STATUS",
    {"unknown": lambda s, c: s.list_traces(filters={"status": "done"})},
)
cases(
    "observability",
    "LIST_TRACES",
    "INVALID_ORDER_BY",
    {
        "name": lambda s, c: s.list_traces(order_by={"field": "name"}),
        "created_at": lambda s, c: s.list_traces(order_by={"field": "created_at"}),
    },
)
cases(
    "observability",
    "LIST_TRACES",
    "INVALID_STARTED_AT_FROM",
    {
        "bad": lambda s, c: s.list_traces(filters={"startedAt": {"start": "dawn"}}),
    },
)
cases(
    "observability",
    "LIST_TRACES",
    "INVALID_METADATA",
    {"list": lambda s, c: s.list_traces(filters={"metadata": ["a"]})},
)
cases(
    "observability",
    "BATCH_DELETE_TRACES",
    "INVALID_TRACE_IDS",
    {
        "lone string": lambda s, c: s.batch_delete_traces(trace_ids=c["span"].trace_id),
        "blank among valid": lambda s, c: s.batch_delete_traces(trace_ids=[c["span"].trace_id, ""]),
    },
)

# ------------------------------------------------------------------------------------------------ agents


def _agent(**kw: Any) -> Agent:
    base = {"id": uid("agent-"), "name": "N", "instructions": "I", "model": {"m": 1}}
    base.update(kw)
    return Agent(**base)


cases("agents", "CREATE_AGENT", "INVALID_ID", {"blank": lambda s, c: s.create_agent(agent=_agent(id=" "))})
cases("agents", "CREATE_AGENT", "INVALID_NAME", {"blank": lambda s, c: s.create_agent(agent=_agent(name=""))})
cases("agents", "CREATE_AGENT", "INVALID_MODEL", {"string": lambda s, c: s.create_agent(agent=_agent(model="gpt-4o"))})
cases(
    "agents",
    "CREATE_AGENT",
    "INVALID_AGENT",
    {
        "instructions not text": lambda s, c: s.create_agent(agent=_agent(instructions=5)),
        "mapping missing fields": lambda s, c: s.create_agent(agent={"id": uid(), "name": "x"}),
        "not an agent": lambda s, c: s.create_agent(agent="agent"),
    },
)
cases(
    "agents",
    "UPDATE_AGENT",
    "INVALID_UPDATE",
    {
        "created_at": lambda s, c: s.update_agent(id=c["agent"].id, name="n2", **{"created_at": None}),
        "unknown": lambda s, c: s.update_agent(id=c["agent"].id, colour="red"),
    },
)
cases("agents", "UPDATE_AGENT", "INVALID_NAME", {"blank": lambda s, c: s.update_agent(id=c["agent"].id, name=" ")})
cases("agents", "UPDATE_AGENT", "INVALID_ID", {"blank": lambda s, c: s.update_agent(id="", name="x")})
cases("agents", "GET_AGENT_BY_ID", "INVALID_ID", {"blank": lambda s, c: s.get_agent_by_id(id="  ")})
cases("agents", "DELETE_AGENT", "INVALID_ID", {"blank": lambda s, c: s.delete_agent(id="")})
cases("agents", "LIST_AGENTS", "INVALID_PAGE", {"negative": lambda s, c: s.list_agents(page=-3)})
cases("agents", "LIST_AGENTS", "INVALID_PER_PAGE", {"negative": lambda s, c: s.list_agents(per_page=-3)})
cases("agents", "LIST_AGENTS", "INVALID_ORDER_BY", {"name": lambda s, c: s.list_agents(order_by={"field": "name"})})

# ------------------------------------------------------------------------------------------------ legacy

cases(
    "evals",
    "SAVE_EVALS",
    "INVALID_AGENT_NAME",
    {"blank": lambda s, c: s.save_evals(evals=[_eval(), _eval(agent_name=" ")])},
)
cases("evals", "SAVE_EVALS", "INVALID_RUN_ID", {"blank": lambda s, c: s.save_evals(evals=[_eval(run_id="")])})
cases(
    "evals", "SAVE_EVALS", "INVALID_RESULT", {"string": lambda s, c: s.save_evals(evals=[_eval(), _eval(result="0.5")])}
)
cases("evals", "SAVE_EVALS", "INVALID_ROW", {"not a row": lambda s, c: s.save_evals(evals=[_eval(), 1])})
cases("evals", "LIST_EVALS", "INVALID_TYPE", {"unknown": lambda s, c: s.list_evals(type="all")})
cases("evals", "LIST_EVALS", "INVALID_PAGE", {"negative": lambda s, c: s.list_evals(page=-1)})
cases(
    "traces",
    "SAVE_TRACES",
    "INVALID_ID",
    {"blank": lambda s, c: s.save_traces(traces=[_trace_row(), _trace_row(id="")])},
)
cases("traces", "SAVE_TRACES", "INVALID_NAME", {"blank": lambda s, c: s.save_traces(traces=[_trace_row(name=" ")])})
cases("traces", "SAVE_TRACES", "INVALID_ROW", {"bad mapping": lambda s, c: s.save_traces(traces=[{"id": "x"}])})
cases("traces", "LIST_TRACES", "INVALID_PER_PAGE", {"negative": lambda s, c: s.list_traces(per_page=-1)})
cases("traces", "LIST_TRACES", "INVALID_FROM_DATE", {"bad": lambda s, c: s.list_traces(from_date="then")})

_OPTIONAL = {"observability", "agents", "evals", "traces"}


def _params() -> list[Any]:
    out = []
    for c in CASES:
        marks = [pytest.mark.requires(c.domain)] if c.domain in _OPTIONAL else []
        out.append(pytest.param(c, id=f"{c.domain}-{c.op}-{c.status}-{c.name}".replace(" ", "_"), marks=marks))
    return out


@pytest.mark.parametrize("bad", _params())
async def test_bad_input_is_a_validation_error_and_writes_nothing(storage, bad: Case) -> None:
    store = storage.get_store(bad.domain)
    ctx = await SETUP[bad.domain](store)
    before = await READ[bad.domain](store, ctx)
    with raises_validation(store, bad.op, bad.status):
        await bad.call(store, ctx)
    assert await READ[bad.domain](store, ctx) == before


async def test_validation_error_details_never_hide_the_op(memory) -> None:
    with raises_validation(memory, "LIST_THREADS", "INVALID_PAGE") as info:
        await memory.list_threads(page=-1)
    assert "page" in str(info.value).lower()


async def test_a_rejected_call_leaves_the_storage_usable(make_storage) -> None:
    """A call with bad input fails as the first call on a storage, and the storage works afterwards."""
    storage = await make_storage()
    with raises_validation(storage.memory, "GET_THREAD_BY_ID", "INVALID_THREAD_ID"):
        await storage.memory.get_thread_by_id(thread_id="")
    thread = sample_thread()
    await storage.memory.save_thread(thread=thread)
    assert (await storage.memory.get_thread_by_id(thread_id=thread.id)).id == thread.id


async def test_thread_mapping_input_is_accepted(memory) -> None:
    created = datetime(2024, 1, 1, 0, 0, 0, 1000).isoformat() + "Z"
    saved = await memory.save_thread(
        thread={"id": (tid := uid()), "resourceId": "r", "title": "t", "createdAt": created, "updatedAt": created}
    )
    assert isinstance(saved, Thread)
    assert (await memory.get_thread_by_id(thread_id=tid)).created_at.isoformat().startswith("2024-01-01T00:00:00.001")


async def test_message_content_with_only_parts_is_valid(memory) -> None:
    thread = sample_thread()
    msg = sample_message(thread.id, content=MessageContent(parts=[TextPart(text="x")]))
    await memory.save_messages(messages=[msg])
    assert (await memory.list_messages(thread_id=thread.id)).items == [msg]
