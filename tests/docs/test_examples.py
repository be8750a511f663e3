"""Every program in ``examples/`` runs against its real service; the FastAPI chat keeps its history (issue 13)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docs_helpers import ROOT, run_python, service_urls

EXAMPLES = ROOT / "examples"
BACKENDS = ["inmemory", "libsql", "pg", "mongodb", "dynamodb", "upstash", "mysql"]


def test_every_example_is_tested() -> None:
    tested = {"quickstart.py", "memory_semantic_recall.py", "fastapi_chat.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


@pytest.mark.parametrize("backend", BACKENDS)
def test_quickstart_runs_unchanged_on_every_backend(backend: str, tmp_path: Path) -> None:
    out = run_python(EXAMPLES / "quickstart.py", tmp_path, {"MASTRA_STORAGE_URL": service_urls()[backend]})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:3] == ["user: my cat is called Tom", "assistant: Tom is a fine name for a cat.",
                                           "working memory: # Ada"]


@pytest.mark.parametrize("backend", ["inmemory", "pg"])
def test_semantic_recall_example(backend: str, tmp_path: Path) -> None:
    out = run_python(EXAMPLES / "memory_semantic_recall.py", tmp_path, {"MASTRA_STORAGE_URL": service_urls()[backend]})
    assert out.returncode == 0, out.stderr
    assert "[recalled] my cat is called Tom" in out.stdout and "[this thread] a new day, a new chat" in out.stdout


def test_fastapi_chat_keeps_the_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    monkeypatch.setenv("MASTRA_STORAGE_URL", f"file:{tmp_path / 'chat.db'}")
    spec = importlib.util.spec_from_file_location("fastapi_chat", EXAMPLES / "fastapi_chat.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "fastapi_chat", module)
    spec.loader.exec_module(module)
    with TestClient(module.app) as client:
        first = client.post("/chat/t1", json={"user": "ada", "message": "hello"})
        assert first.status_code == 200 and first.json()["reply"] == "You said 1 thing(s); the last was 'hello'."
        client.post("/chat/t1", json={"user": "ada", "message": "again"})
        assert client.get("/chat/nope", params={"user": "ada"}).status_code == 404
    with TestClient(module.app) as client:  # a restart: the history is in the database
        turns = client.get("/chat/t1", params={"user": "ada"}).json()
    assert [t["text"] for t in turns if t["role"] == "user"] == ["hello", "again"]
    assert len(turns) == 4


def test_quickstart_takes_the_url_as_its_argument(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), "memory:"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, "MASTRA_STORAGE_URL": "bogus://x"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "user: my cat is called Tom"
