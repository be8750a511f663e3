"""``InMemoryStore``: the reference backend (id ``inmemory``), registered by core itself."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from ..domains.base import DomainStore
from ..storage import BackendStorage
from .memory import InMemoryMemory
from .others import (
    InMemoryAgents,
    InMemoryEvals,
    InMemoryObservability,
    InMemoryScores,
    InMemoryTraces,
    InMemoryWorkflows,
)
from .state import State


@attrs.define(kw_only=True)
class InMemoryConfig:
    """The in-memory backend has no options."""


class InMemoryStore(BackendStorage):
    """Every domain in process memory; data lives as long as the object. The executable spec of DESIGN.md section 4."""

    backend_id: ClassVar[str] = "inmemory"
    backend_token: ClassVar[str] = "INMEMORY"
    url_schemes: ClassVar[tuple[str, ...]] = ("memory", "inmemory")
    config_class: ClassVar[type[Any]] = InMemoryConfig

    def _create_stores(self) -> dict[str, DomainStore]:
        self.state = State()
        return {
            "memory": InMemoryMemory(self.state),
            "workflows": InMemoryWorkflows(self.state),
            "scores": InMemoryScores(self.state),
            "observability": InMemoryObservability(self.state),
            "agents": InMemoryAgents(self.state),
            "evals": InMemoryEvals(self.state),
            "traces": InMemoryTraces(self.state),
        }

    @classmethod
    def from_url(cls, url: str, **config: Any) -> InMemoryStore:
        return cls(**config)
