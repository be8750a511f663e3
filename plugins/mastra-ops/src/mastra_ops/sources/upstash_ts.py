"""The key space @mastra/upstash 1.0 writes (its fixed, unprefixed ``mastra_*`` keys), read as a copy source.

Keys (values are JSON, as @upstash/redis serialises them; dates as ISO text):

- ``mastra_threads:id:{threadId}``: the thread;
- ``mastra_messages:threadId:{threadId}:id:{messageId}``: a message plus ``_index``, its position in the
  ``saveMessages`` batch that wrote it; ``thread:{threadId}:messages``: a sorted set of the thread's message
  ids scored by that ``_index`` (not by time);
- ``mastra_resources:{resourceId}`` (no ``id:`` segment), metadata held as JSON text;
- ``mastra_workflow_snapshot:namespace:{ns}:workflow_name:{wf}:run_id:{run}``, plus ``:resourceId:{rid}`` when
  the run had a resource;
- ``mastra_scorers:id:{id}``.

The reference's quirks, and what this reader does about them: messages are ordered as the reference's
``listMessages`` returns them (a stable sort by ``createdAt`` of the sorted set's order), not by the batch
index alone; values are parsed, never keys (ids may hold ``:``); a run stored under both workflow keys
(persisted once without and once with a resource) is copied once, the most recently updated copy.

Every listing is SCAN with MATCH over the whole database (as the reference does), GETs pipelined per page.
Memory: a thread's message ids with their timestamps, and one ``(key, run, updatedAt)`` per workflow run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mastra_core import records as r
from mastra_core.clock import parse_datetime
from mastra_core.errors import ConfigError
from mastra_core.registry import import_optional

from . import records as rec
from .base import RecordSource, ScanPage

THREADS = "mastra_threads:*"
RUNS = "mastra_workflow_snapshot:*"
SCORES = "mastra_scorers:*"


def message_key(thread_id: str, message_id: str) -> str:
    """Where @mastra/upstash keeps a message."""
    return f"mastra_messages:threadId:{thread_id}:id:{message_id}"


def run_base_key(value: dict[str, Any]) -> str:
    """A run's key without the ``:resourceId:`` suffix: the identity two stored copies of one run share."""
    ns = value.get("namespace") or "workflows"
    return f"mastra_workflow_snapshot:namespace:{ns}:workflow_name:{value['workflow_name']}:run_id:{value['run_id']}"


def _ms(value: Any) -> int:
    try:
        return int(parse_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError):
        return 0


class UpstashTsSource(RecordSource):
    """A database written by @mastra/upstash 1.0; ``url`` is any URL the mastra-upstash backend takes
    (``upstash://:TOKEN@host`` for the REST API, ``upstash+http://...`` for a local stand-in,
    ``rediss://``/``redis://`` for the Redis protocol)."""

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        """Parse the URL and options with mastra-upstash's own rules; nothing connects here."""
        import_optional("mastra_upstash", "mastra-upstash")
        from mastra_upstash.connection import UpstashConnection
        from mastra_upstash.store import UpstashStore

        store = UpstashStore.from_url(url, id="mastra-ts-source", **options)
        self.conn = UpstashConnection(store.config)
        self.target = self.conn.target()
        self._opened = False
        self._cache: dict[str, r.Message] = {}
        self._runs: list[str] | None = None

    async def init(self) -> None:
        """Connect (one PING: a wrong token or a server that is down fails here)."""
        if not self._opened:
            try:
                await self.conn.open()
            except Exception as exc:
                raise ConfigError(f"cannot read {self.target}: {exc}", id="MASTRA_OPS_SOURCE_UNREADABLE") from None
            self._opened = True

    async def close(self) -> None:
        """Close the client."""
        await self.conn.close()

    # ---------------------------------------------------------------- low level

    async def _scan(self, pattern: str, after: Any, size: int) -> tuple[list[str], Any, bool]:
        """SCAN pages from cursor ``after`` until keys come back or the scan ends."""
        cursor = str(after or "0")
        while True:
            nxt, keys = await self.conn.transport.call("SCAN", cursor, "MATCH", pattern, "COUNT", str(size))
            cursor = str(nxt)
            if keys or cursor == "0":
                return [str(k) for k in keys], cursor, cursor == "0"

    async def _get_json(self, keys: Sequence[str]) -> list[Any]:
        """GET of each key in one pipeline; values parsed (None when missing or not JSON)."""
        if not keys:
            return []
        raw = await self.conn.transport.pipeline([["GET", k] for k in keys])
        out: list[Any] = []
        for value in raw:
            try:
                out.append(json.loads(value) if isinstance(value, str) else None)
            except ValueError:
                out.append(None)
        return out

    async def _scan_values(
        self, pattern: str, after: Any, size: int
    ) -> tuple[list[tuple[str, dict[str, Any]]], Any, bool]:
        keys, nxt, done = await self._scan(pattern, after, size)
        values = await self._get_json(keys)
        return [(k, v) for k, v in zip(keys, values, strict=True) if isinstance(v, dict)], nxt, done

    # ---------------------------------------------------------------- the layout

    async def scan_threads(self, after: Any, size: int, resource_id: str | None) -> ScanPage:
        """SCAN ``mastra_threads:*`` (one resource's: the same scan, filtered, as the reference does)."""
        pairs, nxt, done = await self._scan_values(THREADS, after, size)
        threads = [rec.thread(v) for _, v in pairs if "id" in v and "resourceId" in v and "createdAt" in v]
        if resource_id is not None:
            threads = [t for t in threads if t.resource_id == resource_id]
        return ScanPage(threads, nxt, done)

    async def get_resource(self, resource_id: str) -> r.Resource | None:
        """GET ``mastra_resources:{id}``."""
        (value,) = await self._get_json([f"mastra_resources:{resource_id}"])
        if not isinstance(value, dict) or "createdAt" not in value:
            return None
        value.setdefault("id", resource_id)
        return rec.resource(value)

    async def message_order(self, thread: r.Thread) -> list[Any]:
        """ZRANGE of the thread's sorted set (batch index, then id), then a stable sort by ``createdAt``: the
        order of the reference's ``listMessages``. A thread of up to 1000 messages is read once (kept for
        :meth:`fetch_messages`); a longer one keeps only ids and timestamps here and is read again in pages."""
        ids = [str(i) for i in await self.conn.transport.call("ZRANGE", f"thread:{thread.id}:messages", "0", "-1")]
        self._cache = {}
        keep = len(ids) <= 1000
        order: list[tuple[int, int, str]] = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            values = await self._get_json([message_key(thread.id, m) for m in part])
            for rank, (mid, value) in enumerate(zip(part, values, strict=True), start):
                if not isinstance(value, dict) or "createdAt" not in value or "role" not in value:
                    continue  # a stale sorted-set member (the message moved or was deleted)
                order.append((_ms(value["createdAt"]), rank, mid))
                if keep:
                    value.setdefault("id", mid)
                    self._cache[mid] = rec.message(value)
        order.sort()
        return [mid for _, _, mid in order]

    async def fetch_messages(self, thread: r.Thread, refs: Sequence[Any]) -> list[r.Message]:
        """The messages of ``refs`` (ids), from what :meth:`message_order` kept or by GET."""
        missing = [m for m in refs if m not in self._cache]
        if missing:
            for mid, value in zip(missing, await self._get_json([message_key(thread.id, m) for m in missing]),
                                  strict=True):
                if isinstance(value, dict) and "createdAt" in value and "role" in value:
                    value.setdefault("id", mid)
                    self._cache[mid] = rec.message(value)
        out = [self._cache[m] for m in refs if m in self._cache]
        if len(self._cache) > 1000:
            self._cache = {}
        return out

    async def scan_workflow_runs(self, after: Any, size: int) -> ScanPage:
        """The winning key of every run (see the module doc), then pages of those keys by offset."""
        if self._runs is None:
            self._runs = await self._run_keys(size)
        offset = int(after or 0)
        keys = self._runs[offset : offset + size]
        runs = [rec.workflow_run(v) for v in await self._get_json(keys) if isinstance(v, dict) and _is_run(v)]
        end = offset + len(keys)
        return ScanPage([run for run in runs if run is not None], end, end >= len(self._runs))

    async def _run_keys(self, size: int) -> list[str]:
        best: dict[str, tuple[int, str]] = {}
        after: Any = None
        while True:
            pairs, after, done = await self._scan_values(RUNS, after, size)
            for key, value in pairs:
                if _is_run(value):
                    base, updated = run_base_key(value), _ms(value.get("updatedAt"))
                    if base not in best or (updated, key) > best[base]:
                        best[base] = (updated, key)
            if done:
                return sorted(key for _, key in best.values())

    async def scan_scores(self, after: Any, size: int) -> ScanPage:
        """SCAN ``mastra_scorers:*``."""
        pairs, nxt, done = await self._scan_values(SCORES, after, size)
        return ScanPage([rec.score(v) for _, v in pairs if "id" in v and "createdAt" in v], nxt, done)


def _is_run(value: dict[str, Any]) -> bool:
    return "workflow_name" in value and "run_id" in value and "createdAt" in value
