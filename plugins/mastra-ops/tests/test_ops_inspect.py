"""``mastra inspect``: tables for people and ``--json`` for scripts, on a file and on a server backend."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mastra_core import records as r
from mastra_ops.inspect_cli import part_text, trace_lines
from mastra_ops.seed import BASE, seed


def inspect(url: str, *args: str, code: int = 0) -> str:
    """``mastra inspect URL ARGS``'s stdout (a wide terminal so tables do not wrap)."""
    proc = subprocess.run([sys.executable, "-m", "mastra_core.cli", "inspect", url, *args], capture_output=True,
                          text=True, env={**__import__("os").environ, "COLUMNS": "200"})
    assert proc.returncode == code, proc.stderr
    return proc.stdout


@pytest.fixture
def url(tmp_path: Path) -> str:
    path = f"file:{tmp_path / 'i.db'}"

    async def go() -> None:
        from mastra_core import open_storage

        s = open_storage(path)
        await seed(s, threads=3, messages=5)
        await s.close()

    asyncio.run(go())
    return path


def test_tables(url: str) -> None:
    assert "res-0" in inspect(url, "resources") and "# User 1" in inspect(url, "resources")
    threads = inspect(url, "threads", "--resource", "res-0")
    assert "thread-0000" in threads and "thread-0001" not in threads and "2 of 2" in threads
    messages = inspect(url, "messages", "thread-0001", "--per-page", "2")
    assert "thread-0001-m000000" in messages and "thread-0001-m000002" not in messages and "more" in messages
    assert "likes: tea" in inspect(url, "working-memory", "res-1")
    assert "run-2" in inspect(url, "runs") and "success" in inspect(url, "runs")
    assert "score-0" in inspect(url, "scores") and "score-0" in inspect(url, "scores", "--scorer", "sc")
    assert "└─ llm call [model_generation] 3000 ms" in inspect(url, "trace", "trace-1")
    assert "no trace" in inspect(url, "trace", "nope", code=1)


def test_json_is_the_wire_form(url: str) -> None:
    page = json.loads(inspect(url, "messages", "thread-0002", "--json", "--page", "1", "--per-page", "2"))
    assert [m["id"] for m in page] == ["thread-0002-m000002", "thread-0002-m000003"]
    assert page[0]["threadId"] == "thread-0002" and page[0]["content"]["parts"][0]["type"] == "text"
    threads: list[dict[str, Any]] = json.loads(inspect(url, "threads", "--json"))
    assert {t["id"] for t in threads} == {"thread-0000", "thread-0001", "thread-0002"}
    trace = json.loads(inspect(url, "trace", "trace-0", "--json"))
    assert trace["traceId"] == "trace-0" and len(trace["spans"]) == 2


def test_parts_and_trees_read_well() -> None:
    call = r.ToolInvocationPart(tool_invocation=r.ToolInvocation(state="result", tool_call_id="c", tool_name="weather",
                                                                 args={"city": "Paris"}, result={"temp": 21}))
    assert part_text(call) == '[tool weather({"city": "Paris"}) -> {"temp": 21}]'
    orphan = r.Span(trace_id="t", span_id="o", parent_span_id="gone", name="orphan", span_type="x", started_at=BASE)
    assert trace_lines([orphan]) == ["orphan [x] running (o)"]
