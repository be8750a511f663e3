"""mastra-otel tests: every exporter test runs on each backend installed in the environment (inmemory
always; libsql, pg, dynamodb when their plugin is installed: a missing service is then an error, never a skip)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]  # the repository: plugins/mastra-otel/tests/conftest.py
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mastra_core import Storage  # noqa: E402
from mastra_core.sync import SyncStorage  # noqa: E402

from tests.integrations.stores import available, fresh_storage, fresh_sync_storage  # noqa: E402

BACKENDS = available()


def pytest_report_header(config: pytest.Config) -> str:
    return f"otel exporter backends: {', '.join(BACKENDS)}"


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest) -> AsyncIterator[Storage]:
    async with fresh_storage(request.param) as s:
        yield s


@pytest.fixture(params=BACKENDS)
def sync_storage(request: pytest.FixtureRequest) -> Iterator[SyncStorage]:
    with fresh_sync_storage(request.param) as s:
        yield s
