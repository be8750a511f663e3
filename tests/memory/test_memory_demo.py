"""The semantic-recall step of ``mastra demo`` (core/src/mastra_core/memory/demo.py) on every backend."""

from __future__ import annotations

from typing import Any

from mastra_core.demo import run_demo


async def test_demo_recalls_the_cat_from_the_first_thread(backend: Any) -> None:
    lines: list[str] = []
    for _ in range(2):  # a second run starts afresh and shows the same thing
        lines.clear()
        seen = await run_demo(backend.storage, out=lines.append)
        assert seen["semantic_hits"][0] == "demo-m4"
        assert "demo-m4" in seen["semantic"] and seen["semantic"][-2:] == ["demo-t2-m0", "demo-t2-m1"]
    text = "\n".join(lines)
    assert "9. semantic recall in a new thread" in text and "my cat is called Tom" in text
