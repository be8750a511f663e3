"""The base class of a backend built with the kit: one connection object, domains from the hooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

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
    #: Whether the backend stores each record's expiry and implements :meth:`_read_expiry`/:meth:`_write_expiry`
    #: (``mastra copy`` carries TTLs exactly between such backends).
    stores_expiry: ClassVar[bool] = False

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

    async def read_expiry(
        self, kind: str, keys: Sequence[tuple[str, ...]]
    ) -> dict[tuple[str, ...], datetime | None] | None:
        """See :meth:`Storage.read_expiry`: the checks and the init here, the I/O in :meth:`_read_expiry`."""
        from .expiry import KINDS

        if not self.stores_expiry or kind not in KINDS:
            return await super().read_expiry(kind, keys)
        await self.init()
        return await self._read_expiry(kind, keys)

    async def write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], datetime | None]) -> bool:
        """See :meth:`Storage.write_expiry`: the checks and the init here, the I/O in :meth:`_write_expiry`."""
        from .expiry import KINDS

        if not self.stores_expiry or kind not in KINDS:
            return await super().write_expiry(kind, expiries)
        await self.init()
        await self._write_expiry(kind, expiries)
        return True

    async def _read_expiry(
        self, kind: str, keys: Sequence[tuple[str, ...]]
    ) -> dict[tuple[str, ...], datetime | None]:
        """Each existing record's stored expiry (a backend with ``stores_expiry`` implements it)."""
        raise NotImplementedError

    async def _write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], datetime | None]) -> None:
        """Set each record's expiry exactly, None meaning never (a backend with ``stores_expiry`` implements it)."""
        raise NotImplementedError
