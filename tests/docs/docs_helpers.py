"""The docs tests run the README snippets and the examples against the real services of the test environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def env_url(name: str) -> str:
    """A service URL from the test environment (``scripts/services/start.sh`` prints them)."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"{name} is not set: run the `docs` nox session, or export what "
            "`bash scripts/services/start.sh postgres redis jongodb dynamodb mariadb` prints"
        )
    return value


def with_database(url: str, database: str) -> str:
    """``url`` with its path replaced by ``/database``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def service_urls() -> dict[str, str]:
    """Backend id -> a URL of the real service for it."""
    return {
        "inmemory": "memory:",
        "libsql": "file:./agent.db",
        "pg": env_url("MASTRA_TEST_PG_URL"),
        "mongodb": with_database(env_url("MASTRA_TEST_MONGODB_URI"), "mastra_docs"),
        "dynamodb": "dynamodb://"
        + urlsplit(env_url("MASTRA_TEST_DYNAMODB_ENDPOINT")).netloc
        + "/mastra-docs?create_table_if_missing=true",
        "upstash": env_url("MASTRA_TEST_REDIS_URL") + "?prefix=docs-example:",
        "mysql": with_database(env_url("MASTRA_TEST_MYSQL_URL"), "mastra_docs"),
    }


def run_python(
    code_or_path: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a program (a file, or source text) in a fresh interpreter; AWS test credentials set for DynamoDB Local."""
    full = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        **(env or {}),
    }
    args = (
        [sys.executable, str(code_or_path)] if isinstance(code_or_path, Path) else [sys.executable, "-c", code_or_path]
    )
    return subprocess.run(args, cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout, check=False)
