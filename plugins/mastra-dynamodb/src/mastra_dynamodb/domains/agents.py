"""Stored agent definitions: item ``AGENT#{id}`` / ``AGENT``; gsi1 ``AGENTS`` by created, gsi2 ``AGENTS`` by
updated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mastra_core import records as r
from mastra_core.backend import page_of
from mastra_core.clock import epoch_ms
from mastra_core.domains.agents import AgentsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import AgentQuery

from ..codec import body, record
from ..connection import ConditionFailed
from ..schema import AGENT, ms_order, next_seq
from .shared import DynamoDomain, live_filter, optimistic, read_ordered


class DynamoDBAgents(AgentsStore, DynamoDomain):
    """Agents; updates are optimistic read-modify-writes on a version attribute."""

    entities = (AGENT,)

    def _item(self, agent: r.Agent, *, seq: int, ver: int) -> dict[str, Any]:
        pk, sk = AGENT.key(id=agent.id)
        return {
            "pk": pk, "sk": sk, "entity": AGENT.name, "id": agent.id, **body(agent), "seq": seq, "ver": ver,
            "gsi1pk": AGENT.partition("gsi1"), "gsi1sk": ms_order(epoch_ms(agent.created_at), seq),
            "gsi2pk": AGENT.partition("gsi2"), "gsi2sk": ms_order(epoch_ms(agent.updated_at), seq),
        }

    async def _insert_agent(self, agent: r.Agent) -> bool:
        try:
            await self.db.put(self._item(agent, seq=next_seq(), ver=1), condition="attribute_not_exists(pk)")
        except ConditionFailed:
            return False
        return True

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        item = await self.db.get(*AGENT.key(id=agent_id))
        return record(item, r.Agent) if item else None

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        async def attempt() -> r.Agent | None:
            item = await self.db.get(*AGENT.key(id=agent_id))
            if item is None:
                return None
            new = change(record(item, r.Agent))
            ver = int(item.get("ver", 0))
            await self.db.put_versioned(self._item(new, seq=int(item["seq"]), ver=ver + 1), ver)
            return new

        return await optimistic(f"agent {agent_id!r}", attempt)

    async def _delete_agent(self, agent_id: str) -> None:
        await self.db.delete(*AGENT.key(id=agent_id))

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        index = "gsi2" if q.order_field == "updated_at" else "gsi1"
        rows, total = await read_ordered(self.db, [(index, AGENT.partition(index))], forward=q.direction == "ASC",
                                         page=q.page, per_page=q.per_page, filter=live_filter())
        return page_of([record(it, r.Agent) for it in rows], total=total, page=q.page, per_page=q.per_page)
