"""``mastra doctor`` compares the indexes of libSQL and MariaDB with their schema's: a dropped index of the schema is
a warning whose fix recreates it, an index the schema does not know is reported with its name (each test in its own
file or database)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mastra_core import open_storage
from mastra_ops.doctor import diagnose
from mastra_ops.seed import seed

pytestmark = pytest.mark.asyncio


async def test_libsql_doctor_finds_a_dropped_and_an_unknown_index(tmp_path: Path) -> None:
    path = tmp_path / "indexes.db"
    storage = open_storage(f"file:{path}")
    try:
        await seed(storage, threads=1, messages=2, others=False)
        report = await diagnose(storage, counts=False)
        healthy = {f.check: f for f in report.findings}
        assert healthy["indexes.missing"].severity == "ok" and "indexes.unknown" not in healthy, report.findings
        await storage.connection.write(lambda db: (
            db.execute('DROP INDEX "mastra_messages_thread_id_createdat_idx"'),
            db.execute('CREATE INDEX "ops_opsgaps_title_idx" ON "mastra_threads" ("title")')))
    finally:
        await storage.close()
    found, code = await _doctor(path)
    # a schema index missing is also a pending migration, which a disable_init storage refuses to start with
    assert code == 2 and found["schema.pending"]["severity"] == "error", found
    missing, unknown = found["indexes.missing"], found["indexes.unknown"]
    assert missing["severity"] == "warning", missing
    assert 'CREATE INDEX IF NOT EXISTS "mastra_messages_thread_id_createdat_idx"' in missing["fix"], missing
    assert unknown["severity"] == "info" and "mastra_threads.ops_opsgaps_title_idx" in unknown["message"], unknown
    assert found["indexes.unused"]["severity"] == "info"  # SQLite keeps no usage statistics: said, never guessed
    migrate = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "mastra_core.cli", "migrate",
                                                       f"file:{path}"], capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    found, code = await _doctor(path)
    assert code == 0 and found["indexes.missing"]["severity"] == "ok", found  # an unknown index alone is info
    assert "ops_opsgaps_title_idx" in found["indexes.unknown"]["message"]  # migrate never drops what it did not make


async def _doctor(path: Path) -> tuple[dict[str, Any], int]:
    proc = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "mastra_core.cli", "doctor", f"file:{path}",
                                                    "--json", "--no-counts"], capture_output=True, text=True)
    return {f["check"]: f for f in json.loads(proc.stdout)["findings"]}, proc.returncode


async def test_libsql_doctor_names_prefixed_indexes(tmp_path: Path) -> None:
    storage = open_storage(f"file:{tmp_path / 'prefixed.db'}", table_prefix="app_")
    try:
        await storage.init()
        await storage.connection.write(lambda db: db.execute('DROP INDEX "mastra_threads_resourceid_createdat_idx"'))
        found = {f.check: f for f in (await diagnose(storage, counts=False)).findings}
        assert found["indexes.missing"].severity == "warning", found
        assert '"app_mastra_threads_resourceid_createdat_idx" ON "app_mastra_threads"' in found["indexes.missing"].fix
        assert "indexes.unknown" not in found, found
    finally:
        await storage.close()


async def test_mariadb_doctor_finds_a_dropped_and_an_unknown_index(make: Any) -> None:
    storage = await make("mysql")
    await seed(storage, threads=1, messages=2, others=False)
    report = await diagnose(storage, counts=False)
    healthy = {f.check: f for f in report.findings}
    assert healthy["indexes.missing"].severity == "ok" and "indexes.unknown" not in healthy, report.findings
    assert healthy["indexes.unused"].severity in ("ok", "info"), healthy
    conn = storage.connection
    await conn.tx(lambda tx: tx.execute(
        "ALTER TABLE `mastra_messages` DROP INDEX `mastra_messages_thread_id_createdat_idx`"))
    await conn.tx(lambda tx: tx.execute("ALTER TABLE `mastra_threads` ADD KEY `ops_opsgaps_title_idx` (`title`(64))"))
    report = await diagnose(storage, counts=False)
    found = {f.check: f for f in report.findings}
    missing, unknown = found["indexes.missing"], found["indexes.unknown"]
    assert missing.severity == "warning" and report.exit_code == 1, report.findings
    assert ("ALTER TABLE `mastra_messages` ADD KEY `mastra_messages_thread_id_createdat_idx` "
            "(`thread_id`, `createdAt`, `seq`)") in missing.fix, missing
    assert unknown.severity == "info" and "mastra_threads.ops_opsgaps_title_idx (title)" in unknown.message, unknown
    # the fix, run as shown, makes the finding go away
    await conn.tx(lambda tx: tx.execute(missing.fix.removeprefix("run: ")))
    found = {f.check: f for f in (await diagnose(storage, counts=False)).findings}
    assert found["indexes.missing"].severity == "ok", found
