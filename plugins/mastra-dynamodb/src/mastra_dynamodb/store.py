"""``DynamoDBStore``: every domain of mastra in one DynamoDB table (backend id ``dynamodb``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

from mastra_core.backend import ConnectedBackend
from mastra_core.diagnostics import Finding
from mastra_core.errors import ConfigError
from mastra_core.storage import apply_aliases
from mastra_core.urlopts import split_url_options

from .config import DynamoDBConfig
from .connection import DynamoConnection
from .schema import RESERVED_ATTRIBUTES


class DynamoDBStore(ConnectedBackend[DynamoConnection]):
    """All domains (memory, workflows, scores, observability, agents, evals, traces) in ONE DynamoDB table.

    The table layout (keys, four GSIs, TTL) is documented in TABLE_SETUP.md; ``init()`` checks the table
    against it and names anything missing. Create it with ``mastra dynamodb create-table`` or
    :meth:`create_table` for development, or with the CloudFormation/CDK definitions for production.
    """

    stores_expiry = True

    backend_id: ClassVar[str] = "dynamodb"
    backend_token: ClassVar[str] = "DYNAMODB"
    url_schemes: ClassVar[tuple[str, ...]] = ("dynamodb",)
    config_class: ClassVar[type[Any]] = DynamoDBConfig
    declared_domains: ClassVar[tuple[str, ...]] = (
        "memory",
        "workflows",
        "scores",
        "observability",
        "agents",
        "evals",
        "traces",
    )
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"native_ttl", "transactions"})
    #: The names every backend shares (``max_pool_size``) and short forms.
    option_aliases: ClassVar[Mapping[str, str]] = {"max_pool_size": "max_pool_connections", "table": "table_name"}

    def __init__(self, *, id: str, disable_init: bool = False, ttl: Any = None, **options: Any) -> None:
        """Options as :class:`~mastra_dynamodb.config.DynamoDBConfig`; ``url="dynamodb://..."`` (as for
        :meth:`from_url`) may stand for ``table_name``/``endpoint``/``region`` and the URL's options."""
        url = options.pop("url", None)
        if url is not None:
            options = {
                **_url_options(url, self.option_aliases),
                **apply_aliases(options, self.option_aliases, "dynamodb"),
            }
        super().__init__(id=id, disable_init=disable_init, ttl=ttl, **options)

    def _connect(self) -> DynamoConnection:
        for entity, rule in self.retention.rules.items():
            if rule.attribute_name in RESERVED_ATTRIBUTES:
                raise ConfigError(
                    f"ttl[{entity!r}].attribute_name {rule.attribute_name!r} is an attribute the store uses itself; "
                    f"pick another name (reserved: {', '.join(sorted(RESERVED_ATTRIBUTES))})",
                    id="MASTRA_STORAGE_DYNAMODB_CONFIG_INVALID",
                )
        names = {rule.attribute_name for rule in self.retention.rules.values() if rule.active}
        return DynamoConnection(self.config, ttl_attributes=names, disable_init=self.disable_init)

    @property
    def table_name(self) -> str:
        """The DynamoDB table every domain lives in."""
        return self.connection.table

    @property
    def db(self) -> DynamoConnection:
        """The table handle every domain shares."""
        return self.connection

    @property
    def client(self) -> Any:
        """The boto3 client (created on first use unless one was supplied)."""
        return self.connection.client

    async def create_table(self, *, ttl_attribute: str | None = None) -> bool:
        """Create the table with its GSIs (PAY_PER_REQUEST) and enable TTL; False if it already existed.

        ``ttl_attribute`` defaults to the attribute name of the configured TTL rules (or ``ttl``).
        """
        return await self.connection.create_table(ttl_attribute=ttl_attribute)

    async def delete_table(self) -> None:
        """Drop the table and everything in it (tests, development)."""
        await self.connection.delete_table()

    @classmethod
    def from_url(cls, url: str, **config: Any) -> DynamoDBStore:
        """``dynamodb://TABLE?region=R`` (AWS) or ``dynamodb://HOST:PORT/TABLE`` (an endpoint such as DynamoDB
        Local; ``?tls=true`` for https); every plain option (``region``, ``endpoint``, ``connect_timeout``,
        ``create_table_if_missing``, ``max_pool_connections``) may be a query parameter too."""
        return cls(**{**_url_options(url, cls.option_aliases), **apply_aliases(config, cls.option_aliases, "dynamodb")})

    async def diagnose(self) -> list[Finding]:
        """The table's keys, GSIs and status against the layout, and its TTL attribute against the TTL rules
        (``mastra doctor``)."""
        from .schema import verify_table

        conn = self.connection
        await conn.open()
        try:
            table = (await conn.call("describe_table", TableName=conn.table))["Table"]
        except Exception as exc:  # a missing table is the finding, not a crash
            return [
                Finding(
                    check="table.exists",
                    severity="error",
                    message=f"table {conn.table!r}: {str(exc).splitlines()[0] if str(exc) else exc!r}",
                    fix=f"mastra dynamodb create-table --table {conn.table}",
                )
            ]
        problems = verify_table(table)
        out = [
            Finding(
                check="table.layout",
                severity="error",
                message=p,
                fix="recreate the table with `mastra dynamodb create-table`, or add the GSI",
            )
            for p in problems
        ]
        if not problems:
            out.append(
                Finding(
                    check="table.layout",
                    severity="ok",
                    message=f"table {conn.table!r}: keys pk/sk and {len(table.get('GlobalSecondaryIndexes', []))}"
                    " GSIs as expected",
                )
            )
        ttl = (await conn.call("describe_time_to_live", TableName=conn.table)).get("TimeToLiveDescription", {})
        enabled = ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None
        for name in sorted(conn.ttl_attributes - {enabled}):
            out.append(
                Finding(
                    check="ttl.attribute",
                    severity="warning",
                    message=f"TTL rules write {name!r} but the table's TTL attribute is {enabled!r}: "
                    "DynamoDB will not delete expired items (reads still hide them)",
                    fix=f"aws dynamodb update-time-to-live --table-name {conn.table} "
                    f"--time-to-live-specification Enabled=true,AttributeName={name}",
                )
            )
        if enabled and not conn.ttl_attributes:
            out.append(
                Finding(
                    check="ttl.attribute",
                    severity="info",
                    message=f"the table expires items by {enabled!r}; no TTL rule is configured",
                )
            )
        return out

    async def _read_expiry(self, kind: str, keys: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        from . import expiry

        return await expiry.read(self.connection, kind, keys)

    async def _write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], Any]) -> None:
        from . import expiry

        await expiry.write(self.connection, kind, expiries, self.retention)


    async def migration_plan(self) -> list[str] | None:
        """The table changes ``mastra migrate`` makes (CreateTable with the GSIs, UpdateTimeToLive); a layout
        difference it cannot fix (a missing GSI on an existing table) is a comment line. Reads only."""
        from . import migrations

        return await migrations.plan(self.connection)  # the client only: opening would check (or create) the table

    def _blocking(self, pending: list[str]) -> list[str]:
        from .migrations import ENABLE_TTL

        # TTL off only means DynamoDB does not delete expired items (reads hide them): a doctor finding, not a stop
        return [p for p in pending if not p.startswith(ENABLE_TTL)]

    async def apply_migrations(self) -> None:
        """Create the table when missing (with its GSIs and TTL), enable TTL when the rules need it, then init."""
        from . import migrations

        await migrations.apply(self.connection)
        await self.init()

    async def schema_version(self) -> int | None:
        """The layout version (1) when the table matches it; 0 when the table is missing or differs."""
        from . import migrations

        return await migrations.version(self.connection)

def _url_options(url: str, aliases: Mapping[str, str]) -> dict[str, Any]:
    """The options a ``dynamodb://`` URL stands for."""
    parts = urlsplit(url)
    if parts.scheme != "dynamodb":
        raise ConfigError(
            f"a DynamoDB url starts with dynamodb://, got scheme {parts.scheme!r}",
            id="MASTRA_STORAGE_DYNAMODB_CONFIG_INVALID",
        )
    tls = dict(parse_qsl(parts.query)).get("tls", "")
    _, config = split_url_options(
        url,
        DynamoDBConfig,
        backend="dynamodb",
        passthrough={"tls"},
        aliases=aliases,
        exclude=("table_name", "credentials", "client"),
    )
    path = unquote(parts.path.lstrip("/"))
    if path:
        scheme = "https" if tls.lower() in ("1", "true", "yes", "on") else "http"
        config.setdefault("endpoint", f"{scheme}://{parts.netloc}")
        config.setdefault("table_name", path)
    else:
        config.setdefault("table_name", unquote(parts.netloc))
    return config

