"""Schema 4's leaner thread and run indexes: every filtered listing and lookup that used a retired index still runs
on an index (EXPLAIN QUERY PLAN of the statement the store sends), and answers as before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mastra_core.clock import utc_now
from mastra_core.records import Thread
from mastra_libsql import LibSQLStore
from mastra_libsql.connection import select_plan

T0 = utc_now() - timedelta(days=1)


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    async with LibSQLStore(id="plans", url=f"file:{tmp_path / 'plans.db'}") as s:
        for w in range(4):  # 4 workflows x 60 runs; every third with a resource
            for i in range(60):
                await s.workflows.persist_workflow_snapshot(
                    workflow_name=f"wf{w}", run_id=f"run{i}", snapshot={"status": "success", "n": i},
                    resource_id=f"res{i % 2}" if i % 3 == 0 else None,
                    created_at=T0 + timedelta(seconds=i, milliseconds=w))
        for i in range(40):
            await s.memory.save_thread(thread=Thread(id=f"t{i}", resource_id=f"r{i % 4}", title=f"{i}",
                                                     created_at=T0 + timedelta(seconds=i)))
        yield s


async def _plan(store: LibSQLStore, call: Callable[[], Awaitable[Any]]) -> tuple[str, Any]:
    """The query plan of the one SELECT ``call`` sends (as one text), and its result."""
    plan, result = await select_plan(store, call)
    return "\n".join(plan), result


def _no_scan(plan: str, table: str) -> None:
    assert f"SCAN {table}\n" not in plan + "\n" and f"SCAN {table} " not in plan, plan  # never the whole table


async def test_runs_of_a_resource_use_the_partial_index_in_order(store: LibSQLStore) -> None:
    plan, page = await _plan(store, lambda: store.workflows.list_workflow_runs(resource_id="res0", per_page=5))
    assert "USING INDEX mastra_workflow_snapshot_resourceid_createdat_partial_idx (resourceId=?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # the index order serves ORDER BY
    _no_scan(plan, "mastra_workflow_snapshot")
    assert page.total == 4 * 10 and [r.run_id for r in page.items[:4]] == ["run54"] * 4
    assert all(r.resource_id == "res0" for r in page.items)


async def test_runs_by_name_use_their_index_in_order(store: LibSQLStore) -> None:
    plan, page = await _plan(store, lambda: store.workflows.list_workflow_runs(workflow_name="wf2", per_page=3))
    assert "mastra_workflow_snapshot_workflow_name_createdat_idx (workflow_name=?)" in plan, plan
    assert "TEMP B-TREE" not in plan and page.total == 60, plan
    assert [r.run_id for r in page.items] == ["run59", "run58", "run57"]


async def test_runs_by_date_read_each_names_range(store: LibSQLStore) -> None:
    since, until = T0 + timedelta(seconds=50), T0 + timedelta(seconds=52, milliseconds=1)
    plan, page = await _plan(store, lambda: store.workflows.list_workflow_runs(from_date=since, to_date=until,
                                                                               per_page=4, page=1))
    ranged = "mastra_workflow_snapshot_workflow_name_createdat_idx (workflow_name=? AND createdAt>? AND createdAt<?)"
    assert plan.count(ranged) == 2, plan  # the page and the total: each name's range only
    _no_scan(plan, "mastra_workflow_snapshot")
    # newest first across names: run52 of wf1 and wf0 (wf2's and wf3's are past `until`), run51 of wf3..wf0, run50
    assert page.total == 10 and [(r.workflow_name, r.run_id) for r in page.items] == [
        ("wf1", "run51"), ("wf0", "run51"), ("wf3", "run50"), ("wf2", "run50")]


async def test_every_run_and_runs_by_status_are_newest_first_across_names(store: LibSQLStore) -> None:
    page = await store.workflows.list_workflow_runs(per_page=5, page=2)
    assert page.total == 240 and [(r.workflow_name, r.run_id) for r in page.items] == [
        ("wf1", "run57"), ("wf0", "run57"), ("wf3", "run56"), ("wf2", "run56"), ("wf1", "run56")]
    everything = await store.workflows.list_workflow_runs()
    assert [r.created_at for r in everything.items] == sorted((r.created_at for r in everything.items), reverse=True)
    assert len(everything.items) == everything.total == 240
    page = await store.workflows.list_workflow_runs(status="success", per_page=2)
    assert page.total == 240 and [r.run_id for r in page.items] == ["run59", "run59"]


async def test_a_run_by_id_alone_probes_each_workflow_name(store: LibSQLStore) -> None:
    plan, run = await _plan(store, lambda: store.workflows.get_workflow_run_by_id(run_id="run7"))
    assert "sqlite_autoindex_mastra_workflow_snapshot_1 (workflow_name=? AND run_id=?)" in plan, plan
    _no_scan(plan, "mastra_workflow_snapshot")
    assert run is not None and (run.workflow_name, run.run_id) == ("wf3", "run7")  # the newest of the four
    assert await store.workflows.get_workflow_run_by_id(run_id="nope") is None


async def test_a_run_by_id_alone_skips_expired_rows_and_sees_every_name(tmp_path: Path) -> None:
    async with LibSQLStore(id="exp", url=f"file:{tmp_path / 'e.db'}") as s:
        await s.workflows.persist_workflow_snapshot(workflow_name="a", run_id="r", snapshot={"n": 1},
                                                    created_at=T0)
        await s.workflows.persist_workflow_snapshot(workflow_name="z", run_id="r", snapshot={"n": 2},
                                                    created_at=T0 + timedelta(seconds=1))
        await s.workflows.persist_workflow_snapshot(workflow_name="m", run_id="other", snapshot={"n": 3},
                                                    created_at=T0 + timedelta(seconds=2))
        run = await s.workflows.get_workflow_run_by_id(run_id="r")
        assert run is not None and run.workflow_name == "z"  # the last name walked
        await s.db.write(lambda db: db.execute(
            "UPDATE mastra_workflow_snapshot SET \"expiresAt\" = '2000-01-01T00:00:00.000Z' WHERE workflow_name = 'z'"))
        run = await s.workflows.get_workflow_run_by_id(run_id="r")
        assert run is not None and run.workflow_name == "a"  # the expired newer row is not seen


@pytest.mark.parametrize("field", ["createdAt", "updatedAt"])
async def test_threads_of_a_resource_use_the_resource_index(store: LibSQLStore, field: str) -> None:
    plan, page = await _plan(store, lambda: store.memory.list_threads(
        filter={"resource_id": "r1"}, per_page=4, order_by={"field": field, "direction": "DESC"}))
    assert "USING INDEX mastra_threads_resourceid_createdat_idx (resourceId=?)" in plan, plan
    _no_scan(plan, "mastra_threads")
    if field == "createdAt":
        assert "TEMP B-TREE" not in plan, plan  # the index order serves ORDER BY
    assert page.total == 10 and [t.id for t in page.items] == ["t37", "t33", "t29", "t25"]


async def test_every_thread_by_created_at_is_still_in_order(store: LibSQLStore) -> None:
    page = await store.memory.list_threads(per_page=5, page=1, order_by={"field": "createdAt", "direction": "ASC"})
    assert page.total == 40 and [t.id for t in page.items] == [f"t{i}" for i in range(5, 10)]
