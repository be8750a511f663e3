"""``MastraSpanExporter``: an OpenTelemetry ``SpanExporter`` writing into ``storage.observability``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine, Sequence
from typing import Any

from mastra_core import Storage
from mastra_core import records as r
from mastra_core.sync import SyncStorage
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from .mapping import span_record

log = logging.getLogger(__name__)


class MastraSpanExporter(SpanExporter):
    """Stores every exported span through one ``batch_create_spans`` call per ``export`` (all or nothing).

    ``storage`` is either a blocking :class:`~mastra_core.sync.SyncStorage` (it runs on its own loop thread:
    the exporter works from any thread, for sync and async apps alike), or an async
    :class:`~mastra_core.Storage` together with the event loop it lives on (``loop``; default: the loop
    running when the exporter is built). With an async storage, an export from another thread (the
    ``BatchSpanProcessor``'s worker) waits for the write on that loop; an export on the loop's own thread
    (a ``SimpleSpanProcessor`` in async code) is scheduled there, and :meth:`flush` awaits it. In async code,
    call the provider's ``force_flush``/``shutdown`` through ``asyncio.to_thread``: they wait for writes that
    need the loop.

    The storage stays the caller's: ``shutdown`` neither closes it nor stops its loop.
    """

    def __init__(
        self, storage: Storage | SyncStorage, *, loop: asyncio.AbstractEventLoop | None = None, timeout: float = 30.0
    ) -> None:
        """Bind the exporter to a storage (no I/O)."""
        self.storage = storage
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        if not isinstance(storage, SyncStorage):
            if loop is None:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    raise ValueError(
                        "an async Storage needs the event loop it runs on: build the exporter inside that loop, pass "
                        "loop=..., or give it a mastra_core.sync.SyncStorage"
                    ) from None
            self._loop = loop
        self._pending: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._shutdown = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write the spans (one ``batch_create_spans``); FAILURE when mapping or the write fails."""
        if self._shutdown:
            return SpanExportResult.FAILURE
        try:
            # a span exported twice in one batch would fail the whole batch: the last one wins
            records = list({(s.trace_id, s.span_id): s for s in map(span_record, spans)}.values())
        except Exception:
            log.exception("mastra-otel: could not map %d span(s)", len(spans))
            return SpanExportResult.FAILURE
        if not records:
            return SpanExportResult.SUCCESS
        try:
            if isinstance(self.storage, SyncStorage):
                self.storage.observability.batch_create_spans(records=records)
            else:
                self._write_async(records)
        except Exception:
            log.exception("mastra-otel: could not store %d span(s)", len(records))
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _write_async(self, records: list[r.Span]) -> None:
        assert self._loop is not None and isinstance(self.storage, Storage)
        coro = self.storage.observability.batch_create_spans(records=records)
        if _on_thread_of(self._loop):
            task = self._loop.create_task(_logged(coro, len(records)))
            with self._lock:
                self._pending.add(task)
            task.add_done_callback(self._forget)
            return
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(self.timeout)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with self._lock:
            self._pending.discard(task)

    async def flush(self) -> None:
        """Wait for writes scheduled on this loop by exports made on its own thread."""
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            await asyncio.gather(*pending)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Wait (from another thread) for scheduled writes; on the loop's own thread, only say whether any remain."""
        if self._loop is None:
            return True
        with self._lock:
            if not self._pending:
                return True
        if _on_thread_of(self._loop):
            return False
        try:
            asyncio.run_coroutine_threadsafe(self.flush(), self._loop).result(timeout_millis / 1000)
        except (concurrent.futures.TimeoutError, TimeoutError):
            return False
        return True

    def shutdown(self) -> None:
        """Refuse further exports (the storage stays open: it is the caller's)."""
        self.force_flush()
        self._shutdown = True


def _on_thread_of(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


async def _logged(coro: Coroutine[Any, Any, None], n: int) -> None:
    try:
        await coro
    except Exception:
        log.exception("mastra-otel: could not store %d span(s)", n)
