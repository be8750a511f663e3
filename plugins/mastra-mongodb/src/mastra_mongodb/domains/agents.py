"""Stored agent definitions in ``mastra_agents``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mastra_core import records as r
from mastra_core.domains.agents import AgentsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import AgentQuery

from ..codec import AGENT
from ..filters import order
from ..schema import AGENTS, REV, SEQ
from .shared import MongoDomain, reader


class MongoAgents(AgentsStore, MongoDomain):
    """The agents domain on MongoDB."""

    collections = (AGENTS,)

    async def _insert_agent(self, agent: r.Agent) -> bool:
        result = await self.col(AGENTS).update_one(
            {"id": agent.id}, {"$setOnInsert": {**AGENT.to_doc(agent, nulls=False), SEQ: self.conn.seq(), REV: 1}},
            upsert=True,
        )
        return result.upserted_id is not None

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        doc = await self.col(AGENTS).find_one({"id": agent_id})
        return None if doc is None else AGENT.from_doc(doc)

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        def write(new: r.Agent, old: dict[str, Any] | None) -> dict[str, Any]:
            # fields set to None are stored as null (the old value must not survive)
            return AGENT.to_doc(new)

        return await self.conn.compare_and_set(
            AGENTS, {"id": agent_id}, reader(AGENT.from_doc), lambda a: None if a is None else change(a), write,
            expiring=False,
        )

    async def _delete_agent(self, agent_id: str) -> None:
        await self.col(AGENTS).delete_one({"id": agent_id})

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        field = {"created_at": "createdAt", "updated_at": "updatedAt"}[q.order_field]
        return await self.conn.find_page(AGENTS, {}, order(field, q.direction, SEQ), q.page, q.per_page,
                                         AGENT.from_doc)
