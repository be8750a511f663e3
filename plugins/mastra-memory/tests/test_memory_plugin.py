"""mastra-memory's hook implementations (the ``hash`` embedder, the ``demo`` command) and registered ids in Memory."""

from __future__ import annotations

from typing import Any

import pluggy
from mastra_core import create_storage, hookspecs
from mastra_core.inmemory.vector import InMemoryVector
from mastra_core.plugins import registry
from mastra_memory import HashEmbedder, Memory
from mastra_memory import plugin as memory_plugin


def test_hookimpls_register_hash_embedder_and_demo_command() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(memory_plugin, name="mastra-memory")
    got: dict[Any, Any] = {}
    pm.hook.mastra_register_vector_stores(register=lambda name, factory: got.__setitem__(("vector", name), factory))
    pm.hook.mastra_register_embedders(register=lambda name, factory: got.__setitem__(("embedder", name), factory))
    pm.hook.mastra_register_commands(register=lambda name, help, handler: got.__setitem__(("command", name), help))
    assert set(got) == {("embedder", "hash"), ("command", "demo")}
    embedder = got[("embedder", "hash")](dimension=8)
    assert isinstance(embedder, HashEmbedder) and len(embedder.embed(["x"])[0]) == 8


def test_installed_entry_point_is_in_the_registry() -> None:
    reg = registry()
    assert reg.embedders["hash"][1] == "mastra-memory" and reg.commands["demo"].distribution == "mastra-memory"
    assert isinstance(reg.vector_stores["inmemory"][0](), InMemoryVector)  # core's, not this distribution's


async def test_memory_accepts_registered_ids() -> None:
    memory = Memory(storage=create_storage("inmemory"), vector="inmemory", embedder="hash",
                    options={"semantic_recall": {"top_k": 1, "message_range": 0}, "last_messages": 0})
    await memory.create_thread(resource_id="u", thread_id="t")
    m = await memory.add_message("registry ids work", thread_id="t", resource_id="u")
    assert [h.id for h in (await memory.recall(thread_id="t", resource_id="u", query="registry ids")).hits] == [m.id]
