"""mastra-pg: the PostgreSQL storage backend (``pg``) and the pgvector vector store (``pgvector``)."""

from .config import IndexSpec, PostgresConfig
from .indexes import IndexInfo
from .store import PostgresStore

__all__ = ["IndexInfo", "IndexSpec", "PgVector", "PostgresConfig", "PostgresStore"]


def __getattr__(name: str) -> object:
    if name == "PgVector":
        from .vector import PgVector

        return PgVector
    raise AttributeError(name)
