"""The base class of a backend built with the kit: one connection object, domains from the hooks."""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from ..storage import BackendStorage


class Connection(Protocol):
    """What a backend's connection object does: built without I/O, opened once, closed once."""

    async def open(self) -> None:
        """Connect (pools, clients) and create or migrate the schema unless told not to."""

    async def close(self) -> None:
        """Release what was opened here (never a caller-supplied client or pool)."""


ConnT = TypeVar("ConnT", bound=Connection)


class ConnectedBackend(BackendStorage, Generic[ConnT]):
    """A backend whose domains share one connection object of type ``ConnT``.

    Subclasses set the class variables of :class:`~mastra_core.storage.BackendStorage` and implement
    :meth:`_connect`; the domain stores come from the ``mastra_register_<domain>_stores`` hooks (see
    :class:`~mastra_core.backend.domain.BackendDomain`), so another distribution can add or replace one.
    """

    connection: ConnT

    def _connect(self) -> ConnT:
        """Build (no I/O) the connection object from ``self.config`` and ``self.disable_init``."""
        raise NotImplementedError

    def _create_stores(self) -> dict[str, Any]:
        self.connection = self._connect()
        return {}

    async def _open(self) -> None:
        await self.connection.open()

    async def _close(self) -> None:
        await self.connection.close()
