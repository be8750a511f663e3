"""``InMemoryStore``: the reference backend (id ``inmemory``), registered by core itself."""

from __future__ import annotations

from typing import Any, ClassVar

from ..backend.storage import ConnectedBackend
from .config import InMemoryConfig
from .connection import State


class InMemoryStore(ConnectedBackend[State]):
    """Every domain in process memory; data lives as long as the object. The executable spec of DESIGN.md section 4."""

    backend_id: ClassVar[str] = "inmemory"
    backend_token: ClassVar[str] = "INMEMORY"
    url_schemes: ClassVar[tuple[str, ...]] = ("memory", "inmemory")
    config_class: ClassVar[type[Any]] = InMemoryConfig
    declared_domains: ClassVar[tuple[str, ...]] = (
        "memory", "workflows", "scores", "observability", "agents", "evals", "traces")

    def _connect(self) -> State:
        return State()

    @property
    def state(self) -> State:
        """The tables of this storage (for tests and tools)."""
        return self.connection

    @classmethod
    def from_url(cls, url: str, **config: Any) -> InMemoryStore:
        """``memory:`` (the URL carries no options)."""
        return cls(**config)
