"""Test support shared by the mastra-ops tests: each backend's contract-suite harness."""

from __future__ import annotations

import importlib
from typing import Any

#: backend id -> harness module names, first found wins.
HARNESSES = {
    "pg": ["mastra_pg.harness"],
    "mongodb": ["mastra_mongodb.harness"],
    "dynamodb": ["mastra_dynamodb.harness"],
    "upstash": ["mastra_upstash.harness"],
    "mysql": ["mastra_mysql.harness"],
}


def harness(backend: str) -> Any:
    """The harness module of an installed backend."""
    for name in HARNESSES[backend]:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise RuntimeError(f"no test harness for {backend}: is its plugin installed?")


