"""``mastra migrate``: the dry run shows the SQL and changes nothing; applying leaves nothing pending; a dropped
index is exactly what the next plan shows."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from ops_support import harness


def mastra(*args: str, code: int = 0) -> str:
    """``mastra ARGS``'s stdout, checking its exit code."""
    proc = subprocess.run([sys.executable, "-m", "mastra_core.cli", *args], capture_output=True, text=True)
    assert proc.returncode == code, proc.stderr
    return proc.stdout


@pytest.fixture
def schema() -> Iterator[str]:
    import asyncio

    name = "ops_migrate_test"
    asyncio.run(harness("pg").cleanup(name))
    yield name
    asyncio.run(harness("pg").cleanup(name))


def test_dry_run_then_apply_then_current(schema: str) -> None:
    url = harness("pg").server_url()
    option = ["--option", f"schema_name={schema}"]
    dry = mastra("migrate", url, "--dry-run", *option)
    assert f'CREATE SCHEMA IF NOT EXISTS "{schema}";' in dry
    assert f'CREATE TABLE IF NOT EXISTS "{schema}"."mastra_messages"' in dry
    assert "CREATE INDEX" in dry
    assert mastra("migrate", url, "--dry-run", *option) == dry  # the dry run created nothing
    mastra("migrate", url, *option)
    assert "the schema is current" in mastra("migrate", url, "--dry-run", *option)
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP INDEX "{schema}"."{schema}_mastra_ai_spans_tags_gin_idx"')
    again = mastra("migrate", url, "--dry-run", *option)
    assert again.splitlines()[1:] == [
        f'CREATE INDEX IF NOT EXISTS "{schema}_mastra_ai_spans_tags_gin_idx" ON "{schema}"."mastra_ai_spans" '
        'USING gin ("tags");']
    mastra("migrate", url, *option)
    assert "the schema is current" in mastra("migrate", url, "--dry-run", *option)


def test_a_backend_without_a_plan_says_so(tmp_path: object) -> None:
    out = mastra("migrate", "memory:", "--dry-run")
    assert "does not list its migrations" in out
