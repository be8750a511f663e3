"""``MongoDBConfig``: every option of :class:`~mastra_mongodb.MongoDBStore`, validated without I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

import attrs
from mastra_core.connect import DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT
from mastra_core.secrets import MaskedRepr

from .schema import COLLECTIONS

#: snake_case names accepted in ``options`` for the most common client options (any other pymongo
#: client keyword, e.g. ``tls`` or ``appname``, is passed through as given).
OPTION_ALIASES = {
    "retry_writes": "retryWrites",
    "retry_reads": "retryReads",
    "max_pool_size": "maxPoolSize",
    "min_pool_size": "minPoolSize",
    "max_idle_time_ms": "maxIdleTimeMS",
    "server_selection_timeout_ms": "serverSelectionTimeoutMS",
    "socket_timeout_ms": "socketTimeoutMS",
    "connect_timeout_ms": "connectTimeoutMS",
    "wait_queue_timeout_ms": "waitQueueTimeoutMS",
    "heartbeat_frequency_ms": "heartbeatFrequencyMS",
    "app_name": "appname",
    "direct_connection": "directConnection",
    "replica_set": "replicaSet",
    "read_preference": "readPreference",
    "write_concern": "w",
    "auth_source": "authSource",
    "tls_ca_file": "tlsCAFile",
    "timeout_ms": "timeoutMS",
}
#: Options the store sets itself (dates must come back timezone-aware).
_RESERVED = {"tz_aware", "tzaware", "document_class"}


def normalise_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Map snake_case aliases onto pymongo's option names; refuse the options the store owns."""
    out: dict[str, Any] = {}
    for key, value in (options or {}).items():
        if not isinstance(key, str):
            raise ValueError(f"option names must be strings, got {key!r}")
        if key.lower() in _RESERVED:
            raise ValueError(f"option {key!r} is set by the store and cannot be overridden")
        out[OPTION_ALIASES.get(key, key)] = value
    return out


def database_from_uri(uri: str) -> str | None:
    """The default database named in a connection string's path (``mongodb://h/db?x=y`` -> ``db``), if any."""
    rest = uri.split("://", 1)[1] if "://" in uri else uri
    rest = rest.split("?", 1)[0]
    if "/" not in rest.rsplit("@", 1)[-1]:
        return None
    path = rest.rsplit("@", 1)[-1].split("/", 1)[1]
    return unquote(path) or None


_DB_NAME = re.compile(r'^[^/\\. "$*<>:|?\x00]{1,63}$')


def _index_spec(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"each custom index must be a mapping {{collection, keys, options}}, got {value!r}")
    unknown = set(value) - {"collection", "keys", "options"}
    if unknown:
        raise ValueError(f"unknown custom index key(s) {sorted(unknown)}; use collection, keys, options")
    collection = value.get("collection")
    if collection not in COLLECTIONS:
        raise ValueError(f"custom index collection must be one of {', '.join(COLLECTIONS)}, got {collection!r}")
    keys = value.get("keys")
    if isinstance(keys, Mapping):
        pairs = list(keys.items())
    elif isinstance(keys, Sequence) and not isinstance(keys, str):
        pairs = [tuple(k) for k in keys]
    else:
        raise ValueError(f"custom index keys must be a mapping or a list of (field, direction) pairs, got {keys!r}")
    if not pairs or any(len(p) != 2 or not isinstance(p[0], str) or not p[0] for p in pairs):
        raise ValueError(f"custom index keys must name at least one field, got {keys!r}")
    options = value.get("options") or {}
    if not isinstance(options, Mapping):
        raise ValueError("custom index options must be a mapping")
    return {"collection": collection, "keys": [(str(f), d) for f, d in pairs], "options": dict(options)}


@attrs.define(kw_only=True, repr=False)
class MongoDBConfig(MaskedRepr):
    """Options of ``MongoDBStore``.

    - ``url`` or ``uri`` (the same option): connection string (``mongodb://`` or ``mongodb+srv://``).
    - ``db_name``: database; defaults to the database in the URI's path.
    - ``options``: pymongo client options (``retry_writes``, ``max_pool_size``, ``server_selection_timeout_ms``,
      ``socket_timeout_ms`` or any pymongo keyword such as ``tls``).
    - ``client``: a caller-supplied ``pymongo.AsyncMongoClient`` (the store never closes it).
    - ``indexes``: extra indexes, ``[{"collection": ..., "keys": {...}, "options": {...}}]``.
    - ``skip_default_indexes``: create only the unique key indexes (and TTL indexes), not the query indexes.
    - ``use_transactions``: None probes the server (replica sets and sharded clusters have transactions,
      a standalone mongod has not); True requires them; False never uses them.
    - ``connect_timeout``: seconds ``init()`` waits for the server's first answer (default 5); also the
      client's ``connectTimeoutMS`` and ``serverSelectionTimeoutMS`` unless ``options`` set them.
    - ``operation_timeout``: seconds one operation may take, its retries included (default 30): pymongo's
      client-side operation timeout (``pymongo.timeout``), which bounds server selection and every socket read.
    - ``retry_attempts`` / ``retry_base_delay_ms``: retries of an operation after a connection error,
      with exponential backoff (100 ms, 200 ms, 400 ms by default).
    """

    uri: str | None = None
    url: str | None = None
    db_name: str | None = None
    options: dict[str, Any] | None = None
    client: Any = None
    indexes: list[Any] | None = None
    skip_default_indexes: bool = False
    use_transactions: bool | None = None
    retry_attempts: int = 3
    retry_base_delay_ms: int = 100
    #: Seconds ``init()`` waits for the server to answer ``hello`` before failing.
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    #: Seconds one operation (its retries included) may take before it fails.
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT
    #: The client's pool sizes (the names every backend shares; pymongo's ``maxPoolSize``/``minPoolSize``).
    max_pool_size: int | None = None
    min_pool_size: int | None = None
    _custom_indexes: list[dict[str, Any]] = attrs.field(factory=list, init=False)

    def __attrs_post_init__(self) -> None:
        if self.url is not None:  # ``url`` is the name every backend shares; ``uri`` is pymongo's
            if self.uri is not None and self.uri != self.url:
                raise ValueError("give either uri or url (the same option), not both")
            self.uri = self.url
            self.url = None
        if self.client is None:
            if not isinstance(self.uri, str) or not self.uri.strip():
                raise ValueError("uri is required (or pass a pymongo AsyncMongoClient as client)")
            if not self.uri.startswith(("mongodb://", "mongodb+srv://")):
                raise ValueError("uri must start with mongodb:// or mongodb+srv://")
            if self.db_name is None:
                self.db_name = database_from_uri(self.uri)
        else:
            if self.uri is not None:
                raise ValueError("give either uri or client, not both")
            from pymongo import AsyncMongoClient

            if not isinstance(self.client, AsyncMongoClient):
                raise ValueError(f"client must be a pymongo AsyncMongoClient, got {type(self.client).__name__}")
            if self.db_name is None:
                try:
                    self.db_name = self.client.get_default_database().name
                except Exception:
                    self.db_name = None
        if not isinstance(self.db_name, str) or not _DB_NAME.fullmatch(self.db_name):
            raise ValueError(f"db_name must be a valid MongoDB database name (got {self.db_name!r})")
        if self.options is not None and not isinstance(self.options, Mapping):
            raise ValueError("options must be a mapping of pymongo client options")
        self.options = normalise_options(self.options)
        for name, option in (("max_pool_size", "maxPoolSize"), ("min_pool_size", "minPoolSize")):
            size = getattr(self, name)
            if size is None:
                continue
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ValueError(f"{name} must be an integer >= 0")
            if option in self.options:
                raise ValueError(f"give {name} or options[{option!r}], not both")
            self.options[option] = size
        if self.client is not None and self.options:
            raise ValueError("options apply to a client the store creates; configure a caller-supplied client yourself")
        bad_indexes = isinstance(self.indexes, str | Mapping) or not isinstance(self.indexes, Sequence)
        if self.indexes is not None and bad_indexes:
            raise ValueError("indexes must be a list of {collection, keys, options}")
        self._custom_indexes = [_index_spec(i) for i in self.indexes or ()]
        if not isinstance(self.skip_default_indexes, bool):
            raise ValueError("skip_default_indexes must be a bool")
        if self.use_transactions is not None and not isinstance(self.use_transactions, bool):
            raise ValueError("use_transactions must be a bool or None")
        for name in ("connect_timeout", "operation_timeout"):
            ct = getattr(self, name)
            if isinstance(ct, bool) or not isinstance(ct, int | float) or ct <= 0:
                raise ValueError(f"{name} must be a positive number, got {ct!r}")
        if self.client is None:
            ms = max(1, int(self.connect_timeout * 1000))
            self.options.setdefault("connectTimeoutMS", ms)
            self.options.setdefault("serverSelectionTimeoutMS", ms)
        for name in ("retry_attempts", "retry_base_delay_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0")

    @property
    def custom_indexes(self) -> list[dict[str, Any]]:
        """The validated ``indexes``: ``[{collection, keys: [(field, direction)], options}]``."""
        return self._custom_indexes
