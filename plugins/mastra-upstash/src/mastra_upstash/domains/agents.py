"""Stored agent definitions: one hash per agent, indexed by created_at and updated_at."""

from __future__ import annotations

from collections.abc import Callable

from mastra_core import records as r
from mastra_core.backend import BackendDomain, page_of
from mastra_core.domains.agents import AgentsStore
from mastra_core.pagination import Page, page_slice
from mastra_core.records.queries import AgentQuery

from ..codec import AGENT, Rec, ms
from ..connection import UpstashConnection
from ..schema import VERSIONED_FIELDS, esc


class UpstashAgents(AgentsStore, BackendDomain[UpstashConnection]):
    """Agents; create is insert-if-absent inside the script, updates are versioned compare-and-set."""

    def _rec(self, agent: r.Agent, *, expect: str | None = None, insert_only: bool = False) -> Rec:
        k = self.conn.keys
        return Rec(key=k.agent(agent.id), id=esc(agent.id),
                   fields={"j": AGENT.json(agent), "c": ms(agent.created_at), "u": ms(agent.updated_at)},
                   ix=[(k.agents("created"), "c"), (k.agents("updated"), "u")], expect=expect, insert_only=insert_only)

    async def _insert_agent(self, agent: r.Agent) -> bool:
        out = await self.conn.upsert("agent", [self._rec(agent, insert_only=True)])
        return bool(out[0] == "OK")

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        values = await self.conn.get_one(self.conn.keys.agent(agent_id), VERSIONED_FIELDS)
        return None if values is None else AGENT.decode(values)

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        async def attempt() -> tuple[bool, r.Agent | None]:
            values = await self.conn.get_one(self.conn.keys.agent(agent_id), VERSIONED_FIELDS)
            if values is None:
                return True, None
            new = change(AGENT.decode(values))
            out = await self.conn.upsert("agent", [self._rec(new, expect=values["v"] or "0")])
            return out[0] == "OK", new

        return await self.conn.optimistic(attempt)

    async def _delete_agent(self, agent_id: str) -> None:
        await self.conn.delete(keys=[self.conn.keys.agent(agent_id)])

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        k = self.conn.keys
        z = k.agents("created" if q.order_field == "created_at" else "updated")
        offset, limit = page_slice(0, q.page, q.per_page)
        total, rows = await self.conn.page(z=z, rk=k.agent_rk, fields=VERSIONED_FIELDS, rev=q.direction == "DESC",
                                           offset=offset, limit=limit)
        return page_of([AGENT.decode(row.values) for row in rows], total=total, page=q.page, per_page=q.per_page)

    async def _clear(self) -> None:
        await self.conn.clear_patterns("agents")
