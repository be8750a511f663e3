"""Logs follow the application's configuration; at DEBUG every operation says what it did, never with values."""

from __future__ import annotations

import logging

import pytest
import structlog
from mastra_core import Thread, create_storage

SECRET_TITLE = "my-secret-title-7f3a"


async def test_debug_records_each_operation_without_values(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mastra_core")
    async with create_storage("inmemory") as storage:
        await storage.memory.save_thread(thread=Thread(id="t1", resource_id="u1", title=SECRET_TITLE))
        await storage.memory.get_thread_by_id(thread_id="t1")
    ops = [r for r in caplog.records if r.name == "mastra_core.storage" and r.getMessage().startswith("operation")]
    assert [r.mastra["op"] for r in ops] == ["SAVE_THREAD", "GET_THREAD_BY_ID"]  # type: ignore[attr-defined]
    assert all(r.mastra["backend"] == "inmemory" and r.mastra["domain"] == "memory" for r in ops)  # type: ignore[attr-defined]
    assert all(r.mastra["duration_ms"] >= 0 and r.mastra["outcome"] == "ok" for r in ops)  # type: ignore[attr-defined]
    assert SECRET_TITLE not in caplog.text


async def test_nothing_is_logged_when_the_application_did_not_ask(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mastra_core")
    async with create_storage("inmemory") as storage:
        await storage.memory.get_thread_by_id(thread_id="t1")
    assert not [r for r in caplog.records if r.name.startswith("mastra_core")]


async def test_a_structlog_application_gets_records_through_its_own_configuration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="mastra_core")
    with structlog.testing.capture_logs() as captured:
        async with create_storage("inmemory") as storage:
            await storage.memory.get_thread_by_id(thread_id="t1")
    events = [e for e in captured if e["event"] == "operation"]
    assert events and events[0]["op"] == "GET_THREAD_BY_ID" and events[0]["log_level"] == "debug"
    assert not [r for r in caplog.records if r.getMessage().startswith("operation")]
