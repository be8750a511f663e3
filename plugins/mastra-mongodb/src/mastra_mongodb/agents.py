"""Stored agent definitions in ``mastra_agents``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mastra_core import records as r
from mastra_core.domains.agents import AgentsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import AgentQuery

from .base import MongoDomain
from .docs import wire_doc, wire_from
from .queries import order
from .schema import AGENTS, REV, SEQ


class MongoAgents(MongoDomain, AgentsStore):
    """The agents domain on MongoDB."""

    collections = (AGENTS,)

    async def _insert_agent(self, agent: r.Agent) -> bool:
        result = await self.col(AGENTS).update_one(
            {"id": agent.id}, {"$setOnInsert": {**wire_doc(agent), SEQ: self.conn.seqs(1)[0], REV: 1}}, upsert=True
        )
        return result.upserted_id is not None

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        doc = await self.col(AGENTS).find_one({"id": agent_id})
        return None if doc is None else wire_from(doc, r.Agent)

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        from mastra_core.serde import wire_names

        def write(new: r.Agent, old: dict[str, Any] | None) -> dict[str, Any]:
            doc = wire_doc(new)
            # fields set to None are stored as null (to_wire omits them; the old value must not survive)
            return {**{k: None for k in wire_names(r.Agent).values()}, **doc}

        return await self.compare_and_set(  # type: ignore[no-any-return]
            AGENTS, {"id": agent_id}, lambda d: None if d is None else wire_from(d, r.Agent),
            lambda a: None if a is None else change(a), write,
        )

    async def _delete_agent(self, agent_id: str) -> None:
        await self.col(AGENTS).delete_one({"id": agent_id})

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        field = {"created_at": "createdAt", "updated_at": "updatedAt"}[q.order_field]
        return await self.find_page(AGENTS, {}, order(field, q.direction, SEQ), q.page, q.per_page,
                                    lambda d: wire_from(d, r.Agent))
