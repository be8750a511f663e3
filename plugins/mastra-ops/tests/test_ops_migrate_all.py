"""``mastra migrate``, ``mastra init`` and ``disable_init`` on every backend's real service.

On a fresh namespace: a storage built with ``disable_init=True`` lists the changes (``migration_plan``), creates
nothing, and refuses to work with a ``SchemaNotReadyError`` that names ``mastra migrate``; ``mastra migrate --dry-run``
prints the plan and changes nothing; ``mastra migrate`` applies it and leaves nothing pending; the same
``disable_init`` storage then works. ``mastra init`` reports the version it created and the changes it applied.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mastra_core import open_storage
from mastra_core import records as r
from mastra_core.connect import ConnectionFailedError
from mastra_core.errors import SchemaNotReadyError
from ops_support import harness, place

BACKENDS = ["libsql", "pg", "mongodb", "dynamodb", "upstash", "mysql"]


def mastra(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> str:
    """``mastra ARGS``'s stdout, run in this process (its handler, as the ``mastra`` dispatcher calls it)."""
    from mastra_core.cli import main

    capsys.readouterr()
    try:
        got = main(list(args))
    except SystemExit as exc:
        got = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    assert got == code, out.out + out.err
    return out.out


async def _cleanup(backend: str, ns: str, url: str, options: dict[str, Any]) -> None:
    if backend == "libsql":
        return
    if backend == "mongodb":
        from mastra_mongodb.schema import COLLECTIONS, SCHEMA_VERSIONS
        from pymongo import AsyncMongoClient

        client: Any = AsyncMongoClient(url, serverSelectionTimeoutMS=5000)
        try:
            try:
                await client.drop_database(options["db_name"])
            except Exception:  # jongodb has no dropDatabase: empty it (as its harness does)
                for name in (*COLLECTIONS, SCHEMA_VERSIONS):
                    await client[options["db_name"]][name].delete_many({})
        finally:
            await client.close()
        return
    await harness(backend).cleanup(ns)


def _cli_options(options: dict[str, Any]) -> list[str]:
    return [a for k, v in options.items() for a in ("--option", f"{k}={json.dumps(v)}")]


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    backend = request.param
    ns = f"ops_mig_{uuid.uuid4().hex[:8]}"
    url, options = place(backend, ns, tmp_path, fresh_db=True)  # a never-used database
    yield backend, url, options
    asyncio.run(_cleanup(backend, ns, url, options))


async def _plan(url: str, options: dict[str, Any]) -> Any:
    storage = open_storage(url, disable_init=True, **options)
    try:
        return await storage.migration_plan()
    finally:
        await storage.close()


async def _use(url: str, options: dict[str, Any]) -> Any:
    storage = open_storage(url, disable_init=True, **options)
    try:
        await storage.memory.save_thread(thread=r.Thread(id="t1", resource_id="r1", title="hello"))
        return await storage.memory.get_thread_by_id(thread_id="t1")
    finally:
        await storage.close()


def test_disable_init_then_migrate(fresh: tuple[str, str, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    backend, url, options = fresh
    plan = asyncio.run(_plan(url, options))
    if backend == "upstash":  # nothing to create: keys are written with the records
        assert plan == []
        assert asyncio.run(_use(url, options)).title == "hello"
        assert "the schema is current" in mastra(capsys, "migrate", url, *_cli_options(options))
        return
    assert plan, "a fresh namespace has changes pending"
    # a missing MariaDB database keeps its connection error (reason database_missing), with the same fix
    expected = ConnectionFailedError if backend == "mysql" else SchemaNotReadyError
    with pytest.raises(expected) as err:
        asyncio.run(_use(url, options))
    assert "mastra migrate" in str(err.value)
    assert err.value.id.endswith("_CONNECT_FAILED" if backend == "mysql" else "_SCHEMA_NOT_READY")
    assert asyncio.run(_plan(url, options)) == plan  # refusing created nothing
    dry = mastra(capsys, "migrate", url, "--dry-run", *_cli_options(options))
    assert f"-- {len(plan)} pending change(s)" in dry
    assert asyncio.run(_plan(url, options)) == plan  # nor did the dry run
    mastra(capsys, "migrate", url, *_cli_options(options))
    assert asyncio.run(_plan(url, options)) == []
    assert asyncio.run(_use(url, options)).title == "hello"  # the disable_init storage now works as it is
    assert "the schema is current" in mastra(capsys, "migrate", url, "--dry-run", *_cli_options(options))


def test_init_reports_the_version_and_what_it_changed(
    fresh: tuple[str, str, dict[str, Any]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend, url, options = fresh
    if backend == "dynamodb":
        options = {**options, "create_table_if_missing": True}
    from mastra_core import registry

    real = registry.open_storage
    # `mastra init URL` takes no options: the namespace options are added to the storage it opens
    monkeypatch.setattr(registry, "open_storage", lambda u, **kw: real(u, **{**options, **kw}))
    first = mastra(capsys, "init", url)
    second = mastra(capsys, "init", url)
    if backend == "upstash":
        assert "schema: version 1, already current; nothing changed" in first
    else:
        assert "schema: created at version" in first and "applied" in first, first
        assert "already current; nothing changed" in second and "applied" not in second, second
