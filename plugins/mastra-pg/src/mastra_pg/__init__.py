"""mastra-pg: the PostgreSQL storage backend (``pg``) and the pgvector vector store (``pgvector``)."""

from .config import PostgresConfig
from .indexes import IndexInfo, IndexSpec
from .store import PostgresStore

__all__ = ["IndexInfo", "IndexSpec", "PgVector", "PostgresConfig", "PostgresStore"]


def __getattr__(name: str) -> object:
    """``PgVector`` on first use (it is not needed to open a storage)."""
    if name == "PgVector":
        from .vector import PgVector

        return PgVector
    raise AttributeError(name)
