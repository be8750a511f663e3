"""mastra-mongodb: the MongoDB storage backend (``MongoDBStore``) and vector store (``MongoDBVector``)."""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import MongoDBConfig
    from .store import MongoDBStore
    from .vector import MongoDBVector

__version__ = _version("mastra-mongodb")  # the one place is pyproject.toml

__all__ = ["MongoDBConfig", "MongoDBStore", "MongoDBVector"]


def __getattr__(name: str) -> Any:  # lazy: importing the package does not import pymongo
    if name == "MongoDBStore":
        from .store import MongoDBStore

        return MongoDBStore
    if name == "MongoDBConfig":
        from .config import MongoDBConfig

        return MongoDBConfig
    if name == "MongoDBVector":
        from .vector import MongoDBVector

        return MongoDBVector
    raise AttributeError(name)
