"""MariaDB / MySQL storage backend for mastra: ``MySQLStore`` (backend id ``mysql``).

Importing this package does not connect or import the driver.
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import Any

__version__ = _version("mastra-mysql")  # the one place is pyproject.toml

__all__ = ["MySQLConfig", "MySQLStore"]


def __getattr__(name: str) -> Any:
    if name == "MySQLStore":
        from .store import MySQLStore

        return MySQLStore
    if name == "MySQLConfig":
        from .config import MySQLConfig

        return MySQLConfig
    raise AttributeError(name)
