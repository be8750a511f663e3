"""Test support shared by the mastra-ops tests: each backend's contract-suite harness."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: backend id -> harness module names, first found wins.
HARNESSES = {
    "pg": ["mastra_pg.harness", "tests.conformance.harnesses.pg"],
    "mongodb": ["mastra_mongodb.harness", "tests.conformance.harnesses.mongodb"],
    "dynamodb": ["mastra_dynamodb.harness", "tests.conformance.harnesses.dynamodb"],
    "upstash": ["mastra_upstash.harness", "tests.conformance.harnesses.upstash"],
    "mysql": ["mastra_mysql.harness", "tests.conformance.harnesses.mysql"],
}


def harness(backend: str) -> Any:
    """The harness module of an installed backend."""
    for name in HARNESSES[backend]:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise RuntimeError(f"no test harness for {backend}: is its plugin installed?")


