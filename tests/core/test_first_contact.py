"""A new user's first mistakes get a clear answer: URLs, the env variable, sync use of the async API, pasted input."""

from __future__ import annotations

from pathlib import Path

import pytest
from mastra_core import ConfigError, Message, create_storage, open_storage
from mastra_core.registry import normalise_url


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
