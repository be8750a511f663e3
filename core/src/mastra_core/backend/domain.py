"""The base class of a backend's domain stores, generic over the backend's connection type."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from ..domains.base import DomainStore
from ..retention import Retention

if TYPE_CHECKING:
    from .storage import ConnectedBackend

from .storage import Connection

ConnT = TypeVar("ConnT", bound=Connection)


class BackendDomain(DomainStore, Generic[ConnT]):
    """A domain store of one backend: typed ``conn`` (shared by every domain of a storage), the backend's
    error token and the storage's retention, all handed in at construction.

    Subclass it together with a domain interface, interface first::

        class PgMemory(MemoryStore, BackendDomain[PgConnection]): ...

    and register ``PgMemory.factory()`` through ``mastra_register_memory_stores``.
    """

    def __init__(self, conn: ConnT, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(retention=retention)
        self.conn: ConnT = conn
        self.backend_token = backend_token

    @classmethod
    def from_storage(cls, storage: ConnectedBackend[ConnT]) -> Self:
        """Build this domain for ``storage``: its connection, error token and retention."""
        return cls(storage.connection, backend_token=storage.backend_token, retention=storage.retention)

    @classmethod
    def factory(cls) -> Callable[[Any], Self]:
        """What a ``mastra_register_<domain>_stores`` hook registers for this class."""
        return cls.from_storage
