"""MariaDB / MySQL storage backend for mastra: ``MySQLStore`` (backend id ``mysql``).

Importing this package does not connect or import the driver.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MySQLConfig", "MySQLStore"]


def __getattr__(name: str) -> Any:
    if name == "MySQLStore":
        from .store import MySQLStore

        return MySQLStore
    if name == "MySQLConfig":
        from .config import MySQLConfig

        return MySQLConfig
    raise AttributeError(name)
