"""The agents domain on MariaDB: ``mastra_agents`` (no TTL)."""
# ruff: noqa: S608  -- see domains/__init__.py: identifiers are validated and quoted, values are bound

from __future__ import annotations

from collections.abc import Callable

from mastra_core import records as r
from mastra_core.backend.reference_schema import DOMAIN_TABLES
from mastra_core.domains.agents import AgentsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import AgentQuery

from ..codec import AGENT
from ..connection import Tx
from ..schema import quote
from . import MySQLDomain, columns, marks, select_page, update_row

_A = quote(AGENT.table.name)
_ORDER = {"created_at": "`createdAt`", "updated_at": "`updatedAt`"}


class MySQLAgents(AgentsStore, MySQLDomain):
    """Stored agents keyed by id."""

    tables = DOMAIN_TABLES["agents"]

    @staticmethod
    async def _row(tx: Tx, agent_id: str, lock: str = "") -> r.Agent | None:
        row = await tx.one(f"SELECT {columns(AGENT)} FROM {_A} WHERE id = %s{lock}", (agent_id,))
        return None if row is None else AGENT.from_row(row)

    async def _insert_agent(self, agent: r.Agent) -> bool:
        row = AGENT.to_row(agent)
        names = ", ".join(quote(c) for c in row)
        # a duplicate id changes nothing (0 affected rows): no error, nothing written
        sql = f"INSERT INTO {_A} ({names}) VALUES ({marks(len(row))}) ON DUPLICATE KEY UPDATE id = id"
        n = await self.conn.tx(lambda tx: tx.execute(sql, list(row.values())))
        return n == 1

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        return await self.conn.read(lambda tx: self._row(tx, agent_id))

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        async def go(tx: Tx) -> r.Agent | None:
            old = await self._row(tx, agent_id, " FOR UPDATE")
            if old is None:
                return None
            new = change(old)
            await update_row(tx, AGENT, AGENT.to_row(new, id=agent_id), ("id",))
            return new

        return await self.conn.tx(go)

    async def _delete_agent(self, agent_id: str) -> None:
        await self.conn.tx(lambda tx: tx.execute(f"DELETE FROM {_A} WHERE id = %s", (agent_id,)))

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        d = "DESC" if q.direction == "DESC" else "ASC"
        return await select_page(self.conn, AGENT, [], [], f"{_ORDER[q.order_field]} {d}, seq {d}", q.page, q.per_page)
