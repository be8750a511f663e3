"""``mastra demo [--url URL]``: the handler registered through ``mastra_register_commands``."""

from __future__ import annotations

import argparse
import asyncio

from mastra_core.registry import open_storage

from .demo import run_demo

DEFAULT_URL = "file:./mastra.db"


async def _demo(url: str) -> None:
    storage = open_storage(url)
    try:
        await run_demo(storage)
    finally:
        await storage.close()


def demo_command(argv: list[str]) -> int:
    """Parse ``[--url URL]`` and run the demo on that storage; returns the exit code."""
    parser = argparse.ArgumentParser(prog="mastra demo", description=f"Run the demo (default {DEFAULT_URL}).")
    parser.add_argument("--url", default=DEFAULT_URL, help="storage URL (file:, memory:, postgresql:, redis:, ...)")
    url: str = parser.parse_args(argv).url
    asyncio.run(_demo(url))
    return 0
