"""The agents domain: stored agent definitions."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .. import records as r
from ..clock import utc_now
from ..errors import NotFoundError, ValidationError, error_id
from ..pagination import OrderBy, Page, PerPage
from ..records.queries import AgentQuery
from ..serde import wire_names
from .base import DomainStore, record_from
from .memory import bump_time


class AgentsStore(DomainStore, abc.ABC):
    """Agent definitions keyed by id."""

    domain = "agents"

    async def create_agent(self, *, agent: r.Agent | Mapping[str, Any]) -> r.Agent:
        """Insert a new agent (``created_at``/``updated_at`` set to now); an existing id is an error."""
        c = self.checks("CREATE_AGENT")
        agent = record_from(agent, r.Agent, c, "INVALID_AGENT")
        c.id(agent.id, "ID")
        c.id(agent.name, "NAME")
        if not isinstance(agent.instructions, str):
            raise c.fail("INVALID_AGENT", "instructions must be a string")
        c.mapping(agent.model, "MODEL")
        c.value(agent, "AGENT")
        now = utc_now()
        stored = attrs.evolve(agent, created_at=now, updated_at=now)

        async def go() -> r.Agent:
            if not await self._insert_agent(stored):
                raise ValidationError(
                    f"agent {stored.id!r} already exists",
                    id=error_id(self.backend_token, "CREATE_AGENT", "ALREADY_EXISTS"),
                )
            return stored

        return await self._run("CREATE_AGENT", go)

    async def get_agent_by_id(self, *, id: str) -> r.Agent | None:
        """The agent, or None."""
        aid = self.checks("GET_AGENT_BY_ID").id(id, "ID")
        return await self._run("GET_AGENT_BY_ID", lambda: self._get_agent(aid))

    async def update_agent(self, *, id: str, **changes: Any) -> r.Agent:
        """Change fields (snake_case or the reference's camelCase names); a missing agent is a NotFoundError."""
        c = self.checks("UPDATE_AGENT")
        aid = c.id(id, "ID")
        back = {w: n for n, w in wire_names(r.Agent).items()}
        patch: dict[str, Any] = {}
        for key, value in changes.items():
            name = back.get(key, key)
            if name not in r.AGENT_UPDATABLE_FIELDS:
                raise c.fail("INVALID_UPDATE", f"agent field {key!r} cannot be updated", field=key)
            patch[name] = value
        if "name" in patch:
            c.id(patch["name"], "NAME")
        for name, value in patch.items():
            c.field(r.Agent, name, value, "INVALID_UPDATE")

        def change(old: r.Agent) -> r.Agent:
            return attrs.evolve(old, **patch, updated_at=bump_time(old.updated_at))

        async def go() -> r.Agent:
            result = await self._modify_agent(aid, change)
            if result is None:
                raise NotFoundError(
                    f"Agent {aid} not found", id=error_id(self.backend_token, "UPDATE_AGENT", "NOT_FOUND")
                )
            return result

        return await self._run("UPDATE_AGENT", go)

    async def delete_agent(self, *, id: str) -> None:
        """Delete an agent; missing is fine."""
        aid = self.checks("DELETE_AGENT").id(id, "ID")
        await self._run("DELETE_AGENT", lambda: self._delete_agent(aid))

    async def list_agents(
        self, *, page: int = 0, per_page: PerPage = 100, order_by: OrderBy | Mapping[str, Any] | None = None
    ) -> Page[r.Agent]:
        """Agents, newest first by default."""
        c = self.checks("LIST_AGENTS")
        pg = c.page(page)
        ob = c.order_by(order_by, ("created_at", "updated_at"), "created_at", "DESC")
        q = AgentQuery(page=pg, per_page=c.per_page(per_page, pg), order_field=ob.field, direction=ob.direction)
        return await self._run("LIST_AGENTS", lambda: self._list_agents(q))

    @abc.abstractmethod
    async def _insert_agent(self, agent: r.Agent) -> bool:
        """Insert; False (and nothing written) if the id exists."""

    @abc.abstractmethod
    async def _get_agent(self, agent_id: str) -> r.Agent | None: ...

    @abc.abstractmethod
    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None: ...

    @abc.abstractmethod
    async def _delete_agent(self, agent_id: str) -> None: ...

    @abc.abstractmethod
    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]: ...
