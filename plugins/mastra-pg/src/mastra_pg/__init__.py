"""mastra-pg: the PostgreSQL storage backend (``pg``) and the pgvector vector store (``pgvector``)."""

from importlib.metadata import version as _version

from .config import PostgresConfig
from .indexes import IndexInfo, IndexSpec
from .store import PostgresStore

__version__ = _version("mastra-pg")  # the one place is pyproject.toml

__all__ = ["IndexInfo", "IndexSpec", "PgVector", "PostgresConfig", "PostgresStore"]


def __getattr__(name: str) -> object:
    """``PgVector`` on first use (it is not needed to open a storage)."""
    if name == "PgVector":
        from .vector import PgVector

        return PgVector
    raise AttributeError(name)
