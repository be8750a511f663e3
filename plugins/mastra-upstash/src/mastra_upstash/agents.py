"""Stored agent definitions: one hash per agent, indexed by created_at and updated_at."""

from __future__ import annotations

from collections.abc import Callable

from mastra_core import records as r
from mastra_core.domains.agents import AgentsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import AgentQuery

from .base import Rec, RedisDomain, limit_of, ms, offset_of, page_of
from .keys import esc

FIELDS = ("j", "c", "u", "v")


class UpstashAgents(RedisDomain, AgentsStore):
    """Agents; create is insert-if-absent inside the script, updates are versioned compare-and-set."""

    def _rec(self, agent: r.Agent, *, expect: str | None = None, insert_only: bool = False) -> Rec:
        k = self.keys
        return Rec(key=k.agent(agent.id), id=esc(agent.id),
                   fields={"j": self.encode(agent), "c": ms(agent.created_at), "u": ms(agent.updated_at)},
                   ix=[(k.agents("created"), "c"), (k.agents("updated"), "u")], expect=expect, insert_only=insert_only)

    async def _insert_agent(self, agent: r.Agent) -> bool:
        out = await self.upsert("agent", [self._rec(agent, insert_only=True)])
        return bool(out[0] == "OK")

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        values = await self.get_one(self.keys.agent(agent_id), FIELDS)
        return None if values is None else self.decode(r.Agent, values)

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        async def attempt() -> tuple[bool, r.Agent | None]:
            values = await self.get_one(self.keys.agent(agent_id), FIELDS)
            if values is None:
                return True, None
            new = change(self.decode(r.Agent, values))
            out = await self.upsert("agent", [self._rec(new, expect=values["v"] or "0")])
            return out[0] == "OK", new

        return await self.optimistic(attempt)

    async def _delete_agent(self, agent_id: str) -> None:
        await self.delete(keys=[self.keys.agent(agent_id)])

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        z = self.keys.agents("created" if q.order_field == "created_at" else "updated")
        total, rows = await self.page(z=z, rk=self.keys.agent_rk, fields=FIELDS, rev=q.direction == "DESC",
                                      offset=offset_of(q.page, q.per_page), limit=limit_of(q.per_page))
        return page_of([self.decode(r.Agent, row.values) for row in rows], total, q.page, q.per_page)

    async def _clear(self) -> None:
        await self.clear_patterns("agents")
