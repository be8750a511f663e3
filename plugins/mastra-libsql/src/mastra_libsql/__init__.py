"""mastra-libsql: the libSQL / SQLite storage backend (files, ``:memory:``, remote sqld and Turso).

Importing this package does not import the driver or connect; ``LibSQLVector`` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import LibSQLConfig
from .store import LibSQLStore

if TYPE_CHECKING:
    from .vector import LibSQLVector

__all__ = ["LibSQLConfig", "LibSQLStore", "LibSQLVector"]


def __getattr__(name: str) -> Any:
    """``LibSQLVector`` on first access (the vector module is only needed when a vector store is built)."""
    if name == "LibSQLVector":
        from .vector import LibSQLVector

        return LibSQLVector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
