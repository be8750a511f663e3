"""``PostgresStore``: every domain of the core on one PostgreSQL schema."""

from __future__ import annotations

from typing import Any, ClassVar

from mastra_core.domains.base import DomainStore
from mastra_core.storage import BackendStorage

from . import indexes as ix
from .config import IndexSpec, PostgresConfig
from .db import PgDb
from .memory import PgMemory
from .others import PgAgents, PgEvals, PgObservability, PgScores, PgTraces, PgWorkflows


class PostgresStore(BackendStorage):
    """Storage on PostgreSQL through psycopg 3 and psycopg_pool (backend id ``pg``).

    ``PostgresStore(id="pg-storage", connection_string="postgresql://...")``, or ``host=``/``port=``/
    ``database=``/``user=``/``password=``, or ``pool=`` (a caller-owned ``AsyncConnectionPool``, never
    closed here). See :class:`~mastra_pg.config.PostgresConfig` for every option. ``store.pool`` is the
    pool for direct queries and transactions.
    """

    #: The domains every instance has (shown by `mastra backends` without connecting).
    declared_domains = ("memory", "workflows", "scores", "observability", "agents", "evals", "traces")

    backend_id: ClassVar[str] = "pg"
    backend_token: ClassVar[str] = "PG"
    url_schemes: ClassVar[tuple[str, ...]] = ("postgresql", "postgres")
    config_class: ClassVar[type[Any]] = PostgresConfig
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"transactions", "custom_indexes", "atomic_updates"})
    secret_fields: ClassVar[frozenset[str]] = BackendStorage.secret_fields | {"ssl"}

    def _create_stores(self) -> dict[str, DomainStore]:
        # disable_init (or MASTRA_DISABLE_STORAGE_INIT=true): connect, but create and migrate nothing
        self.db = PgDb(self.config, migrate=not self.disable_init)
        return {
            "memory": PgMemory(self.db),
            "workflows": PgWorkflows(self.db),
            "scores": PgScores(self.db),
            "observability": PgObservability(self.db),
            "agents": PgAgents(self.db),
            "evals": PgEvals(self.db),
            "traces": PgTraces(self.db),
        }

    @classmethod
    def from_url(cls, url: str, **config: Any) -> PostgresStore:
        return cls(connection_string=url, **config)

    @property
    def pool(self) -> Any:
        """The ``psycopg_pool.AsyncConnectionPool`` (yours if you passed one); open after ``init()``."""
        return self.db.pool

    @property
    def schema_name(self) -> str:
        return self.db.schema

    async def _open(self) -> None:
        await self.db.ensure_ready()

    async def _close(self) -> None:
        await self.db.close()

    # ---------------------------------------------------------------- indexes

    async def create_index(self, spec: IndexSpec | dict[str, Any] | None = None, /, **options: Any) -> bool:
        """Create a custom index (``IndexSpec`` or its fields); returns False when one of that name exists.

        ``where`` is your own SQL, used verbatim; names, columns and expressions are validated and quoted.
        """
        from mastra_core.errors import ConfigError

        try:
            parsed = IndexSpec.parse(spec if spec is not None else options)
        except ValueError as exc:
            raise ConfigError(f"invalid index: {exc}", id="MASTRA_STORAGE_PG_CREATE_INDEX_INVALID") from None
        await self.init()
        return await self.db.with_conn(lambda conn: ix.create_index(conn, parsed, self.db.schema))

    async def list_indexes(self, table: str | None = None) -> list[ix.IndexInfo]:
        """Indexes of the mastra tables in this schema (or of one table)."""
        await self.init()
        return await ix.list_indexes(self.db, table)

    async def describe_index(self, name: str) -> ix.IndexInfo | None:
        """One index with its size and usage statistics (scans, tuples read/fetched), or None."""
        await self.init()
        return await ix.describe_index(self.db, name)

    async def drop_index(self, name: str, *, concurrent: bool = True, if_exists: bool = True) -> None:
        """Drop an index of this schema."""
        await self.init()
        await ix.drop_index(self.db, name, concurrent=concurrent, if_exists=if_exists)
