"""The legacy evals and traces.

- eval  ``EVAL#{uuid}`` / ``EVAL``; gsi1 ``EVALAGENT#{agentName}``, gsi2 ``EVALS#{shard}``, by (createdAt, sequence).
- trace ``LTRACE#{id}`` / ``LTRACE``; gsi1 ``LTRACES#{shard}`` by (createdAt, sequence).
Both are written with TransactWriteItems (all or nothing up to 100 rows per call; larger calls are
split into several transactions).
"""

from __future__ import annotations

import uuid
from typing import Any

from mastra_core import records as r
from mastra_core.clock import epoch_ms
from mastra_core.domains.legacy import EvalsStore, TracesStore
from mastra_core.domains.matching import contains
from mastra_core.pagination import Page
from mastra_core.records.queries import EvalQuery, LegacyTraceQuery
from mastra_core.serde import from_wire, to_wire

from .base import DynamoDomain, live_filter, read_ordered
from .codec import SCALE, SHARDS, decode_body, encode_body, ms_order, next_seq, shard
from .dynamo import TRANSACTION_LIMIT


class DynamoDBEvals(DynamoDomain, EvalsStore):
    """Legacy eval rows."""

    entities = ("eval",)

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        actions = []
        for row in rows:
            eid = str(uuid.uuid4())
            o = ms_order(epoch_ms(row.created_at), next_seq())
            item = {"pk": f"EVAL#{eid}", "sk": "EVAL", "entity": "eval", "agentName": row.agent_name,
                    "isTest": row.test_info is not None, **encode_body(to_wire(row)),
                    "gsi1pk": f"EVALAGENT#{row.agent_name}", "gsi1sk": o, "gsi2pk": f"EVALS#{shard(eid)}", "gsi2sk": o,
                    **self.expiry("eval")}
            actions.append({"Put": self.db.put_request(item)})
        for i in range(0, len(actions), TRANSACTION_LIMIT):
            await self.db.transact(actions[i:i + TRANSACTION_LIMIT], token=str(uuid.uuid4()))

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        if q.agent_name is not None:
            partitions = [("gsi1", f"EVALAGENT#{q.agent_name}")]
        else:
            partitions = [("gsi2", f"EVALS#{s}") for s in range(SHARDS)]
        extra, values = ([], {}) if q.type is None else (["isTest = :t"], {":t": q.type == "test"})
        rows, total = await read_ordered(self.db, partitions, forward=False, page=q.page, per_page=q.per_page,
                                         filter=live_filter(extra, {}, values))
        more = q.per_page is not False and (q.page + 1) * q.per_page < total
        return Page(items=[from_wire(decode_body(it), r.EvalRow) for it in rows], total=total, page=q.page,
                    per_page=q.per_page, has_more=more)


class DynamoDBTraces(DynamoDomain, TracesStore):
    """Legacy OpenTelemetry-era spans."""

    entities = ("trace",)

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        unique = list({row.id: row for row in rows}.values())
        olds = {it["id"]: it for it in await self.db.batch_get([(f"LTRACE#{row.id}", "LTRACE") for row in unique])}
        actions = []
        for row in unique:
            old = olds.get(row.id)
            seq = int(old["seq"]) if old is not None else next_seq()
            item = {"pk": f"LTRACE#{row.id}", "sk": "LTRACE", "entity": "trace", "id": row.id, "name": row.name,
                    "scope": row.scope, "seq": seq, **encode_body(to_wire(row)),
                    "gsi1pk": f"LTRACES#{shard(row.id)}", "gsi1sk": ms_order(epoch_ms(row.created_at), seq),
                    **self.expiry("trace")}
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
            return Page(items=[], total=0, page=q.page, per_page=q.per_page, has_more=False)
        rows, total = await read_ordered(self.db, [("gsi1", f"LTRACES#{s}") for s in range(SHARDS)], forward=False,
                                         page=q.page, per_page=q.per_page, lo=lo, hi=hi,
                                         filter=live_filter(extra, names, values), predicate=predicate)
        more = q.per_page is not False and (q.page + 1) * q.per_page < total
        return Page(items=[from_wire(decode_body(it), r.TraceRow) for it in rows], total=total, page=q.page,
                    per_page=q.per_page, has_more=more)
