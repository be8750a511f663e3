"""``InMemoryStore``: the reference backend (id ``inmemory``), registered by core itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
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
    #: each row holds its expiry instant: ``mastra copy`` from or to ``memory://`` keeps TTLs exactly
    stores_expiry = True

    def _connect(self) -> State:
        return State()

    @property
    def state(self) -> State:
        """The tables of this storage (for tests and tools)."""
        return self.connection

    async def _read_expiry(self, kind: str, keys: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], datetime | None]:
        from . import expiry

        return expiry.read(self.connection, kind, keys)

    async def _write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], datetime | None]) -> None:
        from . import expiry

        expiry.write(self.connection, kind, expiries)

    @classmethod
    def from_url(cls, url: str, **config: Any) -> InMemoryStore:
        """``memory:`` (the URL carries no options)."""
        return cls(**config)
