"""mastra-dynamodb: every mastra storage domain in one DynamoDB table (backend id ``dynamodb``).

Importing connects to nothing; boto3 is imported when a client is made.
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import Any

from .config import DynamoDBConfig
from .connection import make_client
from .store import DynamoDBStore

__version__ = _version("mastra-dynamodb")  # the one place is pyproject.toml

__all__ = ["DynamoDBConfig", "DynamoDBStore", "create_table", "make_client"]


def create_table(table_name: str, *, region: str = "us-east-1", endpoint: str | None = None,
                 credentials: dict[str, str] | None = None, client: Any = None, ttl_attribute: str | None = "ttl",
                 wait: bool = True) -> bool:
    """Create the mastra table (keys, the four GSIs, PAY_PER_REQUEST) and enable TTL on ``ttl_attribute``.

    Returns False when the table already existed (it is then left as it is). For development and tests;
    production tables come from the CloudFormation/CDK definitions in TABLE_SETUP.md.
    """
    from .connection import create_table_sync

    client = client or make_client(region=region, endpoint=endpoint, credentials=credentials)
    return create_table_sync(client, table_name, ttl_attribute=ttl_attribute, wait=wait)
