"""The semantic-recall step of ``mastra demo`` (mastra_memory/demo.py) on every backend."""

from __future__ import annotations

from typing import Any

from mastra_memory.demo import run_demo


async def test_demo_recalls_the_cat_from_the_first_thread(backend: Any) -> None:
    lines: list[str] = []
    for _ in range(2):  # a second run starts afresh and shows the same thing
        lines.clear()
        seen = await run_demo(backend.storage, out=lines.append)
        assert seen["semantic_hits"][0] == "demo-m4"
        assert "demo-m4" in seen["semantic"] and seen["semantic"][-2:] == ["demo-t2-m0", "demo-t2-m1"]
    text = "\n".join(lines)
    assert "9. semantic recall in a new thread" in text and "my cat is called Tom" in text


def test_mastra_demo_command_on_memory(capsys: Any) -> None:
    """``mastra demo`` is this distribution's command, found by core's CLI through the registry."""
    from mastra_core.cli import main

    assert main(["demo", "--url", "memory:"]) == 0
    out = capsys.readouterr().out
    for section in ("1. resource and thread", "3. last 3 messages (of 8)", "4. include window", "5. working memory",
                    "6. workflow snapshot, reloaded", "7. scores of the run", "8. trace", "9. semantic recall"):
        assert section in out
    assert "demo-m3" in out and "success" in out


def test_demo_vector_store_and_embedder_come_from_the_registry(backend: Any) -> None:
    from mastra_core.plugins import registry
    from mastra_memory.demo import vector_store_for

    store = vector_store_for(backend.storage)
    factory = registry().vector_stores.get(backend.name)
    shares = factory is not None and hasattr(factory[0], "from_storage")
    assert store.vector_id == (backend.name if shares else "inmemory")
