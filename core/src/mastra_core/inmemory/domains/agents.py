"""In-memory agents domain: stored agents."""

from __future__ import annotations

from collections.abc import Callable

from ... import records as r
from ...domains.agents import AgentsStore
from ...pagination import Page
from ...records.queries import AgentQuery
from ..connection import Row, clone
from .shared import InMemoryDomain, page_rows


class InMemoryAgents(AgentsStore, InMemoryDomain):
    """The in-memory agents domain: stored agents."""

    async def _insert_agent(self, agent: r.Agent) -> bool:
        if agent.id in self.s.agents:
            return False
        self.s.agents[agent.id] = Row(clone(agent), self.s.next_seq())
        return True

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        row = self.s.agents.get(agent_id)
        return clone(row.record) if row else None

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        row = self.s.agents.get(agent_id)
        if row is None:
            return None
        updated: r.Agent = clone(change(clone(row.record)))
        row.record = updated
        return clone(updated)

    async def _delete_agent(self, agent_id: str) -> None:
        self.s.agents.pop(agent_id, None)

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        rows = sorted(self.s.agents.values(), key=lambda row: (getattr(row.record, q.order_field), row.seq),
                      reverse=q.direction == "DESC")
        return page_rows(rows, q.page, q.per_page)

    async def _clear(self) -> None:
        self.s.agents.clear()
