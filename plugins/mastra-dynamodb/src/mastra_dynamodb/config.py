"""``DynamoDBConfig``: the options of :class:`~mastra_dynamodb.store.DynamoDBStore`, checked on construction."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
from mastra_core.connect import DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT

TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
_CRED_ALIASES = {"accessKeyId": "aws_access_key_id", "access_key_id": "aws_access_key_id",
                 "secretAccessKey": "aws_secret_access_key", "secret_access_key": "aws_secret_access_key",
                 "sessionToken": "aws_session_token", "session_token": "aws_session_token",
                 "aws_access_key_id": "aws_access_key_id", "aws_secret_access_key": "aws_secret_access_key",
                 "aws_session_token": "aws_session_token"}
_BACK = {"aws_access_key_id": "access_key_id", "aws_secret_access_key": "secret_access_key",
         "aws_session_token": "session_token"}


def boto_credentials(value: Any) -> dict[str, str] | None:
    """Credentials in any accepted spelling as boto3 keyword arguments (``aws_access_key_id``...).

    None means boto3's own chain (environment, profile, role).
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("credentials must be a mapping with access_key_id and secret_access_key "
                         "(session_token optional)")
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


def plain_credentials(creds: Mapping[str, str] | None) -> dict[str, str] | None:
    """boto3-style credentials back in the option spelling (``access_key_id``...)."""
    return None if creds is None else {_BACK[k]: v for k, v in creds.items()}


@attrs.define(kw_only=True)
class DynamoDBConfig:
    """Options of :class:`~mastra_dynamodb.store.DynamoDBStore`.

    ``table_name`` (required), ``region`` (default us-east-1), ``endpoint`` (e.g. DynamoDB Local),
    ``credentials`` (``{access_key_id, secret_access_key, session_token?}``; default: boto3's chain),
    ``client`` (a boto3 DynamoDB client you own; never closed by the store), ``create_table_if_missing``
    (development: create the table with its GSIs on init instead of failing), ``max_pool_connections``,
    ``connect_timeout`` (seconds, default 5), ``operation_timeout`` (seconds one call may take, default 30; also
    botocore's ``read_timeout``).
    """

    table_name: str
    region: str = "us-east-1"
    endpoint: str | None = None
    credentials: Any = attrs.field(default=None, repr=False)
    client: Any = None
    create_table_if_missing: bool = False
    max_pool_connections: int = 50
    #: Seconds to establish a connection (``init()`` fails after this when the endpoint does not answer).
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    #: Seconds one call may take before it fails (a stalled or trickling endpoint included).
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT

    def __attrs_post_init__(self) -> None:
        """Check every option (a bad one is a ValueError naming it); credentials are normalised."""
        if not isinstance(self.table_name, str) or not TABLE_NAME.fullmatch(self.table_name):
            raise ValueError(f"table_name must match ^{TABLE_NAME.pattern}$, got {self.table_name!r}")
        if not isinstance(self.region, str) or not self.region:
            raise ValueError("region must be a non-empty string")
        if self.endpoint is not None and (not isinstance(self.endpoint, str) or "://" not in self.endpoint):
            raise ValueError("endpoint must be a URL such as http://127.0.0.1:8000")
        self.credentials = boto_credentials(self.credentials)
        for name in ("connect_timeout", "operation_timeout"):
            ct = getattr(self, name)
            if isinstance(ct, bool) or not isinstance(ct, int | float) or ct <= 0:
                raise ValueError(f"{name} must be a positive number, got {ct!r}")
        if self.client is not None and not hasattr(self.client, "transact_write_items"):
            raise ValueError("client must be a boto3 DynamoDB client (boto3.client('dynamodb'))")
