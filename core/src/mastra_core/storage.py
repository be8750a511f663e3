"""Storage: a composite of domain stores with lazy, once-only init and a lifecycle."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Self

import attrs
import cattrs

from .diagnostics import Finding
from .domains import (
    DOMAINS,
    AgentsStore,
    DomainStore,
    EvalsStore,
    MemoryStore,
    ObservabilityStore,
    ScoresStore,
    TracesStore,
    WorkflowsStore,
)
from .domains.base import attach
from .errors import ConfigError, StorageError
from .guard import guard_public_coroutines
from .log import get_logger, redact
from .plugins import notify, registry
from .retention import Retention

_log = get_logger("mastra_core.storage")


class Storage:
    """A set of domain stores behind one object.

    Composite use: ``Storage(id="app", default=libsql_store, domains={"observability": pg.observability})``
    takes each domain from ``domains`` or else from ``default``. Backends subclass :class:`BackendStorage`.
    Every operation initialises the storage first (once); ``init()`` may also be called explicitly.
    """

    backend_id: ClassVar[str] = "composite"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Plugin extras (index APIs, diagnostics...) raise only StorageErrors too (see :mod:`mastra_core.guard`)."""
        super().__init_subclass__(**kwargs)
        guard_public_coroutines(cls, lambda s: s.backend_id, lambda s: s.backend_id)

    def __init__(
        self,
        *,
        id: str,
        default: Storage | None = None,
        domains: Mapping[str, DomainStore | None] | None = None,
        disable_init: bool = False,
    ) -> None:
        if not isinstance(id, str) or not id.strip():
            raise ConfigError(
                f"{type(self).__name__}: id must be provided and cannot be empty.", id="MASTRA_STORAGE_ID_REQUIRED"
            )
        self.id = id.strip()
        self.disable_init = disable_init or os.environ.get("MASTRA_DISABLE_STORAGE_INIT", "").lower() == "true"
        self._stores: dict[str, DomainStore] = {}
        self._init_lock: asyncio.Lock | None = None
        self._initialized = False
        self._connected = False
        self._closed = False
        if default is not None or domains is not None:
            for name in domains or {}:
                if name not in DOMAINS:
                    raise ConfigError(f"unknown domain {name!r}; known: {', '.join(DOMAINS)}")
            for name in DOMAINS:
                store = (domains or {}).get(name) or (default.get_store(name) if default is not None else None)
                if store is not None:
                    self._stores[name] = store
            if not self._stores:
                raise ConfigError("a composite storage needs at least one domain from default or domains")
            self._parts = [default] if default is not None else []
        else:
            self._parts = []
        self._announce()

    def _announce(self) -> None:
        for store in self._stores.values():
            attach(store, self)
        notify("mastra_storage_opened", storage=self)

    # --- domains ------------------------------------------------------------------------

    def get_store(self, domain: str) -> Any:
        """The domain store, or None when this storage has no such domain."""
        return self._stores.get(domain)

    @property
    def domains(self) -> tuple[str, ...]:
        """Names of the domains present."""
        return tuple(self._stores)

    @property
    def memory(self) -> MemoryStore:
        return self._require("memory")  # type: ignore[return-value]

    @property
    def workflows(self) -> WorkflowsStore:
        return self._require("workflows")  # type: ignore[return-value]

    @property
    def scores(self) -> ScoresStore:
        return self._require("scores")  # type: ignore[return-value]

    @property
    def observability(self) -> ObservabilityStore:
        return self._require("observability")  # type: ignore[return-value]

    @property
    def agents(self) -> AgentsStore:
        return self._require("agents")  # type: ignore[return-value]

    @property
    def evals(self) -> EvalsStore:
        return self._require("evals")  # type: ignore[return-value]

    @property
    def traces(self) -> TracesStore:
        return self._require("traces")  # type: ignore[return-value]

    def _require(self, domain: str) -> DomainStore:
        store = self._stores.get(domain)
        if store is None:
            from .errors import CapabilityError

            raise CapabilityError(
                f"storage {self.id!r} ({self.backend_id}) has no {domain} domain; "
                f"use get_store({domain!r}) to test for it, "
                "or compose it from another backend with Storage(default=..., domains=...)",
                id=f"MASTRA_STORAGE_{self.backend_id.upper()}_{domain.upper()}_NOT_SUPPORTED",
            )
        return store

    # --- lifecycle -------------------------------------------------------------------------

    async def init(self) -> None:
        """Initialise every domain (in parallel), once; concurrent callers wait for the same work."""
        if self._initialized:
            return
        if self._init_lock is None:
            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if self._initialized:
                return
            await self.connect()
            if self.disable_init:
                # create, alter and migrate nothing: check the schema is there and current, then use it as it is
                await self.check_schema()
                for store in self._stores.values():
                    if store.owner is self:
                        store._initialized = True
                await asyncio.gather(*(s.init() for s in self._stores.values() if s.owner is not self))
            else:
                await asyncio.gather(*(s.init() for s in self._stores.values()))
            self._initialized = True
            self._closed = False  # a storage reopened after close() must be closable again
        notify("mastra_storage_initialized", storage=self)

    async def connect(self) -> None:
        """Connect (pools, clients) without initialising the domains, once; what ``diagnose()``,
        ``migration_plan()`` and ``schema_version()`` need. A backend built with ``disable_init`` creates nothing."""
        if not self._connected:
            await self._open()
            self._connected = True
            self._closed = False

    async def check_schema(self) -> None:
        """With ``disable_init``: raise :class:`~mastra_core.errors.SchemaNotReadyError` when ``migration_plan()``
        lists pending changes (the schema is missing or older than this release's), so a deployment that migrates
        in its own step fails at start with the fix (``mastra migrate``) instead of on the first query."""
        pending = self._blocking(await self.migration_plan() or [])
        if pending:
            from .errors import SchemaNotReadyError

            token = (getattr(self, "backend_token", "") or self.backend_id).upper()
            shown = [p for p in pending if not p.startswith("--")] or pending
            raise SchemaNotReadyError(
                f"{self.backend_id} storage {self.id!r} was built with disable_init=True, so it creates and migrates "
                f"nothing, but its schema needs {len(pending)} change(s) (the first: {shown[0][:200]}). Apply them "
                "in your deploy step with `mastra migrate URL` (`--dry-run` prints them), or build the storage "
                "without disable_init to let init() apply them.",
                id=f"MASTRA_STORAGE_{token}_SCHEMA_NOT_READY",
                details={"pending": len(pending)},
            )

    def _blocking(self, pending: list[str]) -> list[str]:
        """The pending changes a storage built with ``disable_init`` cannot run without (default: all of them)."""
        return pending

    async def apply_migrations(self) -> None:
        """Apply what :meth:`migration_plan` lists (``mastra migrate``): by default what ``init()`` does on a storage
        built without ``disable_init``; a backend whose ``init()`` leaves some change to an operator (a DynamoDB table)
        applies it here."""
        await self.init()

    async def _open(self) -> None:
        """Backend hook: connect (pools, clients) before the domains initialise."""

    async def close(self) -> None:
        """Release what this storage created (never a caller-supplied client or pool)."""
        if self._closed:
            return
        notify("mastra_storage_closing", storage=self)
        self._closed = True
        await self._close()
        self._initialized = False
        self._connected = False

    async def _close(self) -> None:
        for part in self._parts:
            await part.close()

    async def prune(self, now: datetime | None = None) -> dict[str, int]:
        """Delete records whose TTL has passed, per domain; returns counts."""
        await self.init()
        return {name: await store.prune(now) for name, store in self._stores.items()}

    async def diagnose(self) -> list[Finding]:
        """Health findings about the server and the schema (``mastra doctor``); a composed storage asks each
        distinct backend it uses. Backends override this with their probes; the default reports nothing."""
        out: list[Finding] = []
        seen: set[int] = set()
        for store in self._stores.values():
            owner = store.owner
            if owner is not None and owner is not self and id(owner) not in seen and isinstance(owner, Storage):
                seen.add(id(owner))
                out += await owner.diagnose()
        return out

    async def migration_plan(self) -> list[str] | None:
        """The schema changes ``init()`` would apply now (SQL statements, index or table changes), without applying
        them (``mastra migrate --dry-run``); ``[]`` when the schema is current, None when the backend does not
        describe its migrations (``init()`` still applies them). Call it on a storage built with
        ``disable_init=True``: reading the plan must not migrate."""
        return None

    async def read_expiry(
        self, kind: str, keys: Sequence[tuple[str, ...]]
    ) -> dict[tuple[str, ...], datetime | None] | None:
        """Per record of ``kind`` (see :mod:`mastra_core.backend.expiry`), the instant it expires (None: never;
        missing records are left out), read without changing anything; None when this storage cannot tell. A
        composed storage asks the backend that owns the kind's domain."""
        owner = self._expiry_owner(kind)
        return None if owner is None else await owner.read_expiry(kind, keys)

    async def write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], datetime | None]) -> bool:
        """Set each record's expiry to exactly the given instant (None: never expires), as ``mastra copy`` does to
        keep the source's TTLs; False when this storage cannot (nothing written)."""
        owner = self._expiry_owner(kind)
        return False if owner is None else await owner.write_expiry(kind, expiries)

    def _expiry_owner(self, kind: str) -> Storage | None:
        from .backend.expiry import KINDS

        domain = {"workflow_run": "workflows", "score": "scores", "span": "observability", "trace": "traces"}.get(
            kind, "memory")
        store = self._stores.get(domain)
        owner = store.owner if store is not None and kind in KINDS else None
        return owner if isinstance(owner, Storage) and owner is not self else None

    async def count_expired(self, now: datetime | None = None) -> dict[str, int | None]:
        """Per domain, how many records ``prune(now)`` would delete (None where the backend cannot tell)."""
        await self.init()
        return {name: await store.count_expired(now) for name, store in self._stores.items()}

    async def dangerously_clear_all(self) -> None:
        """Delete every record of every domain (tests, demos)."""
        await self.init()
        for store in self._stores.values():
            await store.dangerously_clear_all()

    def __enter__(self) -> Self:
        raise TypeError(
            f"{type(self).__name__} is asynchronous: use `async with` inside a coroutine, "
            "or the blocking API: `from mastra_core.sync import open_storage` then `with open_storage(url) as storage:`"
        )

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        """Never reached: ``__enter__`` refuses (see its message)."""

    async def __aenter__(self) -> Self:
        await self.init()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _notify_error(self, domain: str, operation: str, error: StorageError) -> None:
        notify("mastra_storage_error", storage=self, domain=domain, operation=operation, error=error)

    @property
    def capabilities(self) -> frozenset[str]:
        """Domain names present plus the backend's declared capabilities."""
        return frozenset(self._stores)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id!r} backend={self.backend_id!r} domains={list(self._stores)}>"


guard_public_coroutines(Storage, lambda s: s.backend_id, lambda s: s.backend_id)


@attrs.define(kw_only=True)
class NoConfig:
    """A backend without options."""


class BackendStorage(Storage):
    """A storage backed by one database. Subclasses set the class variables and build their domains.

    ``__init__`` takes ``id``, ``disable_init``, ``ttl`` (see :mod:`mastra_core.retention`) and the
    backend's own options, structured into ``config_class`` with unknown keys refused.
    """

    backend_id: ClassVar[str] = ""
    #: Upper-case token in error ids.
    backend_token: ClassVar[str] = ""
    #: URL schemes ``open_storage`` routes here.
    url_schemes: ClassVar[tuple[str, ...]] = ()
    #: attrs class of the backend's options.
    config_class: ClassVar[type[Any]] = NoConfig
    #: Domains every instance has, for listings that must not connect (empty: build an instance to find out).
    declared_domains: ClassVar[tuple[str, ...]] = ()
    #: Capabilities beyond the domains, e.g. ``"native_ttl"``, ``"transactions"``.
    extra_capabilities: ClassVar[frozenset[str]] = frozenset()
    #: Other accepted names of options: alias -> option (an old keyword name, or the shared name, such as
    #: ``url`` or ``max_pool_size``, of a backend option spelled otherwise). Giving both is an error.
    option_aliases: ClassVar[Mapping[str, str]] = {}
    #: The config field holding the connection URL, whose query options :meth:`split_url` reads (None: no URL).
    url_field: ClassVar[str | None] = None
    #: Config fields never shown in reprs, logs or errors.
    secret_fields: ClassVar[frozenset[str]] = frozenset(
        {"password", "auth_token", "token", "connection_string", "url", "uri", "credentials"}
    )

    def __init__(self, *, id: str, disable_init: bool = False, ttl: Any = None, **options: Any) -> None:
        self.retention = Retention.parse(ttl)
        options = apply_aliases(options, self.option_aliases, self.backend_id)
        url = options.get(self.url_field) if self.url_field else None
        if isinstance(url, str) and self.url_field:
            # the URL's query options, whether it came through from_url or as a keyword; keywords win
            url, from_query = self.split_url(url)
            options = {**from_query, **options, self.url_field: url}
        self.config = _structure_config(self.config_class, options, self.backend_id, self.secret_fields)
        super().__init__(id=id, disable_init=disable_init)
        self._stores = self._assemble(self._create_stores())
        Storage._announce(self)

    def _announce(self) -> None:
        pass  # Storage.__init__ runs before the domains exist; BackendStorage announces at the end of its __init__

    def _create_stores(self) -> dict[str, DomainStore]:
        """Set up what the domains share (no I/O); may also return stores the class builds itself.

        Domains come from the ``mastra_register_<domain>_stores`` hooks: a registered store is used
        where this returns none for the domain, and a replacement (``replace=True``) always wins.
        """
        return {}

    def _assemble(self, built: dict[str, DomainStore]) -> dict[str, DomainStore]:
        reg = registry()
        for name in DOMAINS:
            entry = reg.domain_factories.get((name, self.backend_id))
            if entry is not None and (name not in built or entry.replace):
                built[name] = entry.factory(self)
        for store in built.values():
            store.retention = self.retention
        return {n: built[n] for n in DOMAINS if n in built}

    async def schema_version(self) -> int | None:
        """The schema version recorded in the database (0: none yet), or None for a backend that keeps none
        (key-value and item stores create what they need on write). Connects when needed."""
        return None

    @classmethod
    def split_url(cls, url: str) -> tuple[str, dict[str, Any]]:
        """``(url, options)``: the store options carried by the URL's query string, removed from it (see
        :func:`mastra_core.urlopts.split_url_options`); the URL unchanged and no options by default."""
        return url, {}

    @classmethod
    def from_url(cls, url: str, **config: Any) -> Self:
        """Build from a URL (its query options included); backends override to map URL parts onto options."""
        config = {cls.url_field or "url": url, **config}
        return cls(**config)

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(self._stores) | self.extra_capabilities

    def __repr__(self) -> str:
        shown = {
            f.name: (
                "***"
                if f.name in self.secret_fields and getattr(self.config, f.name) is not None
                else getattr(self.config, f.name)
            )
            for f in attrs.fields(type(self.config))
            if not f.name.startswith("_")
        }
        text = ", ".join(f"{k}={v!r}" for k, v in shown.items() if v is not None and not callable(v))
        return redact(f"<{type(self).__name__} id={self.id!r} {text}>")


_CONFIG_CONVERTER = cattrs.Converter(forbid_extra_keys=True)
_CONFIG_CONVERTER.register_structure_hook(Any, lambda v, _: v)


def apply_aliases(options: Mapping[str, Any], aliases: Mapping[str, str], backend: str) -> dict[str, Any]:
    """``options`` with every alias renamed to its option; an alias given together with its option is an error."""
    out = dict(options)
    for alias, name in aliases.items():
        if alias in out:
            if name in out:
                raise ConfigError(f"{backend}: give {name!r} or its alias {alias!r}, not both",
                                  id=f"MASTRA_STORAGE_{backend.upper()}_CONFIG_INVALID")
            out[name] = out.pop(alias)
    return out


def _structure_config(cls: type[Any], options: Mapping[str, Any], backend: str, secrets: frozenset[str]) -> Any:
    names = [f.name for f in attrs.fields(cls) if f.init and not f.name.startswith("_")]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise ConfigError(
            f"unknown {backend} option(s) {unknown}; valid options: {', '.join(['id', 'disable_init', 'ttl', *names])}",
            id=f"MASTRA_STORAGE_{backend.upper()}_CONFIG_UNKNOWN_KEY",
            details={"unknown": unknown},
        )
    try:
        return cls(**options)
    except (TypeError, ValueError) as exc:
        message = redact(str(exc))
        for name in secrets:
            value = options.get(name)
            if isinstance(value, str) and value:
                message = message.replace(value, "***")
        raise ConfigError(
            f"invalid {backend} configuration: {message}", id=f"MASTRA_STORAGE_{backend.upper()}_CONFIG_INVALID"
        ) from None
