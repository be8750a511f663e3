"""Stored agents (``mastra_agents``) on libSQL."""
# ruff: noqa: S608  -- SQL text holds only constant, validated, quoted identifiers; values are bound parameters

from __future__ import annotations

from collections.abc import Callable

from mastra_core import records as r
from mastra_core.domains.agents import AgentsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import AgentQuery

from ..codec import Codec
from ..connection import LibSQLConnection, quote
from ..schema import AGENTS, DOMAIN_TABLES
from .shared import LibSQLDomain, fetch_page

AGENT = Codec(AGENTS, r.Agent)
_A = quote(AGENTS.name)


class LibSQLAgents(AgentsStore, LibSQLDomain):
    """``mastra_agents``."""

    tables = DOMAIN_TABLES["agents"]

    async def _insert_agent(self, agent: r.Agent) -> bool:
        values = AGENT.encode(agent)
        n = await self.conn.write(lambda db: db.changes(
            f"INSERT INTO {_A} ({AGENT.insert_columns}) VALUES {AGENT.placeholders} ON CONFLICT(id) DO NOTHING",
            values))
        return n == 1

    @staticmethod
    def _row(db: LibSQLConnection, agent_id: str) -> r.Agent | None:
        row = db.one(f"SELECT {AGENT.select_list()} FROM {_A} WHERE id = ?", (agent_id,))
        return None if row is None else AGENT.decode(row)

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        return await self.conn.read(lambda db: self._row(db, agent_id))

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        def go(db: LibSQLConnection) -> r.Agent | None:
            old = self._row(db, agent_id)
            if old is None:
                return None
            new = change(old)
            sets = ", ".join(f"{quote(c)} = ?" for a, c in AGENT.columns.items() if a != "id")
            params = [AGENT.encode_value(a, getattr(new, a)) for a in AGENT.columns if a != "id"]
            db.execute(f"UPDATE {_A} SET {sets} WHERE id = ?", (*params, agent_id))
            return new

        return await self.conn.write(go)

    async def _delete_agent(self, agent_id: str) -> None:
        await self.conn.write(lambda db: db.execute(f"DELETE FROM {_A} WHERE id = ?", (agent_id,)))

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        col = {"created_at": '"createdAt"', "updated_at": '"updatedAt"'}[q.order_field]
        d = "DESC" if q.direction == "DESC" else "ASC"
        return await fetch_page(self.conn, AGENT, [], [], f"{col} {d}, rowid {d}", q.page, q.per_page)
