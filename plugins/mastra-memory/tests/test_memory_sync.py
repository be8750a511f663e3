"""``SyncMemory``: Memory's blocking twin, generated with the same signatures (issue 13)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from mastra_core.errors import ValidationError
from mastra_core.inmemory.vector import InMemoryVector
from mastra_core.sync import open_storage
from mastra_memory import HashEmbedder, Memory
from mastra_memory.sync import SyncMemory

ROOT = Path(__file__).resolve().parents[3]


def test_generated_file_is_fresh() -> None:
    check = subprocess.run([sys.executable, str(ROOT / "scripts/gen_sync_memory.py"), "--check"], check=False)
    assert check.returncode == 0, "run `python scripts/gen_sync_memory.py`"


def test_every_async_method_has_a_blocking_twin_with_the_same_signature() -> None:
    for name, fn in inspect.getmembers(Memory, inspect.iscoroutinefunction):
        if name.startswith("_"):
            continue
        twin = getattr(SyncMemory, name)
        assert not inspect.iscoroutinefunction(twin), name
        assert str(inspect.signature(twin)) == str(inspect.signature(fn)), name


def test_a_conversation_with_semantic_recall_blocks_and_works() -> None:
    with open_storage("memory:") as storage:
        memory = SyncMemory(storage=storage, vector=InMemoryVector(), embedder=HashEmbedder(),
                            options={"last_messages": 2, "semantic_recall": {"top_k": 1, "message_range": 0}})
        thread = memory.create_thread(resource_id="ada")
        memory.add_message("my cat is called Tom", thread_id=thread.id, resource_id="ada")
        memory.add_message("the weather is nice", thread_id=thread.id, resource_id="ada", role="assistant")
        other = memory.create_thread(resource_id="ada")
        result = memory.recall(thread_id=other.id, resource_id="ada", query="my cat is called Tom")
        assert [m.text for m in result.messages] == ["my cat is called Tom"]
        assert memory.get_thread(thread.id) is not None


def test_an_async_storage_is_refused_with_a_hint() -> None:
    from mastra_core import open_storage as open_async

    with pytest.raises(TypeError, match="SyncStorage"):
        SyncMemory(storage=open_async("memory:"))  # type: ignore[arg-type]


def test_async_memory_on_a_blocking_storage_points_to_sync_memory() -> None:
    # before: accepted, and add_message returned a coroutine that failed only when awaited
    with open_storage("memory:") as storage, pytest.raises(ValidationError, match="SyncMemory") as err:
        Memory(storage=storage, embedder=HashEmbedder())
    assert err.value.id.endswith("SYNC_STORAGE")
