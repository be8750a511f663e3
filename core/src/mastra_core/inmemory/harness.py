"""The contract-suite harness of the in-memory reference backend: every namespace is simply a new object."""

from __future__ import annotations

from typing import Any

from ..registry import create_storage
from ..storage import Storage

BACKEND_ID = "inmemory"


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    """A fresh in-memory storage (un-initialised) for ``namespace``."""
    return create_storage("inmemory", id=f"conformance-{namespace}", **overrides)
