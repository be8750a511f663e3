"""mastra-libsql: the libSQL / SQLite storage backend (files, ``:memory:``, remote sqld and Turso)."""

from .store import LibSQLConfig, LibSQLStore

__all__ = ["LibSQLConfig", "LibSQLStore"]
