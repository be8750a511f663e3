"""The two sides of the model-based test (test_stateful.py): the backend under test and the in-memory oracle.

A side owns one storage and the map between the test's *logical* message ids and the side's actual ids:
plain messages keep the id the test gave them, but ``clone_thread`` invents fresh ids on each side, so the
k-th copy of clone ``c`` is known to the test as ``c/k`` and to each side by its own uuid. ``normalize``
turns anything a side returns into a comparable value: actual ids become logical ids, and timestamps the
storage took from its own clock ("now", which differs between the sides by the time between the two calls)
become the string ``"now"``; every timestamp the test wrote explicitly lies minutes in the past and is
compared exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

from mastra_core import StorageError
from mastra_core.domains.memory import CloneResult
from mastra_core.pagination import Page
from mastra_core.records import Message, Resource, Thread, WorkflowRun

T = TypeVar("T")

#: A timestamp at least this far after the example's base time came from a storage's clock, not from the test.
NOW_AFTER = timedelta(seconds=60)
#: Snapshot ``timestamp`` values the test writes are small; one above this came from a storage's clock.
CLOCK_MS = 10**12


class Side:
    """One storage under comparison and its logical <-> actual message-id maps."""

    def __init__(self, name: str, storage: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.name = name
        self.storage = storage
        self.memory = storage.memory
        self.workflows = storage.workflows
        self._loop = loop
        self.actual_of: dict[str, str] = {}
        self.logical_of: dict[str, str] = {}
        self.t0: datetime | None = None

    def reset(self, t0: datetime) -> None:
        """A new example: forget the previous example's clone ids."""
        self.actual_of.clear()
        self.logical_of.clear()
        self.t0 = t0

    def alias(self, logical: str, actual: str) -> None:
        """Record that this side calls message ``logical`` by ``actual``."""
        self.actual_of[logical] = actual
        self.logical_of[actual] = logical

    def actual(self, logical: str) -> str:
        """This side's id of a logical message id (plain ids are their own)."""
        return self.actual_of.get(logical, logical)

    def outcome(self, call: Callable[[Side], Awaitable[T]]) -> T | tuple[str, str]:
        """Run ``call`` on this side: its result, or ``("error", class name)`` for a StorageError.

        Any other exception escapes: the contract says every failure is a StorageError.
        """
        try:
            return self._loop.run_until_complete(call(self))
        except StorageError as exc:
            return ("error", type(exc).__name__)

    # ------------------------------------------------------------------ normalisation

    def normalize(self, value: Any) -> Any:
        """A comparable form of ``value`` (see the module docstring)."""
        if isinstance(value, Page):
            return (
                "page",
                [self.normalize(i) for i in value.items],
                value.total,
                value.page,
                value.per_page,
                value.has_more,
            )
        if isinstance(value, CloneResult):
            return ("clone", self.normalize(value.thread), [self.normalize(m) for m in value.cloned_messages])
        if isinstance(value, Message):
            return attrs.evolve(value, id=self.logical_of.get(value.id, value.id))
        if isinstance(value, Thread):
            return attrs.evolve(
                value,
                metadata=self._thread_metadata(value.metadata),
                created_at=self.time(value.created_at),
                updated_at=self.time(value.updated_at),
            )
        if isinstance(value, Resource):
            return attrs.evolve(value, created_at=self.time(value.created_at), updated_at=self.time(value.updated_at))
        if isinstance(value, WorkflowRun):
            return attrs.evolve(
                value,
                snapshot=self.snapshot(value.snapshot),
                created_at=self.time(value.created_at),
                updated_at=self.time(value.updated_at),
            )
        if isinstance(value, dict) and "runId" in value:  # a snapshot document
            return self.snapshot(value)
        if isinstance(value, list):
            return [self.normalize(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.normalize(v) for v in value)
        return value

    def time(self, value: datetime) -> Any:
        """An explicit (old) timestamp as it is; one a storage took from its clock as ``"now"``."""
        assert self.t0 is not None
        return "now" if value >= self.t0 + NOW_AFTER else value

    def snapshot(self, snap: Any) -> Any:
        """A snapshot with a clock-made ``timestamp`` (a run started by update_workflow_results) as ``"now"``."""
        if isinstance(snap, Mapping) and isinstance(snap.get("timestamp"), int) and snap["timestamp"] > CLOCK_MS:
            return {**snap, "timestamp": "now"}
        return snap

    def _thread_metadata(self, metadata: Any) -> Any:
        if not isinstance(metadata, Mapping) or not isinstance(metadata.get("clone"), Mapping):
            return metadata
        info = dict(metadata["clone"])
        info["clonedAt"] = "now"
        if "lastMessageId" in info:
            info["lastMessageId"] = self.logical_of.get(info["lastMessageId"], info["lastMessageId"])
        return {**metadata, "clone": info}
