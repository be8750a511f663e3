"""The schema before and after each side's ``init()``, and legacy (v1) rows both sides read.

Python's init on a reference database may only add (tables, nullable columns, indexes); every column the
reference made keeps its type, and the reference then still initialises, writes and reads everything.
The reference's init on a Python database must succeed, and Python keeps working on it.
"""

from __future__ import annotations

import json
import uuid
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from . import dataset as d
from .conftest import Side
from .deviations import ADDED_BY_PYTHON_INIT, RELAXED_BY_PYTHON_INIT, check, ref_has_agents
from .sides import py_read, py_write, ref_read, ref_write
from .test_roundtrip import compare, data_set, expected

pytestmark = pytest.mark.asyncio


def changes(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]],
            relaxed: tuple[str, ...] = ()) -> tuple[list[str], set[str]]:
    """(what was dropped or changed, what was added) between two schema snapshots; NOT NULL dropped from a
    ``relaxed`` column is not a change."""
    found: list[str] = []
    for table, cols in before.items():
        for col, decl in cols.items():
            now = after.get(table, {}).get(col)
            if now is None:
                found.append(f"dropped {table}.{col}")
            elif now != decl and not (now == decl.replace("NOT NULL", "NULL") and f"{table}.{col}" in relaxed):
                found.append(f"changed {table}.{col}: {decl} -> {now}")
    added = {f"{t}.{c}" for t, cols in after.items() for c in cols if c not in before.get(t, {})}
    return found, added


async def test_python_init_on_a_reference_database(side: Side) -> None:
    """Reference init; Python init adds only; the reference still inits, writes and reads everything."""
    side.ref.run()
    before = await side.schema()
    py = await side.py()
    after = await side.schema()
    found, added = changes(before, after, RELAXED_BY_PYTHON_INIT[side.backend])
    undeclared = sorted(a for a in added if not any(fnmatch(a, p) for p in ADDED_BY_PYTHON_INIT[side.backend]))
    found += [f"added, not documented: {a}" for a in undeclared]
    data = data_set()
    agents = ref_has_agents(side.backend)
    gen, refused = ref_write(side.ref, data, agents=agents)  # runs the reference's init again first
    found += [f"refused {x}" for x in refused]
    errors: list[str] = []
    found += compare("ref", expected(data), ref_read(side.ref, data, gen["score_id"], agents=agents, errors=errors),
                     agents=agents) + errors
    found += compare("py", expected(data), await py_read(py, data, gen["score_id"]), agents=agents)
    check(side.backend, "python_init_additive", found)


async def test_reference_init_on_a_python_database(side: Side) -> None:
    """Python init; the reference's init succeeds on it; Python's init again; Python writes and reads."""
    await side.py()
    side.ref.run()
    py = await side.py()  # a second Python init, after the reference's
    data = data_set()
    gen = await py_write(py, data)
    found = compare("py", expected(data), await py_read(py, data, gen["score_id"]))
    check(side.backend, "reference_init_on_python", found)


async def test_legacy_v1_rows(side: Side) -> None:
    """v1-era rows (plain-text content, a JSON list of AI-SDK parts) read on both sides."""
    side.ref.run()
    py = await side.py()
    mem = py.get_store("memory")
    await mem.save_thread(thread=d.thread("t-v1", "r-v1"))
    rows = [
        {"id": "v1-text", "content": "hello from v1", "role": "user", "type": "text"},
        {"id": "v1-parts", "role": "assistant", "type": "tool-call",
         "content": json.dumps([{"type": "text", "text": "calling"},
                                {"type": "tool-call", "toolCallId": "c1", "toolName": "x", "args": {"a": 1}}])},
    ]
    for i, row in enumerate(rows):
        await side.insert_raw("mastra_messages", {**row, "thread_id": "t-v1", "resourceId": "r-v1",
                                                  "createdAt": d.at(i)})
    found: list[str] = []
    items = (await mem.list_messages(thread_id="t-v1", per_page=False)).items
    if [m.id for m in items] != ["v1-text", "v1-parts"]:
        found.append(f"py ids {[m.id for m in items]}")
    else:
        if items[0].content.text() != "hello from v1":
            found.append(f"py v1-text text {items[0].content.text()!r}")
        if items[1].content.text() != "calling" or len(items[1].content.parts) != 2:
            found.append(f"py v1-parts {items[1].content!r:.200}")
    (page,) = side.ref.values(("memory", "listMessages", [{"threadId": "t-v1", "perPage": False}]))
    ref_items: list[dict[str, Any]] = page["messages"]
    if [m["id"] for m in ref_items] != ["v1-text", "v1-parts"]:
        found.append(f"ref ids {[m['id'] for m in ref_items]}")
    check(side.backend, "legacy_v1", found)


@pytest.mark.interop_backend("pg")
@pytest.mark.xfail(strict=True, reason="reference-side: @mastra/pg 1.0.0 looks its workflow unique constraint up by "
                   "its untruncated name, so with a schema name over 13 characters its second init() fails with "
                   "'relation ... already exists' (PostgreSQL cut the name to 63 bytes when it made it)")
async def test_reference_reinit_on_a_long_schema_name(tmp_path: Path) -> None:
    """The reference's own init, twice, on a schema named like ``mastra_production_app`` (no Python involved)."""
    side = Side("pg", f"interop_long_{uuid.uuid4().hex[:8]}", tmp_path)
    try:
        side.ref.run()
        side.ref.run()
    finally:
        await side.cleanup()
