"""Reference writes -> Python reads; Python writes -> reference reads; reference schema -> Python writes.

Every record of every domain both sides have is compared field by field (timestamps to the millisecond,
numbers with their type) against what was written. Differences are either fixed or declared in
``deviations.py`` as reference-side; the test fails on an undeclared difference AND on a declared one that
no longer happens.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from . import dataset as d
from .conftest import Side
from .deviations import check, ref_has_agents
from .sides import WF, py_read, py_write, ref_read, ref_write

pytestmark = pytest.mark.asyncio

IGNORE_SCORE = frozenset({"id", "createdAt", "updatedAt"})


def data_set() -> dict[str, Any]:
    """Fresh ids, every domain."""
    u = uuid.uuid4().hex[:8]
    tid, rid, run = f"t-{u}", f"r-{u}", f"run-{u}"
    return {
        "thread": d.thread(tid, rid),
        "messages": [
            d.message(f"m1-{u}", tid, rid, ms=1, rich=True, role="assistant"),
            d.message(f"m2-{u}", tid, rid, ms=2, text="plain text"),
            d.message(f"m3-{u}", tid, rid, ms=2, text="same millisecond"),
        ],
        "resource": d.resource(rid),
        "run_id": run,
        "snapshot": d.snapshot(run),
        "score": d.score_payload(run),
        "spans": [d.span(f"tr-{u}", "root"), d.span(f"tr-{u}", "child", parent="root", ms=10)],
        "agent": d.agent(f"a-{u}"),
    }


def expected(data: dict[str, Any]) -> dict[str, Any]:
    """What reading the data set back must give, normalised."""
    return {
        "thread": d.norm(data["thread"]),
        "messages": [d.norm(m) for m in data["messages"]],
        "resource": d.norm(data["resource"]),
        "run": d.norm(
            {
                "workflowName": WF,
                "runId": data["run_id"],
                "resourceId": data["resource"]["id"],
                "snapshot": data["snapshot"],
            }
        ),
        "snapshot": d.norm(data["snapshot"]),
        "score": d.norm(data["score"]),
        "spans": sorted((d.norm(sp) for sp in data["spans"]), key=lambda x: x["spanId"]),
        "agent": d.norm(data["agent"]),
    }


def compare(who: str, exp: dict[str, Any], got: dict[str, Any], *, agents: bool = True) -> list[str]:
    """Differences of one side's reads from the expected data set, as ``<who> <record>.<path>: ...``."""
    out: list[str] = []
    for kind, value in exp.items():
        if kind == "agent" and (not agents or got.get(kind) is None and who == "ref"):
            continue  # no agents domain, or a read that failed (reported as such)
        ignore = {
            "score": IGNORE_SCORE,
            "thread": frozenset({"updatedAt"}),
            "run": frozenset({"createdAt", "updatedAt"}),
            "agent": frozenset({"createdAt", "updatedAt"}),
            "spans": frozenset({"createdAt", "updatedAt"}),
        }.get(kind, frozenset())
        out += [
            f"{who} {kind}.{x}" if not x.startswith("[") else f"{who} {kind}{x}"
            for x in d.diff(value, got.get(kind), ignore=ignore)
        ]
    return out


def generated(py: dict[str, Any], ref: dict[str, Any], *, agents: bool) -> list[str]:
    """Store-generated fields (score id and times, run/agent/span times, the thread's ``updatedAt`` bumped by
    saving messages) must read the same on both sides."""
    out: list[str] = []
    pairs = [
        ("thread", py["thread"], ref["thread"]),
        ("score", py["score"], ref["score"]),
        ("run", py["run"], ref["run"]),
    ]
    if agents and ref["agent"] is not None:
        pairs.append(("agent", py["agent"], ref["agent"]))
    pairs += [
        (f"spans[{i}]", a, b) for i, (a, b) in enumerate(zip(py["spans"] or [], ref["spans"] or [], strict=False))
    ]
    for kind, a, b in pairs:
        for key in ("id", "createdAt", "updatedAt"):
            if (a or {}).get(key) != (b or {}).get(key):
                out.append(f"py~ref {kind}.{key}: {(a or {}).get(key)!r} != {(b or {}).get(key)!r}")
    return out


async def test_reference_writes_python_reads(side: Side) -> None:
    """The reference creates the schema and writes everything; Python (after its own init) reads it."""
    data = data_set()
    agents = ref_has_agents(side.backend)
    gen, refused = ref_write(side.ref, data, agents=agents)
    py = await py_read(await side.py(), data, gen["score_id"])
    errors: list[str] = []
    ref = ref_read(side.ref, data, gen["score_id"], agents=agents, errors=errors)
    found = (
        [f"refused {x}" for x in refused]
        + errors
        + compare("py", expected(data), py, agents=agents)
        + compare("ref", expected(data), ref, agents=agents)
        + generated(py, ref, agents=agents)
    )
    check(side.backend, "reference_writes", found)


async def test_python_writes_reference_reads(side: Side) -> None:
    """Python creates the schema and writes everything; the reference (after its own init) reads it."""
    data = data_set()
    agents = ref_has_agents(side.backend)
    s = await side.py()
    gen = await py_write(s, data)
    errors: list[str] = []
    ref = ref_read(side.ref, data, gen["score_id"], agents=agents, errors=errors)
    py = await py_read(s, data, gen["score_id"])
    found = (
        errors
        + compare("py", expected(data), py)
        + compare("ref", expected(data), ref, agents=agents)
        + generated(py, ref, agents=agents)
    )
    check(side.backend, "python_writes", found)


async def test_reference_schema_python_writes(side: Side) -> None:
    """The reference creates the schema (its init only); Python writes into it; both read."""
    data = data_set()
    agents = ref_has_agents(side.backend)
    side.ref.run()  # init only
    s = await side.py()
    gen = await py_write(s, data)
    errors: list[str] = []
    ref = ref_read(side.ref, data, gen["score_id"], agents=agents, errors=errors)
    py = await py_read(s, data, gen["score_id"])
    found = (
        errors
        + compare("py", expected(data), py)
        + compare("ref", expected(data), ref, agents=agents)
        + generated(py, ref, agents=agents)
    )
    check(side.backend, "reference_schema", found)
