"""Stored agent definitions: item ``AGENT#{id}`` / ``AGENT``; gsi1 ``AGENTS`` by created, gsi2 ``AGENTS`` by updated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mastra_core import records as r
from mastra_core.clock import epoch_ms
from mastra_core.domains.agents import AgentsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import AgentQuery
from mastra_core.serde import from_wire, to_wire

from .base import DynamoDomain, live_filter, read_ordered
from .codec import decode_body, encode_body, ms_order, next_seq
from .dynamo import backoff

MAX_ATTEMPTS = 25


def agent_key(agent_id: str) -> tuple[str, str]:
    return f"AGENT#{agent_id}", "AGENT"


class DynamoDBAgents(DynamoDomain, AgentsStore):
    """Agents; updates are optimistic read-modify-writes on a version attribute."""

    entities = ("agent",)

    def _item(self, agent: r.Agent, *, seq: int, ver: int) -> dict[str, Any]:
        pk, sk = agent_key(agent.id)
        return {
            "pk": pk, "sk": sk, "entity": "agent", "id": agent.id, **encode_body(to_wire(agent)), "seq": seq, "ver": ver,
            "gsi1pk": "AGENTS", "gsi1sk": ms_order(epoch_ms(agent.created_at), seq),
            "gsi2pk": "AGENTS", "gsi2sk": ms_order(epoch_ms(agent.updated_at), seq),
        }

    async def _insert_agent(self, agent: r.Agent) -> bool:
        try:
            await self.db.put(self._item(agent, seq=next_seq(), ver=1), condition="attribute_not_exists(pk)")
        except self.db.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        item = await self.db.get(*agent_key(agent_id))
        return from_wire(decode_body(item), r.Agent) if item else None

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        for attempt in range(MAX_ATTEMPTS):
            item = await self.db.get(*agent_key(agent_id))
            if item is None:
                return None
            new = change(from_wire(decode_body(item), r.Agent))
            ver = int(item.get("ver", 0))
            try:
                await self.db.put(self._item(new, seq=int(item["seq"]), ver=ver + 1), condition="#v = :v",
                                  names={"#v": "ver"}, values_={":v": ver})
            except self.db.client.exceptions.ConditionalCheckFailedException:
                await backoff(attempt)
                continue
            return new
        raise RuntimeError(f"agent {agent_id!r} kept changing under concurrent writers")

    async def _delete_agent(self, agent_id: str) -> None:
        await self.db.delete(*agent_key(agent_id))

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        index = "gsi2" if q.order_field == "updated_at" else "gsi1"
        rows, total = await read_ordered(self.db, [(index, "AGENTS")], forward=q.direction == "ASC", page=q.page,
                                         per_page=q.per_page, filter=live_filter())
        more = q.per_page is not False and (q.page + 1) * q.per_page < total
        return Page(items=[from_wire(decode_body(it), r.Agent) for it in rows], total=total, page=q.page,
                    per_page=q.per_page, has_more=more)
