"""The legacy evals: item ``EVAL#{uuid}`` / ``EVAL``; gsi1 ``EVALAGENT#{agentName}``, gsi2 ``EVALS#{shard}``,
by (createdAt, sequence). Written with TransactWriteItems (all or nothing up to 100 rows per call; larger
calls are split into several transactions)."""

from __future__ import annotations

import uuid
from typing import Any

from mastra_core import records as r
from mastra_core.backend import page_of
from mastra_core.clock import epoch_ms
from mastra_core.domains.legacy import EvalsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import EvalQuery

from ..codec import body, record
from ..connection import TRANSACTION_LIMIT
from ..schema import EVAL, SHARDS, ms_order, next_seq, shard
from .shared import DynamoDomain, Partition, live_filter, read_ordered


class DynamoDBEvals(EvalsStore, DynamoDomain):
    """Legacy eval rows."""

    entities = (EVAL,)

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        actions = []
        for row in rows:
            eid = str(uuid.uuid4())
            pk, sk = EVAL.key(id=eid)
            o = ms_order(epoch_ms(row.created_at), next_seq())
            item = {"pk": pk, "sk": sk, "entity": EVAL.name, "agentName": row.agent_name,
                    "isTest": row.test_info is not None, **body(row),
                    "gsi1pk": EVAL.partition("gsi1", agentName=row.agent_name), "gsi1sk": o,
                    "gsi2pk": EVAL.partition("gsi2", shard=shard(eid)), "gsi2sk": o, **self.expiry("eval")}
            actions.append({"Put": self.db.put_request(item)})
        for i in range(0, len(actions), TRANSACTION_LIMIT):
            await self.db.transact(actions[i:i + TRANSACTION_LIMIT], token=str(uuid.uuid4()))

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        partitions: list[Partition]
        if q.agent_name is not None:
            partitions = [("gsi1", EVAL.partition("gsi1", agentName=q.agent_name))]
        else:
            partitions = [("gsi2", EVAL.partition("gsi2", shard=s)) for s in range(SHARDS)]
        extra: list[str] = [] if q.type is None else ["isTest = :t"]
        values: dict[str, Any] = {} if q.type is None else {":t": q.type == "test"}
        rows, total = await read_ordered(self.db, partitions, forward=False, page=q.page, per_page=q.per_page,
                                         filter=live_filter(extra, {}, values))
        return page_of([record(it, r.EvalRow) for it in rows], total=total, page=q.page, per_page=q.per_page)
