"""What every domain store shares: once-only lazy init, error wrapping and the error hook."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..checks_cache import checks
from ..clock import utc_now
from ..errors import ErrorCategory, StorageError, error_id
from ..guard import guard_public_coroutines
from ..log import get_logger
from ..retention import Retention
from ..serde import from_wire
from ..validation import Checks

if TYPE_CHECKING:
    from ..storage import Storage

T = TypeVar("T")
_log = get_logger("mastra_core.storage")


class DomainStore:
    """Base of every domain store (memory, workflows, scores, observability, agents, evals, traces).

    Public methods validate input, make sure the store is initialised (once, even under
    concurrency), run the backend's ``_``-prefixed implementation and turn any driver failure into a
    ``StorageError(category=THIRD_PARTY)`` whose ``__cause__`` is the driver error. Backends subclass a
    domain class and implement its abstract ``_`` methods; they never re-validate.
    """

    domain: ClassVar[str] = ""
    #: Upper-case token used in error ids (``PG``, ``LIBSQL``...); backends set it on the class or instance.
    backend_token: str = "STORE"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Guard every public coroutine of every domain class and backend subclass (see :mod:`mastra_core.guard`)."""
        super().__init_subclass__(**kwargs)
        guard_public_coroutines(cls, lambda s: s.backend_token, lambda s: f"{s.backend_token.lower()} {s.domain}")

    def __init__(self, *, retention: Retention | None = None) -> None:
        self.retention = retention or Retention()
        self.owner: Storage | None = None
        self._initialized = False
        self._init_lock: asyncio.Lock | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def init(self) -> None:
        """Create tables, indexes or whatever the domain needs; idempotent and safe to call concurrently."""
        if self._initialized:
            return
        if self._init_lock is None:
            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if self._initialized:
                return
            owner = self.owner
            if owner is not None and owner.disable_init:
                await owner.init()  # connects and checks the schema; creates nothing (see Storage.init)
                self._initialized = True
                return
            try:
                await self._init()
            except StorageError:
                raise
            except Exception as exc:
                raise self._wrap("INIT", exc) from exc
            self._initialized = True

    async def _init(self) -> None:
        """Backend hook: create what the domain needs. Default: nothing."""

    async def dangerously_clear_all(self) -> None:
        """Delete every record of this domain (for tests)."""
        await self._run("CLEAR", self._clear)

    async def _clear(self) -> None:
        raise NotImplementedError

    async def prune(self, now: datetime | None = None) -> int:
        """Delete records whose TTL has passed; returns how many were deleted (0 where the backend expires them
        itself)."""
        at = now or utc_now()
        return await self._run("PRUNE", lambda: self._prune(at))

    async def _prune(self, now: datetime) -> int:
        return 0

    async def count_expired(self, now: datetime | None = None) -> int | None:
        """How many records ``prune(now)`` would delete, without deleting them (None: this backend cannot tell)."""
        at = now or utc_now()
        return await self._run("COUNT_EXPIRED", lambda: self._count_expired(at))

    async def _count_expired(self, now: datetime) -> int | None:
        # a store that never prunes has nothing that expires; one that prunes but cannot count says so
        return 0 if type(self)._prune is DomainStore._prune else None

    # --- helpers for subclasses ----------------------------------------------------------

    def checks(self, op: str) -> Checks:
        """Validation helpers whose errors carry this backend's and operation's id."""
        return checks(self.backend_token, op)

    def expires_at(self, entity: str, now: datetime | None = None) -> datetime | None:
        """When a record of ``entity`` written now expires (None: never)."""
        return self.retention.expires_at(entity, now)

    def _wrap(self, op: str, exc: BaseException) -> StorageError:
        return StorageError(
            f"{self.backend_token.lower()} {self.domain} {op.lower()} failed: {type(exc).__name__}: {_safe(exc)}",
            id=error_id(self.backend_token, op, "FAILED"),
            category=ErrorCategory.THIRD_PARTY,
            details={"domain": self.domain, "operation": op},
        )

    async def _run(self, op: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Init if needed, run ``fn`` and wrap driver failures; notify the error hook either way."""
        if _log.is_enabled_for(logging.DEBUG):
            return await self._run_logged(op, fn)
        try:
            await self._ensure_ready()
            return await fn()
        except StorageError as exc:
            self._notify_error(op, exc)
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            wrapped = self._wrap(op, exc)
            self._notify_error(op, wrapped)
            raise wrapped from exc

    async def _run_logged(self, op: str, fn: Callable[[], Awaitable[T]]) -> T:
        """``_run`` with a DEBUG record per operation: backend, domain, op, outcome and duration (never values)."""
        started = time.perf_counter()
        outcome = "error"
        try:
            await self._ensure_ready()
            result = await fn()
            outcome = "ok"
            return result
        except StorageError as exc:
            self._notify_error(op, exc)
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception as exc:
            wrapped = self._wrap(op, exc)
            self._notify_error(op, wrapped)
            raise wrapped from exc
        finally:
            _log.debug("operation", backend=self.backend_token.lower(), domain=self.domain, op=op, outcome=outcome,
                       duration_ms=round((time.perf_counter() - started) * 1000, 3))

    async def _ensure_ready(self) -> None:
        owner = self.owner
        if owner is not None and owner._closed:
            raise StorageError(
                f"storage {owner.id!r} is closed; call init() to open it again",
                id=error_id(self.backend_token, "", "STORAGE_CLOSED"),
                category=ErrorCategory.USER,
                details={"domain": self.domain},
            )
        if self._initialized:
            return
        if self.owner is not None:
            await self.owner.init()
        if not self._initialized:
            await self.init()

    def _notify_error(self, op: str, error: StorageError) -> None:
        if self.owner is None:
            return
        try:
            self.owner._notify_error(self.domain, op, error)
        except Exception:  # a broken observer must not mask the real error
            _log.warning("error hook failed", domain=self.domain, operation=op, exc_info=True)


guard_public_coroutines(
    DomainStore, lambda s: s.backend_token, lambda s: f"{s.backend_token.lower()} {s.domain}"
)


def record_from(value: Any, cls: type[T], c: Checks, status: str = "INVALID_INPUT") -> T:
    """``value`` as a ``cls`` record: the record itself, or a mapping in wire or snake_case form.

    Anything else, or a mapping that does not fit, is a USER error ``..._<status>`` before anything is written.
    """
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        try:
            return from_wire(value, cls)
        except Exception as exc:
            raise c.fail(status, f"cannot read {cls.__name__} from {value!r}: {exc}") from None
    raise c.fail(status, f"expected {cls.__name__} or a mapping, got {type(value).__name__}")


def _safe(exc: BaseException) -> str:
    from ..log import redact

    return redact(str(exc))[:500]


def attach(store: Any, owner: Storage) -> Any:
    """Set the owning storage of a domain store unless it already has one (composites keep the original owner)."""
    if isinstance(store, DomainStore) and store.owner is None:
        store.owner = owner
    return store
