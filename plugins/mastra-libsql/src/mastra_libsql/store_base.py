"""What every libSQL domain store shares: the connection, schema init and TTL pruning."""
# ruff: noqa: S608  -- SQL text is built only from constant, validated and quoted identifiers; values are always bound parameters

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from mastra_core.clock import iso
from mastra_core.errors import ErrorCategory, StorageError, error_id

from .db import Database, quote
from .schema import EXPIRES, MigrationRequired, Table, ensure


class LibSQLDomain:
    """Mixin for the domain stores: ``self.db`` is the store's shared :class:`Database`."""

    backend_token = "LIBSQL"
    tables: ClassVar[tuple[Table, ...]] = ()
    domain: ClassVar[str]

    def __init__(self, db: Database, **kw: Any) -> None:
        super().__init__(**kw)
        self.db = db

    async def _init(self) -> None:
        if not self.db.is_open:
            await self.db.open()
        try:
            await self._ensure_schema()
        except MigrationRequired as exc:
            raise StorageError(
                str(exc), id=error_id(self.backend_token, "MIGRATION_REQUIRED", "DUPLICATE_ROWS"), category=ErrorCategory.USER,
                details={"domain": self.domain},
            ) from exc

    async def _ensure_schema(self) -> None:
        attempt = 0
        while True:
            try:
                await self.db.write(lambda db: ensure(db, self.domain, self.tables))
                return
            except MigrationRequired:
                raise
            except Exception:
                # A remote server can hand this stream a stale schema while another process creates the
                # same tables (sqld: "no such table" right after CREATE TABLE IF NOT EXISTS skipped it).
                # The transaction was rolled back; a new stream sees the other writer's committed schema.
                if not self.db.target.remote or attempt >= 3:
                    raise
                attempt += 1
                await self.db.reconnect()
                await asyncio.sleep(0.05 * attempt)

    async def prune_tables(self, tables: Sequence[Table], now: datetime) -> int:
        at = iso(now)

        def go(db: Database) -> int:
            return sum(
                db.changes(f"DELETE FROM {quote(t.name)} WHERE {quote(EXPIRES)} IS NOT NULL AND {quote(EXPIRES)} <= ?", (at,))
                for t in tables
                if EXPIRES in t.names
            )

        return await self.db.write(go)

    async def clear_tables(self, tables: Sequence[Table]) -> None:
        def go(db: Database) -> None:
            for t in tables:
                db.execute(f"DELETE FROM {quote(t.name)}")

        await self.db.write(go)
