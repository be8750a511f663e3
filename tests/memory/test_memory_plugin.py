"""Core's memory hook implementations register the in-memory vector store and the hashing embedder."""

from __future__ import annotations

from typing import Any

import pluggy
from mastra_core import hookspecs
from mastra_core.memory import HashEmbedder, InMemoryVector, Memory
from mastra_core.memory import plugin as memory_plugin


def test_hookimpls_register_inmemory_vector_and_hash_embedder() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(memory_plugin, name="mastra-core-memory")
    got: dict[str, Any] = {}
    pm.hook.mastra_register_vector_stores(register=lambda name, factory: got.__setitem__(("vector", name), factory))
    pm.hook.mastra_register_embedders(register=lambda name, factory: got.__setitem__(("embedder", name), factory))
    assert set(got) == {("vector", "inmemory"), ("embedder", "hash")}
    assert isinstance(got[("vector", "inmemory")](), InMemoryVector)
    embedder = got[("embedder", "hash")](dimension=8)
    assert isinstance(embedder, HashEmbedder) and len(embedder.embed(["x"])[0]) == 8


async def test_memory_accepts_registered_ids() -> None:
    from mastra_core import create_storage

    memory = Memory(storage=create_storage("inmemory"), vector="inmemory", embedder="hash",
                    options={"semantic_recall": {"top_k": 1, "message_range": 0}, "last_messages": 0})
    await memory.create_thread(resource_id="u", thread_id="t")
    m = await memory.add_message("registry ids work", thread_id="t", resource_id="u")
    assert [h.id for h in (await memory.recall(thread_id="t", resource_id="u", query="registry ids")).hits] == [m.id]
