"""Stored agent definitions (``mastra_agents``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ..clock import utc_now


@attrs.define(kw_only=True)
class Agent:
    """An agent's stored configuration."""

    id: str
    name: str
    instructions: str
    model: dict[str, Any]
    description: str | None = None
    tools: list[str] | None = None
    default_options: dict[str, Any] | None = None
    workflows: list[Any] | None = None
    agents: list[Any] | None = None
    input_processors: list[dict[str, Any]] | None = None
    output_processors: list[dict[str, Any]] | None = None
    memory: str | None = None
    scorers: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime = attrs.field(factory=utc_now)
    updated_at: datetime = attrs.field(factory=utc_now)


#: Fields ``update_agent`` may change.
AGENT_UPDATABLE_FIELDS = frozenset(
    f.name for f in attrs.fields(Agent) if f.name not in {"id", "created_at", "updated_at"}
)
