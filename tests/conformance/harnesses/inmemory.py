"""The in-memory reference backend: every namespace is simply a new object."""

from __future__ import annotations

from typing import Any

from mastra_core import Storage, create_storage

BACKEND_ID = "inmemory"


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    return create_storage("inmemory", id=f"conformance-{namespace}", **overrides)
