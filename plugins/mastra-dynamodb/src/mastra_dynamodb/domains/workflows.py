"""Workflow run snapshots.

Item ``WF#{workflowName}`` / ``RUN#{runId}``; gsi1 ``WFRUNS#{workflowName}``, gsi2 ``RUNID#{runId}`` (newest
run of an id), gsi3 ``WFRES#{resourceId}``, gsi4 ``RUNS#{shard}`` (every run), all by (createdAt, sequence).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.backend import SeenKeys, page_of
from mastra_core.clock import epoch_ms
from mastra_core.domains.workflows import WorkflowsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import WorkflowRunQuery

from ..codec import body, from_ms, is_live, now_ms, record, to_item
from ..connection import OP_TOKEN, ConditionFailed, backoff, check_size
from ..schema import SCALE, SHARDS, WORKFLOW_RUN, ms_order, next_seq, shard
from .shared import LIVE, DynamoDomain, Partition, live_filter, optimistic, read_ordered, upsert_expression

#: What an upsert keeps of a live stored run: its creation time and sequence, hence its order value on every GSI.
_KEPT = {
    "createdMs": "if_not_exists({createdMs}, {v})", "seq": "if_not_exists({seq}, {v})",
    "ver": "if_not_exists({ver}, :zero) + {v}",
    **{f"{g}sk": "if_not_exists({gsi1sk}, {v})" for g in ("gsi1", "gsi2", "gsi3", "gsi4")},
}
MAX_ATTEMPTS = 25
#: What a run read needs (a smaller reply is less to parse than the GSI keys and versions beside them).
_READ = ("data", "dataz", "createdMs", "expMs")


def _landed(done: bool, stored: dict[str, Any] | None, token: str) -> bool:
    """Whether a conditional write carrying ``token`` is applied: it was, or its condition failed on an item holding
    that token (a resend of a write whose reply was lost: the first attempt landed)."""
    return done or (stored is not None and stored.get(OP_TOKEN) == token)


def run_key(workflow_name: str, run_id: str) -> tuple[str, str]:
    """The primary key of a run."""
    return WORKFLOW_RUN.key(workflowName=workflow_name, runId=run_id)


class DynamoDBWorkflows(WorkflowsStore, DynamoDomain):
    """Workflow runs: a persist is one conditional UpdateItem; the merges of an update (results, state) are an
    optimistic read-modify-write on the run's version."""

    entities = (WORKFLOW_RUN,)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As every domain store; plus the keys of runs seen live (a hint for :meth:`_persist`)."""
        super().__init__(*args, **kwargs)
        self._live: SeenKeys[tuple[str, str], None] = SeenKeys()

    def _from(self, item: dict[str, Any]) -> r.WorkflowRun:
        run = record(item, r.WorkflowRun)
        return attrs.evolve(run, created_at=from_ms(item["createdMs"]))

    def _item(self, run: r.WorkflowRun, *, created_ms: int, seq: int, ver: int) -> dict[str, Any]:
        pk, sk = run_key(run.workflow_name, run.run_id)
        o = ms_order(created_ms, seq)
        status = run.snapshot.get("status")
        item: dict[str, Any] = {
            "pk": pk, "sk": sk, "entity": WORKFLOW_RUN.name, "workflowName": run.workflow_name, "runId": run.run_id,
            "resourceId": run.resource_id, "status": status if isinstance(status, str) else None,
            **body(attrs.evolve(run, created_at=from_ms(created_ms))), "createdMs": created_ms, "seq": seq,
            "ver": ver,
            "gsi1pk": WORKFLOW_RUN.partition("gsi1", workflowName=run.workflow_name), "gsi1sk": o,
            "gsi2pk": WORKFLOW_RUN.partition("gsi2", runId=run.run_id), "gsi2sk": o,
            "gsi4pk": WORKFLOW_RUN.partition("gsi4", shard=shard(run.workflow_name + chr(0) + run.run_id)),
            "gsi4sk": o,
            **self.expiry("workflow_snapshot"),
        }
        if run.resource_id is not None:
            item["gsi3pk"], item["gsi3sk"] = WORKFLOW_RUN.partition("gsi3", resourceId=run.resource_id), o
        return item

    async def _persist(self, run: r.WorkflowRun) -> None:
        """A run's first persist here is ONE conditional PutItem (:meth:`_persist_new`), a run seen live here ONE
        small UpdateItem (:meth:`_persist_live`); otherwise (or when their condition fails) ONE conditional
        UpdateItem: a live stored run keeps its createdMs and sequence (so its place in every listing) through
        ``if_not_exists``; everything else is replaced, as a PutItem would.

        Exactly once: the update carries a fresh ``opToken`` and is conditional on the stored item not holding it,
        so when botocore resends an update whose reply was lost, the resend fails its condition on our own token
        and is taken as done (never applied over a later writer's run). A run that has expired but which DynamoDB
        has not deleted yet fails the liveness condition and is replaced as a new run (a versioned PutItem).
        """
        pk, sk = run_key(run.workflow_name, run.run_id)
        if (pk, sk) in self._live:
            if await self._persist_live(run, pk, sk):
                return
        elif await self._persist_new(run, pk, sk):
            return
        created_ms = epoch_ms(run.created_at)
        for attempt in range(MAX_ATTEMPTS):
            token = uuid.uuid4().hex
            seq = next_seq()
            item = {**self._item(run, created_ms=created_ms, seq=seq, ver=1), OP_TOKEN: token}
            check_size(to_item(item), item)
            expr, names, values = upsert_expression(item, _KEPT, self._optional())
            names["#exp"] = "expMs"
            values[":now"], values[":tok"] = now_ms(), token
            done, stored = await self.db.update_unless(
                pk, sk, expr, names=names, values=values,
                condition=f"(attribute_not_exists(pk) OR {LIVE}) AND "
                          f"(attribute_not_exists(#{OP_TOKEN}) OR #{OP_TOKEN} <> :tok)")
            if _landed(done, stored, token):
                self._remember(pk, sk)
                return
            try:  # expired, not yet deleted by DynamoDB: a new run in its place
                previous = None if stored is None else int(stored.get("ver", 0))
                fresh = self._item(run, created_ms=created_ms, seq=seq, ver=(previous or 0) + 1)
                await self.db.put_versioned(fresh, previous)
                self._remember(pk, sk)
                return
            except ConditionFailed:
                await backoff(attempt)
        raise RuntimeError(f"workflow run {run.workflow_name}/{run.run_id} kept changing under concurrent writers")

    async def _persist_new(self, run: r.WorkflowRun, pk: str, sk: str) -> bool:
        """ONE conditional PutItem of a run no item holds yet (a run's first persist, the usual case for a run this
        store has not seen): the item the full upsert would write over nothing, with a fresh ``opToken``. False when
        an item is there (a run persisted by another process or before a restart, or expired and not yet deleted):
        the full upsert follows, a second request that only such runs pay, once per process.

        Why not the upsert at once: DynamoDB Local parsed and applied the upsert's expression (every attribute, four
        ``if_not_exists``) in 4.6-6.2 ms against 3.7-4.4 ms for this put of the same item (interleaved, 150 runs
        each). A resent put (its reply lost) fails its condition on our own item: taken as done, as in
        :meth:`_persist`."""
        token = uuid.uuid4().hex
        item = {**self._item(run, created_ms=epoch_ms(run.created_at), seq=next_seq(), ver=1), OP_TOKEN: token}
        done, stored = await self.db.put_unless(item, condition="attribute_not_exists(pk)")
        if _landed(done, stored, token):
            self._remember(pk, sk)
            return True
        return False

    def _remember(self, pk: str, sk: str) -> None:
        """Note a run this store has seen live: its next persist tries :meth:`_persist_live` first (a hint only)."""
        self._live.put((pk, sk))

    async def _persist_live(self, run: r.WorkflowRun, pk: str, sk: str) -> bool:
        """ONE conditional UpdateItem of what a persist changes in a live stored run of the same resource: the body,
        the status, the expiry, the version and ``opToken`` (exactly once as in :meth:`_persist`). The keys, order
        values and createdMs stay as stored, so the request is a third of the full upsert. False when the condition
        does not hold (no run, expired, another resource): the full upsert runs instead."""
        token = uuid.uuid4().hex
        encoded = body(run)
        check_size(to_item({"pk": pk, "sk": sk, **encoded}), {"entity": WORKFLOW_RUN.name, "id": run.run_id})
        names = {"#b": next(iter(encoded)), "#o": "dataz" if "data" in encoded else "data", "#st": "status",
                 "#exp": "expMs", "#tok": OP_TOKEN, "#rid": "resourceId"}
        values: dict[str, Any] = {":b": next(iter(encoded.values())), ":one": 1, ":tok": token, ":now": now_ms()}
        sets, removes = ["#b = :b", "ver = ver + :one", "#tok = :tok"], ["#o"]
        status = run.snapshot.get("status")
        if isinstance(status, str):
            sets.append("#st = :st")
            values[":st"] = status
        else:
            removes.append("#st")
        exp = self.expiry("workflow_snapshot")
        for i, attr in enumerate(dict.fromkeys(["expMs", "ttl", *sorted(self.db.ttl_attributes)])):
            names[f"#x{i}"] = attr  # as the full upsert: the rule's attributes set, every other one removed
            if attr in exp:
                sets.append(f"#x{i} = :x{i}")
                values[f":x{i}"] = exp[attr]
            else:
                removes.append(f"#x{i}")
        same_resource = "attribute_not_exists(#rid)" if run.resource_id is None else "#rid = :rid"
        if run.resource_id is not None:
            values[":rid"] = run.resource_id
        done, stored = await self.db.update_unless(
            pk, sk, "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes), names=names, values=values,
            condition=f"attribute_exists(ver) AND {LIVE} AND {same_resource} AND "
                      "(attribute_not_exists(#tok) OR #tok <> :tok)")
        if _landed(done, stored, token):
            return True
        self._live.drop((pk, sk))
        return False

    def _optional(self) -> list[str]:
        """Attributes a run item may lack: removed by an upsert that does not set them (a TTL attribute of any
        configured rule, so DynamoDB never deletes a run by an expiry it no longer has)."""
        return ["resourceId", "status", "gsi3pk", "gsi3sk", "data", "dataz", "expMs", "ttl",
                *sorted(self.db.ttl_attributes)]

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        if workflow_name is not None:
            key = run_key(workflow_name, run_id)
            item = await self.db.get(*key, attributes=_READ)
            if item is None or not is_live(item):
                return None
            self._remember(*key)
            return self._from(item)
        expr, names, values = live_filter()
        async for item in self.db.query(index="gsi2", pk=WORKFLOW_RUN.partition("gsi2", runId=run_id), forward=False,
                                        want=1, filter=expr, names=names, values=values):
            return self._from(item)
        return None

    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]:
        extra: list[str] = []
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        partitions: list[Partition]
        if q.workflow_name is not None:
            partitions = [("gsi1", WORKFLOW_RUN.partition("gsi1", workflowName=q.workflow_name))]
            if q.resource_id is not None:
                extra.append("resourceId = :rid")
                values[":rid"] = q.resource_id
        elif q.resource_id is not None:
            partitions = [("gsi3", WORKFLOW_RUN.partition("gsi3", resourceId=q.resource_id))]
        else:
            partitions = [("gsi4", WORKFLOW_RUN.partition("gsi4", shard=s)) for s in range(SHARDS)]
        if q.status is not None:
            extra.append("#st = :st")
            names["#st"] = "status"
            values[":st"] = q.status
        lo = epoch_ms(q.from_date) * SCALE if q.from_date is not None else None
        hi = (epoch_ms(q.to_date) + 1) * SCALE - 1 if q.to_date is not None else None
        if lo is not None and hi is not None and lo > hi:
            return page_of([], total=0, page=q.page, per_page=q.per_page)
        rows, total = await read_ordered(self.db, partitions, forward=False, page=q.page, per_page=q.per_page,
                                         lo=lo, hi=hi, filter=live_filter(extra, names, values))
        return page_of([self._from(it) for it in rows], total=total, page=q.page, per_page=q.per_page)

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        await self.db.delete(*run_key(workflow_name, run_id))

    async def _modify_run(self, workflow_name: str, run_id: str,
                          change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]) -> r.WorkflowRun | None:
        async def attempt() -> r.WorkflowRun | None:
            item = await self.db.get(*run_key(workflow_name, run_id))
            live = item is not None and is_live(item)
            new = change(self._from(item) if live and item is not None else None)
            if new is None:
                return None
            ver = int(item.get("ver", 0)) if item is not None else None
            seq = int(item["seq"]) if live and item is not None else next_seq()
            fresh = self._item(new, created_ms=epoch_ms(new.created_at), seq=seq, ver=(ver or 0) + 1)
            await self.db.put_versioned(fresh, ver)
            return self._from(fresh)

        return await optimistic(f"workflow run {workflow_name}/{run_id}", attempt)
