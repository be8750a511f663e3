"""``DynamoDBStore``: every domain of mastra in one DynamoDB table (backend id ``dynamodb``)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import attrs
from mastra_core.domains.base import DomainStore
from mastra_core.errors import ConfigError
from mastra_core.log import get_logger
from mastra_core.storage import BackendStorage

from .schema import RESERVED_ATTRIBUTES, create_table_sync, verify_table

_log = get_logger("mastra_dynamodb")
_TABLE_NAME = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
_CRED_ALIASES = {"accessKeyId": "aws_access_key_id", "access_key_id": "aws_access_key_id",
                 "secretAccessKey": "aws_secret_access_key", "secret_access_key": "aws_secret_access_key",
                 "sessionToken": "aws_session_token", "session_token": "aws_session_token",
                 "aws_access_key_id": "aws_access_key_id", "aws_secret_access_key": "aws_secret_access_key",
                 "aws_session_token": "aws_session_token"}


def _credentials(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("credentials must be a mapping with access_key_id and secret_access_key (session_token optional)")
    out: dict[str, str] = {}
    for k, v in value.items():
        name = _CRED_ALIASES.get(k)
        if name is None:
            raise ValueError(f"unknown credentials key {k!r}; use access_key_id, secret_access_key, session_token")
        if not isinstance(v, str) or not v:
            raise ValueError(f"credentials[{k!r}] must be a non-empty string")
        out[name] = v
    if "aws_access_key_id" not in out or "aws_secret_access_key" not in out:
        raise ValueError("credentials need both access_key_id and secret_access_key")
    return out


@attrs.define(kw_only=True)
class DynamoDBConfig:
    """Options of :class:`DynamoDBStore`.

    ``table_name`` (required), ``region`` (default us-east-1), ``endpoint`` (e.g. DynamoDB Local),
    ``credentials`` (``{access_key_id, secret_access_key, session_token?}``; default: boto3's chain),
    ``client`` (a boto3 DynamoDB client you own; never closed by the store), ``create_table_if_missing``
    (development: create the table with its GSIs on init instead of failing), ``max_pool_connections``.
    """

    table_name: str
    region: str = "us-east-1"
    endpoint: str | None = None
    credentials: Any = attrs.field(default=None, repr=False)
    client: Any = None
    create_table_if_missing: bool = False
    max_pool_connections: int = 50

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.table_name, str) or not _TABLE_NAME.match(self.table_name):
            raise ValueError(f"table_name must match {_TABLE_NAME.pattern}, got {self.table_name!r}")
        if not isinstance(self.region, str) or not self.region:
            raise ValueError("region must be a non-empty string")
        if self.endpoint is not None and (not isinstance(self.endpoint, str) or "://" not in self.endpoint):
            raise ValueError("endpoint must be a URL such as http://127.0.0.1:8000")
        self.credentials = _credentials(self.credentials)
        if self.client is not None and not hasattr(self.client, "transact_write_items"):
            raise ValueError("client must be a boto3 DynamoDB client (boto3.client('dynamodb'))")


def make_client(*, region: str = "us-east-1", endpoint: str | None = None, credentials: Mapping[str, Any] | None = None,
                max_pool_connections: int = 50) -> Any:
    """A boto3 DynamoDB client with adaptive retries and a connection pool sized for concurrent calls."""
    import boto3
    from botocore.config import Config

    creds = _credentials(credentials) or {}
    return boto3.client(
        "dynamodb", region_name=region, endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": 8}, max_pool_connections=max_pool_connections),
        **creds,
    )


class DynamoDBStore(BackendStorage):
    """All domains (memory, workflows, scores, observability, agents, evals, traces) in ONE DynamoDB table.

    The table layout (keys, four GSIs, TTL) is documented in TABLE_SETUP.md; ``init()`` checks the table
    against it and names anything missing. Create it with ``mastra dynamodb create-table`` or
    :meth:`create_table` for development, or with the CloudFormation/CDK definitions for production.
    """

    #: The domains every instance has (shown by `mastra backends` without connecting).
    declared_domains = ("memory", "workflows", "scores", "observability", "agents", "evals", "traces")

    backend_id: ClassVar[str] = "dynamodb"
    backend_token: ClassVar[str] = "DYNAMODB"
    url_schemes: ClassVar[tuple[str, ...]] = ("dynamodb",)
    config_class: ClassVar[type[Any]] = DynamoDBConfig
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"native_ttl", "transactions"})

    def _create_stores(self) -> dict[str, DomainStore]:
        for entity, rule in self.retention.rules.items():
            if rule.attribute_name in RESERVED_ATTRIBUTES:
                raise ConfigError(
                    f"ttl[{entity!r}].attribute_name {rule.attribute_name!r} is an attribute the store uses itself; "
                    f"pick another name (reserved: {', '.join(sorted(RESERVED_ATTRIBUTES))})",
                    id="MASTRA_STORAGE_DYNAMODB_CONFIG_INVALID")
        from .agents import DynamoDBAgents
        from .legacy import DynamoDBEvals, DynamoDBTraces
        from .memory import DynamoDBMemory
        from .observability import DynamoDBObservability
        from .scores import DynamoDBScores
        from .workflows import DynamoDBWorkflows

        self._db: Any = None
        self._owns_client = False
        return {
            "memory": DynamoDBMemory(self),
            "workflows": DynamoDBWorkflows(self),
            "scores": DynamoDBScores(self),
            "observability": DynamoDBObservability(self),
            "agents": DynamoDBAgents(self),
            "evals": DynamoDBEvals(self),
            "traces": DynamoDBTraces(self),
        }

    @property
    def table_name(self) -> str:
        return str(self.config.table_name)

    @property
    def client(self) -> Any:
        """The boto3 client (created on first use unless one was supplied)."""
        self._ensure_client()
        return self._db.client

    @property
    def db(self) -> Any:
        self._ensure_client()
        return self._db

    def _ensure_client(self) -> None:
        if self._db is not None:
            return
        from .dynamo import Dynamo

        cfg = self.config
        if cfg.client is not None:
            client = cfg.client
        else:
            client = make_client(region=cfg.region, endpoint=cfg.endpoint, credentials=_raw_creds(cfg.credentials),
                                 max_pool_connections=cfg.max_pool_connections)
            self._owns_client = True
        self._db = Dynamo(client, cfg.table_name)

    async def _open(self) -> None:
        self._ensure_client()
        if self.disable_init:
            return
        client = self._db.client
        try:
            desc = (await asyncio.to_thread(client.describe_table, TableName=self.table_name))["Table"]
        except client.exceptions.ResourceNotFoundException:
            if not self.config.create_table_if_missing:
                raise ConfigError(
                    f"DynamoDB table {self.table_name!r} does not exist (region {self.config.region}"
                    f"{', endpoint ' + self.config.endpoint if self.config.endpoint else ''}). Create it with "
                    f"`mastra dynamodb create-table --table-name {self.table_name}`, DynamoDBStore.create_table(), or the "
                    "CloudFormation/CDK definitions in TABLE_SETUP.md; or pass create_table_if_missing=True for development.",
                    id="MASTRA_STORAGE_DYNAMODB_TABLE_MISSING", details={"table": self.table_name}) from None
            await self.create_table()
            desc = (await asyncio.to_thread(client.describe_table, TableName=self.table_name))["Table"]
        problems = verify_table(desc)
        if problems:
            raise ConfigError(
                f"DynamoDB table {self.table_name!r} does not match the mastra layout: " + "; ".join(problems)
                + ". See TABLE_SETUP.md (GSIs cannot be changed in place: add the missing ones with UpdateTable, "
                "or create a new table with `mastra dynamodb create-table`).",
                id="MASTRA_STORAGE_DYNAMODB_TABLE_INVALID", details={"table": self.table_name, "problems": problems})
        await self._check_ttl()

    async def _check_ttl(self) -> None:
        names = {rule.attribute_name for rule in self.retention.rules.values() if rule.active}
        if not names:
            return
        try:
            resp = await asyncio.to_thread(self._db.client.describe_time_to_live, TableName=self.table_name)
        except Exception:  # reads hide expired items anyway; this is advice only
            return
        spec = resp.get("TimeToLiveDescription", {})
        enabled = spec.get("AttributeName") if spec.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None
        for name in sorted(names - {enabled}):
            _log.warning("ttl attribute is not the table's TTL attribute: DynamoDB will not delete these items "
                         "(reads still hide them once expired)", table=self.table_name, attribute=name, table_ttl=enabled)

    async def create_table(self, *, ttl_attribute: str | None = None) -> bool:
        """Create the table with its GSIs (PAY_PER_REQUEST) and enable TTL; False if it already existed.

        ``ttl_attribute`` defaults to the attribute name of the configured TTL rules (or ``ttl``).
        """
        self._ensure_client()
        if ttl_attribute is None:
            names = sorted({rule.attribute_name for rule in self.retention.rules.values() if rule.active})
            ttl_attribute = names[0] if names else "ttl"
        return await asyncio.to_thread(create_table_sync, self._db.client, self.table_name, ttl_attribute=ttl_attribute)

    async def delete_table(self) -> None:
        """Drop the table and everything in it (tests, development)."""
        self._ensure_client()
        client = self._db.client
        try:
            await asyncio.to_thread(client.delete_table, TableName=self.table_name)
        except client.exceptions.ResourceNotFoundException:
            pass

    async def _close(self) -> None:
        if self._db is not None and self._owns_client:
            close = getattr(self._db.client, "close", None)
            if close is not None:
                close()
        self._db = None
        self._owns_client = False

    @classmethod
    def from_url(cls, url: str, **config: Any) -> DynamoDBStore:
        """``dynamodb://TABLE?region=R`` (AWS) or ``dynamodb://HOST:PORT/TABLE`` (an endpoint such as DynamoDB Local;
        ``?tls=true`` for https); ``endpoint=`` and ``region=`` query parameters are accepted too."""
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = unquote(parts.path.lstrip("/"))
        if path:
            scheme = "https" if query.pop("tls", "").lower() in ("1", "true", "yes") else "http"
            config.setdefault("endpoint", f"{scheme}://{parts.netloc}")
            config.setdefault("table_name", path)
        else:
            config.setdefault("table_name", unquote(parts.netloc))
        for name in ("region", "endpoint"):
            if name in query:
                config.setdefault(name, query.pop(name))
        if query:
            raise ConfigError(f"unknown dynamodb URL parameter(s) {sorted(query)}; use region, endpoint, tls",
                              id="MASTRA_STORAGE_DYNAMODB_CONFIG_INVALID")
        return cls(**config)


def _raw_creds(creds: Mapping[str, str] | None) -> dict[str, str] | None:
    if creds is None:
        return None
    back = {"aws_access_key_id": "access_key_id", "aws_secret_access_key": "secret_access_key",
            "aws_session_token": "session_token"}
    return {back[k]: v for k, v in creds.items()}
