"""``mastra doctor`` on every backend's real service, and the new core interfaces (``diagnose``,
``list_all_scores``) on the in-memory backend."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mastra_core import open_storage
from mastra_core.diagnostics import Finding
from mastra_ops.doctor import diagnose
from mastra_ops.seed import seed
from ops_support import harness

pytestmark = pytest.mark.asyncio

#: what every report holds, whatever the backend
COMMON = {"connect", "latency", "schema.version", "schema.migrations", "ttl.prune"}
#: backend -> the checks of its own diagnose() (server version and features, keys, indexes)
EXPECTED = {
    "libsql": {"server.version", "server.journal", "indexes.missing", "indexes.unused"},
    "pg": {"server.version", "server.pgvector", "schema.version"},
    "mongodb": {"server.version", "server.topology", "server.transactions", "indexes.unused"},
    "dynamodb": {"table.layout"},
    "upstash": {"server.version", "server.eviction"},
    "mysql": {"server.version", "indexes.missing", "indexes.unused"},
}


@pytest.mark.parametrize("backend", sorted(EXPECTED))
async def test_doctor_reports_a_healthy_store(make: Any, backend: str) -> None:
    storage = await make(backend)
    await seed(storage, threads=2, messages=3)
    report = await diagnose(storage)
    checks = {f.check for f in report.findings}
    assert COMMON | EXPECTED[backend] <= checks, report.findings
    assert all(f.fix for f in report.findings if f.severity in ("warning", "error")), report.findings
    assert report.worst in ("ok", "info", "warning"), report.findings
    assert not [f for f in report.findings if f.severity == "error"]
    assert report.counts["thread"] == 2 and report.counts["message"] == 6
    assert report.latency_ms is not None and report.as_json()["findings"]


async def test_doctor_finds_a_missing_schema_and_exits_2(tmp_path: Path) -> None:
    namespace = "ops_doctor_missing"
    url = harness("pg").server_url()
    proc = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "mastra_core.cli", "doctor", url, "--json", "--option",
                         f"schema_name={namespace}"], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    bad = {f["check"]: f for f in report["findings"] if f["severity"] == "error"}
    assert "schema.version" in bad and "mastra migrate" in bad["schema.version"]["fix"]
    storage = open_storage(url, schema_name=namespace, disable_init=True)  # doctor created nothing
    try:
        assert not [f for f in await storage.diagnose() if f.check == "schema.version" and f.severity == "ok"]
    finally:
        await storage.close()
    await harness("pg").cleanup(namespace)


async def test_doctor_exit_code_on_an_unreachable_server() -> None:
    proc = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "mastra_core.cli", "doctor", "postgresql://nobody@127.0.0.1:1/x",
                         "--json", "--option", "connect_timeout=2"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["findings"][0]["check"] == "connect"


async def test_in_memory_backend_has_the_new_interfaces() -> None:
    storage = open_storage("memory:")
    await seed(storage, threads=1, messages=1)
    assert await storage.diagnose() == []
    page = await storage.scores.list_all_scores(per_page=2)
    assert page.total == 3 and len(page.items) == 2 and page.has_more
    rest = await storage.scores.list_all_scores(page=1, per_page=2)
    assert {s.id for s in page.items + rest.items} == {"score-0", "score-1", "score-2"}
    assert Finding(check="x", severity="ok", message="m").fix == ""


async def test_ttl_settings_and_expired_records_are_warnings(make: Any) -> None:
    """DynamoDB: TTL rules on an attribute the table does not expire by; libSQL: expired rows nobody pruned."""
    table = await make("dynamodb", ttl={"message": {"default_ttl_seconds": 60, "attribute_name": "gone_at"}})
    await table.init()
    await table.connection.call("update_time_to_live", TableName=table.connection.table,
                                TimeToLiveSpecification={"Enabled": False, "AttributeName": "gone_at"})
    report = await diagnose(table, counts=False)
    ttl = [f for f in report.findings if f.check == "ttl.attribute"]
    assert ttl and ttl[0].severity == "warning" and "gone_at" in ttl[0].fix, report.findings
    assert report.exit_code == 1
    store = await make("libsql", ttl={"message": {"default_ttl_seconds": 3600}})
    await seed(store, threads=1, messages=3, others=False)
    past = datetime(2001, 1, 1, tzinfo=UTC)
    await store.write_expiry("message", {("thread-0000-m000000",): past, ("thread-0000-m000001",): past})
    report = await diagnose(store)
    prune = next(f for f in report.findings if f.check == "ttl.prune")
    if (await store.count_expired())["memory"] is None:  # a backend that cannot count says so, never "ok"
        assert prune.severity == "info" and "cannot count" in prune.message, prune
    else:
        assert prune.severity == "warning" and "2 expired" in prune.message and "mastra prune" in prune.fix, prune
        assert report.exit_code == 1


async def test_doctor_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.db"
    proc = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "mastra_core.cli", "doctor", f"file:{path}", "--json"],
        capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    found = {f["check"]: f for f in json.loads(proc.stdout)["findings"]}
    assert found["schema.pending"]["severity"] == "error" and "mastra migrate" in found["schema.pending"]["fix"]
    assert not path.exists()
