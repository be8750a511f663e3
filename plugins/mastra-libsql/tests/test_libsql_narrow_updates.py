"""A run updated in place names only the columns that change, and stays right when its resource does change.

Why: SQLite rewrites an index entry whenever the UPDATE's SET names one of the index's columns, whatever the value
(``mastra_workflow_snapshot``'s (workflow_name, createdAt) and partial (resourceId, createdAt)). Measured on a file:
a persist over a run with a resource 46-50 us with ``resourceId`` set, 19-20 us matched instead. What is checked:
the UPDATEs sent (the store's own statements, recorded), and the rows and index-served listings after each path,
the fallback included. (update_thread keeps naming every column: see the plugin README.)
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mastra_libsql import LibSQLStore
from mastra_libsql.connection import RecordingConnection

_INDEXED = ('"resourceId"', '"createdAt"', "workflow_name", "run_id")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[LibSQLStore]:
    s = LibSQLStore(id="narrow", url=f"file:{tmp_path}/n.db")
    await s.init()
    try:
        yield s
    finally:
        await s.close()


async def _updates(store: LibSQLStore, call: Callable[[], Awaitable[Any]]) -> list[str]:
    """The SET lists of the UPDATE statements ``call`` sends (an upsert's DO UPDATE SET as well)."""
    recorder = RecordingConnection(store.db.conn)
    store.db.conn = recorder
    try:
        await call()
    finally:
        store.db.conn = recorder.inner
    return [match.group(1) for sql, _ in recorder.statements
            for match in [re.search(r"UPDATE (?:\S+ )?SET (.*?)(?: WHERE |$)", sql, re.S)] if match]


async def test_a_persist_over_a_run_of_the_same_resource_leaves_its_index_columns(store: LibSQLStore) -> None:
    w = store.workflows
    await w.persist_workflow_snapshot(workflow_name="wf", run_id="run", snapshot={"n": 1}, resource_id="res")
    first = await w.get_workflow_run_by_id(workflow_name="wf", run_id="run")
    sets = await _updates(store, lambda: w.persist_workflow_snapshot(workflow_name="wf", run_id="run",
                                                                     snapshot={"n": 2}, resource_id="res"))
    assert len(sets) == 1 and not any(col in sets[0] for col in _INDEXED), sets
    again = await w.get_workflow_run_by_id(workflow_name="wf", run_id="run")
    assert first is not None and again is not None
    assert (again.snapshot, again.resource_id, again.created_at) == ({"n": 2}, "res", first.created_at)


@pytest.mark.parametrize("moved_to", ["other", None])
async def test_a_persist_that_moves_a_run_to_another_resource_takes_the_upsert(store: LibSQLStore,
                                                                               moved_to: str | None) -> None:
    w = store.workflows
    await w.persist_workflow_snapshot(workflow_name="wf", run_id="run", snapshot={"n": 1}, resource_id="res")
    first = await w.get_workflow_run_by_id(workflow_name="wf", run_id="run")
    sets = await _updates(store, lambda: w.persist_workflow_snapshot(workflow_name="wf", run_id="run",
                                                                     snapshot={"n": 2}, resource_id=moved_to))
    assert len(sets) == 2 and '"resourceId"' in sets[1], sets  # the narrow UPDATE changed nothing; the upsert did
    moved = await w.get_workflow_run_by_id(workflow_name="wf", run_id="run")
    assert first is not None and moved is not None
    assert (moved.snapshot, moved.resource_id, moved.created_at) == ({"n": 2}, moved_to, first.created_at)
    assert (await w.list_workflow_runs(resource_id="res")).total == 0  # the partial index follows the move
    if moved_to is not None:
        assert [r.run_id for r in (await w.list_workflow_runs(resource_id=moved_to)).items] == ["run"]


async def test_a_run_changed_in_place_keeps_resource_and_index(store: LibSQLStore) -> None:
    w = store.workflows
    await w.persist_workflow_snapshot(workflow_name="wf", run_id="run", snapshot={"status": "running", "x": 1},
                                      resource_id="res")
    first = await w.get_workflow_run_by_id(workflow_name="wf", run_id="run")
    sets = await _updates(store, lambda: w.update_workflow_state(workflow_name="wf", run_id="run",
                                                                 opts={"status": "success"}))
    assert len(sets) == 1 and not any(col in sets[0] for col in _INDEXED), sets
    changed = await w.get_workflow_run_by_id(workflow_name="wf", run_id="run")
    assert first is not None and changed is not None
    assert changed.snapshot == {"status": "success", "x": 1}
    assert (changed.resource_id, changed.created_at) == ("res", first.created_at)
    assert changed.updated_at >= first.updated_at
    assert [r.run_id for r in (await w.list_workflow_runs(resource_id="res")).items] == ["run"]
    # a run that does not exist yet: update_workflow_results starts it (the upsert path)
    await w.update_workflow_results(workflow_name="wf", run_id="new", step_id="s", result=1)
    assert (await w.get_workflow_run_by_id(workflow_name="wf", run_id="new")) is not None
