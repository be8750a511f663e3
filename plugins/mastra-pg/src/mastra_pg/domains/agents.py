"""The agents domain on PostgreSQL: stored agents in ``mastra_agents``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.domains.agents import AgentsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import AgentQuery
from mastra_core.retention import Retention

from ..codec import PgKind
from ..connection import PgConnection
from .shared import PgDomain, codec_for

#: Free-text columns (NUL-safe) and the model, which stores None as JSON null. ``memory`` is JSONB, as in
#: the reference (a JSON string inside).
KINDS: dict[str, PgKind] = {**dict.fromkeys(("name", "description", "instructions"), "text"),
                            "model": "json_null"}


class PgAgents(AgentsStore, PgDomain):
    """Stored agents, one row per id (no TTL)."""

    tables = ("agents",)

    def __init__(self, conn: PgConnection, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(conn, backend_token=backend_token, retention=retention)
        self.t = codec_for(conn, "agents", r.Agent, KINDS)

    async def _insert_agent(self, agent: r.Agent) -> bool:
        cols = ", ".join(self.t.insert_cols)
        row = await self.conn.fetchone(
            self.q("INSERT INTO {agents} ({cols}) VALUES ({ph}) ON CONFLICT (id) DO NOTHING RETURNING 1", cols=cols,
                   ph=self.t.placeholders()), self.t.named(agent), idempotent=False)
        return row is not None

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        row = await self.conn.fetchone(self.q("SELECT {cols} FROM {agents} WHERE id = %(id)s", cols=self.t.select),
                                       {"id": agent_id})
        return None if row is None else self.t.decode(row)

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        async def go(conn: Any) -> r.Agent | None:
            cur = await conn.execute(self.q("SELECT {cols} FROM {agents} WHERE id = %(id)s FOR UPDATE",
                                            cols=self.t.select), {"id": agent_id})
            row = await cur.fetchone()
            if row is None:
                return None
            new = attrs.evolve(change(self.t.decode(row)), id=agent_id)
            sets = self.t.assignments()
            await conn.execute(self.q("UPDATE {agents} SET {sets} WHERE id = %(id)s", sets=sets),
                               self.t.named(new, id=agent_id))
            return new

        async def applied(conn: Any) -> r.Agent | None:
            return await self._get_agent(agent_id)

        return await self.conn.once(go, applied)

    async def _delete_agent(self, agent_id: str) -> None:
        await self.conn.execute(self.q("DELETE FROM {agents} WHERE id = %s"), (agent_id,))

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        col = '"createdAt"' if q.order_field == "created_at" else '"updatedAt"'
        d = "DESC" if q.direction == "DESC" else "ASC"
        return await self.page(self.t, "agents", "TRUE", f"{col} {d}, seq {d}", {}, q.page, q.per_page)

    def expiring_tables(self) -> tuple[str, ...]:
        """Agents never expire."""
        return ()

    async def _prune(self, now: datetime) -> int:
        return 0
