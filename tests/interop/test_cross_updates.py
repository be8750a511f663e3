"""Each side updates, moves and deletes what the other wrote; both read the result.

Python on reference-written records: update_resource with metadata, update_thread, a message upsert
(new content) and move (new thread), delete_messages, update_workflow_state, delete_thread. The reference
does the same on Python-written records. Then both sides read every record and must agree.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from . import dataset as d
from .conftest import Side
from .deviations import check
from .sides import WF, py_wire

pytestmark = pytest.mark.asyncio


def records(tag: str) -> dict[str, Any]:
    """A thread with three messages, a second (move target) thread, a resource and a workflow run."""
    u = f"{tag}-{uuid.uuid4().hex[:6]}"
    tid, other, rid, run = f"t-{u}", f"o-{u}", f"r-{u}", f"run-{u}"
    return {"tid": tid, "other": other, "rid": rid, "run": run,
            "threads": [d.thread(tid, rid), d.thread(other, rid, ms=1)],
            "messages": [d.message(f"m{i}-{u}", tid, rid, ms=10 + i, rich=i == 0) for i in range(3)],
            "resource": d.resource(rid)}


def edited(m: dict[str, Any], to_thread: str) -> dict[str, Any]:
    """The message with new text, moved to ``to_thread``."""
    body = f"edited {m['id']}"
    return {**m, "threadId": to_thread, "content": {"format": 2, "parts": [{"type": "text", "text": body}],
                                                    "content": body, "metadata": {"edited": True}}}


async def py_state(mem: Any, wf: Any, rec: dict[str, Any]) -> dict[str, Any]:
    """What Python reads of one record set."""
    moved = (await mem.list_messages(thread_id=rec["other"], per_page=False)).items
    return {
        "thread": py_wire(await mem.get_thread_by_id(thread_id=rec["tid"])),
        "other": py_wire(await mem.get_thread_by_id(thread_id=rec["other"])),
        "messages": [py_wire(m) for m in moved],
        "resource": py_wire(await mem.get_resource_by_id(resource_id=rec["rid"])),
        "snapshot": d.norm(await wf.load_workflow_snapshot(workflow_name=WF, run_id=rec["run"])),
    }


def ref_state(side: Side, rec: dict[str, Any]) -> dict[str, Any]:
    """What the reference reads of one record set."""
    t, o, msgs, res, snap = side.ref.values(
        ("memory", "getThreadById", [{"threadId": rec["tid"]}]),
        ("memory", "getThreadById", [{"threadId": rec["other"]}]),
        ("memory", "listMessages", [{"threadId": rec["other"], "perPage": False}]),
        ("memory", "getResourceById", [{"resourceId": rec["rid"]}]),
        ("workflows", "loadWorkflowSnapshot", [{"workflowName": WF, "runId": rec["run"]}]))
    return {"thread": d.norm(t), "other": d.norm(o), "messages": [d.norm(m) for m in msgs["messages"]],
            "resource": d.norm(res), "snapshot": d.norm(snap)}


def expect(rec: dict[str, Any], title: str) -> dict[str, Any]:
    """The state after the other side's edits: thread deleted, one message edited and moved, one kept."""
    moved = edited(rec["messages"][0], rec["other"])
    res = {**rec["resource"], "workingMemory": "# edited", "metadata": {**rec["resource"]["metadata"], "x": 2,
                                                                         "added": {"deep": [1, 2.5]}}}
    return {
        "thread": None,
        "other": d.norm({**rec["threads"][1], "title": title,
                         "metadata": {**rec["threads"][1]["metadata"], "n": 4, "added": "yes"}}),
        "messages": [d.norm(moved)],
        "resource": d.norm(res),
        "snapshot": d.norm({**d.snapshot(rec["run"]), "status": "success", "result": {"out": 1}}),
    }


IGNORE = frozenset({"updatedAt", "type"})


def compare(who: str, exp: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Differences of one side's reads from the expected state (``updatedAt`` moves; ``type`` is checked elsewhere)."""
    return [f"{who} {kind}.{x}" for kind in exp for x in d.diff(exp[kind], got[kind], ignore=IGNORE)]


async def test_each_side_updates_the_others_records(side: Side) -> None:
    """Python edits reference-written records and the reference edits Python-written ones; both read both."""
    ref_rec, py_rec = records("ref"), records("py")
    side.ref.run()
    py = await side.py()
    mem, wf = py.get_store("memory"), py.get_store("workflows")
    # each side writes its own records
    side.ref.values(*(("memory", "saveThread", [{"thread": t}]) for t in ref_rec["threads"]),
                    ("memory", "saveMessages", [{"messages": ref_rec["messages"]}]),
                    ("memory", "saveResource", [{"resource": ref_rec["resource"]}]),
                    ("workflows", "persistWorkflowSnapshot", [{"workflowName": WF, "runId": ref_rec["run"],
                                                               "snapshot": d.snapshot(ref_rec["run"])}]))
    for t in py_rec["threads"]:
        await mem.save_thread(thread=t)
    await mem.save_messages(messages=py_rec["messages"])
    await mem.save_resource(resource=py_rec["resource"])
    await wf.persist_workflow_snapshot(workflow_name=WF, run_id=py_rec["run"], snapshot=d.snapshot(py_rec["run"]))
    found: list[str] = []

    # Python edits the reference's records
    rec = ref_rec
    await mem.update_resource(resource_id=rec["rid"], working_memory="# edited",
                              metadata={"x": 2, "added": {"deep": [1, 2.5]}})
    await mem.update_thread(id=rec["other"], title="py title", metadata={"n": 4, "added": "yes"})
    await mem.save_messages(messages=[edited(rec["messages"][0], rec["other"])])
    await mem.delete_messages(message_ids=[rec["messages"][2]["id"]])
    await wf.update_workflow_state(workflow_name=WF, run_id=rec["run"],
                                   opts={"status": "success", "result": {"out": 1}})
    await mem.delete_thread(thread_id=rec["tid"])

    # the reference edits Python's records
    rec = py_rec
    results = side.ref.run(
        ("memory", "updateResource", [{"resourceId": rec["rid"], "workingMemory": "# edited",
                                       "metadata": {"x": 2, "added": {"deep": [1, 2.5]}}}]),
        ("memory", "updateThread", [{"id": rec["other"], "title": "ref title",
                                     "metadata": {**rec["threads"][1]["metadata"], "n": 4, "added": "yes"}}]),
        ("memory", "saveMessages", [{"messages": [edited(rec["messages"][0], rec["other"])]}]),
        ("memory", "deleteMessages", [[rec["messages"][2]["id"]]]),
        ("workflows", "updateWorkflowState", [{"workflowName": WF, "runId": rec["run"],
                                               "opts": {"status": "success", "result": {"out": 1}}}]),
        ("memory", "deleteThread", [{"threadId": rec["tid"]}]),
    )
    found += [f"ref refused {r['error'][:160]}" for r in results if not r["ok"]]

    for who, rec, title in (("on-ref", ref_rec, "py title"), ("on-py", py_rec, "ref title")):
        exp = expect(rec, title)
        found += compare(f"{who} py", exp, await py_state(mem, wf, rec))
        found += compare(f"{who} ref", exp, ref_state(side, rec))
        gone = await mem.list_messages_by_id(message_ids=[m["id"] for m in rec["messages"]])
        if sorted(m.id for m in gone) != [rec["messages"][0]["id"]]:
            found.append(f"{who} py messages left: {sorted(m.id for m in gone)}")
    check(side.backend, "cross_updates", found)
