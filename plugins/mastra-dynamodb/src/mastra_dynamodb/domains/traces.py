"""The legacy traces: item ``LTRACE#{id}`` / ``LTRACE``; gsi1 ``LTRACES#{shard}`` by (createdAt, sequence).
Written with TransactWriteItems (all or nothing up to 100 rows per call; larger calls are split)."""

from __future__ import annotations

import uuid
from typing import Any

from mastra_core import records as r
from mastra_core.backend import page_of
from mastra_core.clock import epoch_ms
from mastra_core.domains.legacy import TracesStore
from mastra_core.domains.matching import contains
from mastra_core.pagination import Page
from mastra_core.records.queries import LegacyTraceQuery

from ..codec import body, decode_body, record
from ..connection import TRANSACTION_LIMIT
from ..schema import LEGACY_TRACE, SCALE, SHARDS, ms_order, next_seq, shard
from .shared import DynamoDomain, live_filter, read_ordered


class DynamoDBTraces(TracesStore, DynamoDomain):
    """Legacy OpenTelemetry-era spans."""

    entities = (LEGACY_TRACE,)

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        unique = list({row.id: row for row in rows}.values())
        olds = {it["id"]: it for it in await self.db.batch_get([LEGACY_TRACE.key(id=row.id) for row in unique])}
        actions = []
        for row in unique:
            old = olds.get(row.id)
            seq = int(old["seq"]) if old is not None else next_seq()
            pk, sk = LEGACY_TRACE.key(id=row.id)
            item = {"pk": pk, "sk": sk, "entity": LEGACY_TRACE.name, "id": row.id, "name": row.name,
                    "scope": row.scope, "seq": seq, **body(row),
                    "gsi1pk": LEGACY_TRACE.partition("gsi1", shard=shard(row.id)),
                    "gsi1sk": ms_order(epoch_ms(row.created_at), seq), **self.expiry("trace")}
            actions.append({"Put": self.db.put_request(item)})
        for i in range(0, len(actions), TRANSACTION_LIMIT):
            await self.db.transact(actions[i:i + TRANSACTION_LIMIT], token=str(uuid.uuid4()))

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        extra: list[str] = []
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        if q.name is not None:
            extra.append("begins_with(#n, :n)")
            names["#n"], values[":n"] = "name", q.name
        if q.scope is not None:
            extra.append("#sc = :sc")
            names["#sc"], values[":sc"] = "scope", q.scope
        lo = epoch_ms(q.from_date) * SCALE if q.from_date is not None else None
        hi = (epoch_ms(q.to_date) + 1) * SCALE - 1 if q.to_date is not None else None
        predicate = None
        if q.attributes is not None:
            wanted = q.attributes

            def predicate(item: dict[str, Any]) -> bool:
                return contains(decode_body(item).get("attributes") or {}, wanted)

        if lo is not None and hi is not None and lo > hi:
            return page_of([], total=0, page=q.page, per_page=q.per_page)
        partitions = [("gsi1", LEGACY_TRACE.partition("gsi1", shard=s)) for s in range(SHARDS)]
        rows, total = await read_ordered(self.db, partitions, forward=False, page=q.page, per_page=q.per_page,
                                         lo=lo, hi=hi, filter=live_filter(extra, names, values), predicate=predicate)
        return page_of([record(it, r.TraceRow) for it in rows], total=total, page=q.page, per_page=q.per_page)
