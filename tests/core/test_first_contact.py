"""A new user's first mistakes get a clear answer: URLs, the env variable, sync use of the async API, pasted input."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import attrs
import pytest
from mastra_core import ConfigError, Message, StorageError, create_storage, open_storage
from mastra_core.cli import EXIT_CONFIG, main
from mastra_core.records import TextPart
from mastra_core.registry import normalise_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("word", ["foo", "agent", "localhost"])
def test_a_bare_word_is_not_a_url(word: str) -> None:
    with pytest.raises(ConfigError, match="is not a storage URL") as err:
        open_storage(word)
    assert err.value.id == "MASTRA_STORAGE_URL_INVALID"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("./agent.db", "file:./agent.db"), ("/tmp/x.sqlite", "file:/tmp/x.sqlite"), ("agent.db", "file:agent.db"),
     ("memory:", "memory:"), (":memory:", ":memory:"), ("postgresql://u@h/db", "postgresql://u@h/db")],
)
def test_paths_become_file_urls(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def test_open_storage_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTRA_STORAGE_URL", "memory:")
    assert open_storage().backend_id == "inmemory"
    monkeypatch.delenv("MASTRA_STORAGE_URL")
    with pytest.raises(ConfigError, match="MASTRA_STORAGE_URL"):
        open_storage()


def test_plain_with_on_the_async_storage_explains_itself() -> None:
    storage = create_storage("inmemory")
    with pytest.raises(TypeError, match="async with.*mastra_core.sync"), storage:
        pass


async def test_a_reference_shaped_message_with_string_content_is_accepted(tmp_path: Path) -> None:
    async with create_storage("inmemory") as storage:
        await storage.memory.save_thread(thread={"id": "t1", "resourceId": "u1"})
        saved = await storage.memory.save_messages(
            messages=[{"id": "m1", "role": "user", "content": "hello", "threadId": "t1", "resourceId": "u1"}])
        assert saved[0].text == "hello"
        page = await storage.memory.list_messages(thread_id="t1")
        assert [m.text for m in page] == ["hello"]
        assert isinstance(page.items[0], Message)


def test_a_message_built_with_string_content_reads_as_text() -> None:
    # before: accepted, then `.text` failed with AttributeError: 'str' object has no attribute 'text'
    message = Message(id="m1", role="user", content="hello", thread_id="t1")
    assert message.text == "hello"
    assert [p.text for p in message.content.parts if isinstance(p, TextPart)] == ["hello"]


async def test_string_content_assigned_later_is_refused_with_a_clear_error() -> None:
    # assignment is plain (no converter on setattr: it made every Message built 2x slower); evolve converts
    message = Message(id="m1", role="user", content="hello", thread_id="t1", resource_id="u1")
    message.content = "changed"  # type: ignore[assignment]
    async with create_storage("inmemory") as storage:
        await storage.memory.save_thread(thread={"id": "t1", "resourceId": "u1"})
        with pytest.raises(StorageError, match="content must be MessageContent .*only when the Message is built"):
            await storage.memory.save_messages(messages=[message])
        assert await storage.memory.list_messages_by_id(message_ids=["m1"]) == []  # nothing written
        saved = await storage.memory.save_messages(messages=[attrs.evolve(message, content="changed")])
        assert saved[0].text == "changed"


async def test_reference_parts_list_content_is_accepted() -> None:
    # the v1 / AI SDK form `content: [{"type": "text", ...}]`; before: "MessageContent must be a mapping, got list"
    async with create_storage("inmemory") as storage:
        await storage.memory.save_thread(thread={"id": "t1", "resourceId": "u1"})
        await storage.memory.save_messages(messages=[
            {"id": "m1", "role": "user", "threadId": "t1", "resourceId": "u1",
             "content": [{"type": "text", "text": "hello"}, {"type": "text", "text": "there"}]}])
        assert [m.text for m in await storage.memory.list_messages(thread_id="t1")] == ["hello there"]


def test_an_unknown_scheme_lists_only_real_schemes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "nosuch://x"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "'memory'" in err and "''" not in err  # before: the bare-path entry showed up as ''


def _demo_checkout(root: Path) -> Path:
    """A checkout in miniature for scripts/demo.sh: its package folders and a .venv whose python and mastra
    record how they were called (pip is not run for real: the test is about when the script installs)."""
    (root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "demo.sh", root / "scripts" / "demo.sh")
    for package in ("core", "plugins/mastra-libsql", "plugins/mastra-memory"):
        (root / package).mkdir(parents=True)
        (root / package / "pyproject.toml").write_text(f'[project]\nname = "{package}"\n')
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    log = root / "calls.log"
    (bin_dir / "python").write_text(
        f'#!/bin/sh\nif [ "$1" = --version ]; then echo "Python 3.11.0"; else echo "python $*" >> {log}; fi\n')
    (bin_dir / "mastra").write_text(f'#!/bin/sh\necho "mastra $*" >> {log}\n')
    for exe in ("python", "mastra"):
        (bin_dir / exe).chmod(0o755)
    return log


def test_demo_script_installs_only_when_needed_and_says_what_it_does(tmp_path: Path) -> None:
    log = _demo_checkout(tmp_path)

    def demo() -> str:
        out = subprocess.run(["bash", str(tmp_path / "scripts" / "demo.sh"), "--url", "memory:"], capture_output=True,
                             text=True, timeout=60, check=True)
        return out.stderr

    first = demo()
    assert "installing core plugins/mastra-libsql plugins/mastra-memory" in first
    second = demo()
    assert "already installed" in second and "installing" not in second
    (tmp_path / "plugins/mastra-memory/pyproject.toml").write_text('[project]\nname = "changed"\n')
    assert "installing" in demo()  # a changed pyproject (dependencies, entry points) installs again
    calls = log.read_text().splitlines()
    assert [c.split()[0] for c in calls] == ["python", "mastra", "mastra", "python", "mastra"]
    assert calls[0].startswith("python -m pip install") and calls[1] == "mastra demo --url memory:"
