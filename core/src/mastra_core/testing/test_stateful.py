"""Model-based test: random operation sequences run on the backend under test and on the in-memory backend at once.

The in-memory backend is the executable form of DESIGN.md section 4, so every answer of the backend under
test must equal the oracle's (after :mod:`.model_sides` has mapped clone ids and clock-made timestamps).
Every rule is one operation run on both sides, its results (or error classes) compared; reads are rules too,
so hypothesis interleaves them with the writes. Each example uses fresh ids on one storage shared by the
test (a new namespace per example would cost a schema per example on the SQL backends) and a fresh oracle.

Orders the contract leaves open are compared as orders, not as lists: threads and workflow runs with equal
sort keys may come back in any order, so a page is compared through the oracle's sort key of each item.

Budget: the CI profile runs a fixed, derandomized handful of short programs (a few seconds per harness);
``MASTRA_HYPOTHESIS_PROFILE=thorough`` runs many long random ones (minutes) to hunt for bugs locally.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from mastra_core import create_storage
from mastra_core.clock import advance_clock, reset_clock
from mastra_core.records import Message, MessageContent, Resource, TextPart, Thread

from .factories import base_time
from .harness import Harness
from .model_sides import Side

PROFILES = {
    # CI: a few fixed programs per test; both tests together stay within 20 s per harness on the slowest
    # backend (sqld) even on a busy 2-core machine
    "ci": settings(
        max_examples=3,
        stateful_step_count=25,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    ),
    "thorough": settings(
        max_examples=int(os.environ.get("MASTRA_STATEFUL_EXAMPLES", "300")),
        stateful_step_count=60,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    ),
}
PROFILE_ENV = "MASTRA_HYPOTHESIS_PROFILE"

N_THREADS = 4  # logical threads t0..t3; one may never be saved (messages may point at a missing thread)
N_MESSAGES = 10
N_RESOURCES = 2
N_WORKFLOWS = 2
N_RUNS = 3
ROLES = ("user", "assistant", "system")
STATUSES = ("running", "success", "failed", "suspended", "pending")

offsets = st.integers(0, 4)  # few distinct message timestamps: many ties, broken by save order
thread_metas = st.sampled_from([None, 1, 2, True, [1], {"a": 1}])
per_pages = st.sampled_from([False, 0, 1, 2, 3, 5, 100])


class Runner:
    """The event loop and the backend storage one test run shares across its examples."""

    def __init__(self, harness: Harness, ttl: dict[str, Any] | None = None) -> None:
        self.harness = harness
        self.ttl = ttl
        self.loop = asyncio.new_event_loop()
        self.namespace = f"sf{uuid.uuid4().hex[:12]}"
        overrides = {} if ttl is None else {"ttl": ttl}
        self.storage = self.loop.run_until_complete(harness.make_storage(self.namespace, **overrides))
        self.loop.run_until_complete(self.storage.init())
        self.backend = Side("backend", self.storage, self.loop)

    def oracle(self) -> Side:
        """A fresh in-memory storage for one example."""
        storage = create_storage("inmemory", id=f"oracle-{uuid.uuid4().hex[:8]}", ttl=self.ttl)
        self.loop.run_until_complete(storage.init())
        return Side("oracle", storage, self.loop)

    def close(self) -> None:
        reset_clock()
        try:
            self.loop.run_until_complete(self.storage.close())
            self.loop.run_until_complete(self.harness.cleanup(self.namespace))
        finally:
            self.loop.close()


class StorageModel(RuleBasedStateMachine):
    """Operations on threads, messages, resources and workflow runs, each checked against the oracle."""

    runner: Runner  # set on the subclass the test builds

    def __init__(self) -> None:
        super().__init__()
        self.prefix = f"x{uuid.uuid4().hex[:10]}"
        self.t0 = base_time()
        self.backend = self.runner.backend
        self.oracle = self.runner.oracle()
        for side in (self.backend, self.oracle):
            side.reset(self.t0)
        self.clones: list[str] = []  # logical (and actual: clone_thread takes our id) ids of clone threads
        self.clone_copies: list[str] = []  # logical ids of cloned messages
        self.version = 0

    def teardown(self) -> None:
        self.runner.loop.run_until_complete(self.oracle.storage.close())

    # ------------------------------------------------------------------ ids and records

    def tid(self, i: int) -> str:
        return f"{self.prefix}-t{i}"

    def mid(self, i: int) -> str:
        return f"{self.prefix}-m{i}"

    def rid(self, i: int) -> str:
        return f"{self.prefix}-r{i}"

    def wf(self, i: int) -> str:
        return f"{self.prefix}-w{i}"

    def run_id(self, i: int) -> str:
        return f"{self.prefix}-u{i}"

    def at(self, ms: int) -> datetime:
        return self.t0 + timedelta(milliseconds=ms)

    def next_version(self) -> int:
        self.version += 1
        return self.version

    def threads(self) -> st.SearchStrategy[str]:
        return st.sampled_from([self.tid(i) for i in range(N_THREADS)] + self.clones)

    def message_ids(self) -> st.SearchStrategy[str]:
        """Logical message ids: the plain pool, cloned copies, and one id never saved."""
        return st.sampled_from([self.mid(i) for i in range(N_MESSAGES + 1)] + self.clone_copies)

    # ------------------------------------------------------------------ comparison

    def both(self, call: Callable[[Side], Awaitable[Any]], what: str) -> tuple[Any, Any]:
        """Run ``call`` on the backend, then on the oracle; assert equal normalised outcomes; return the raw ones."""
        got = self.backend.outcome(call)
        want = self.oracle.outcome(call)
        assert self.backend.normalize(got) == self.oracle.normalize(want), what
        return got, want

    def write(self, call: Callable[[Side], Awaitable[Any]], what: str) -> tuple[Any, Any]:
        """A write: as :meth:`both`, then let the clock pass a millisecond, so writes of later steps get later
        timestamps on both sides and the two sides agree on every order of clock-made timestamps."""
        result = self.both(call, what)
        time.sleep(0.002)
        return result

    def same_order(
        self, got: Any, want: Any, key: Callable[[Any], Any], lookup: Callable[[Any], Any], what: str
    ) -> None:
        """Pages whose order may break ties either way: same counts, the same oracle sort keys page by page, and
        every item equal to the oracle's record of it."""
        assert isinstance(got, type(want)), (what, got, want)
        if isinstance(want, tuple):  # an error: the same error class on both sides
            assert got == want, what
            return
        assert (got.total, got.page, got.per_page, got.has_more) == (
            want.total,
            want.page,
            want.per_page,
            want.has_more,
        ), what
        oracle_items = [lookup(item) for item in got.items]
        assert None not in oracle_items, (what, "the backend returned a record the oracle does not have")
        assert [key(o) for o in oracle_items] == [key(w) for w in want.items], what
        assert [self.backend.normalize(g) for g in got.items] == [self.oracle.normalize(o) for o in oracle_items], what

    # ------------------------------------------------------------------ threads

    @initialize(data=st.data())
    def seed_threads(self, data: st.DataObject) -> None:
        for i in range(data.draw(st.integers(0, N_THREADS - 1), label="seed threads")):
            self._save_thread(i, f"title {i}", 0, None, 0)

    def _save_thread(self, i: int, title: str | None, created: int, meta: Any, updated: int) -> None:
        thread = Thread(
            id=self.tid(i),
            resource_id=self.rid(i % N_RESOURCES),
            title=title,
            metadata={"ex": self.prefix, **({} if meta is None else {"k": meta})},
            created_at=self.at(1000 * (i + 1) + created),  # distinct per thread: no created_at ties among threads
            updated_at=self.at(1000 * (i + 1) + updated),
        )
        self.write(lambda s: s.memory.save_thread(thread=thread), f"save_thread {thread}")

    @rule(
        i=st.integers(0, N_THREADS - 1),
        title=st.sampled_from([None, "a", "b"]),
        created=st.integers(0, 2),
        meta=thread_metas,
        updated=st.integers(0, 500),
    )
    def save_thread(self, i: int, title: str | None, created: int, meta: Any, updated: int) -> None:
        self._save_thread(i, title, created, meta, updated)

    @rule(data=st.data(), title=st.sampled_from(["unset", None, "new"]), meta=st.one_of(st.none(), thread_metas))
    def update_thread(self, data: st.DataObject, title: str | None, meta: Any) -> None:
        tid = data.draw(self.threads(), label="thread")
        kwargs: dict[str, Any] = {"id": tid}
        if title != "unset":
            kwargs["title"] = None if title is None else f"{title} {self.next_version()}"
        if meta is not None:
            kwargs["metadata"] = {"k": meta}
        self.write(lambda s: s.memory.update_thread(**kwargs), f"update_thread {kwargs}")

    @rule(data=st.data())
    def delete_thread(self, data: st.DataObject) -> None:
        tid = data.draw(self.threads(), label="thread")
        self.write(lambda s: s.memory.delete_thread(thread_id=tid), f"delete_thread {tid}")

    @rule(data=st.data())
    def get_thread(self, data: st.DataObject) -> None:
        tid = data.draw(self.threads(), label="thread")
        self.both(lambda s: s.memory.get_thread_by_id(thread_id=tid), f"get_thread_by_id {tid}")

    @rule(
        how=st.sampled_from(["resource", "resource+metadata", "metadata", "metadata+k"]),
        resource=st.integers(0, N_RESOURCES - 1),
        k=thread_metas,
        field=st.sampled_from(["created_at", "updated_at"]),
        direction=st.sampled_from(["ASC", "DESC"]),
        per_page=per_pages,
        page=st.integers(0, 3),
    )
    def list_threads(
        self, how: str, resource: int, k: Any, field: str, direction: str, per_page: Any, page: int
    ) -> None:
        flt: dict[str, Any] = {}
        if how.startswith("resource"):
            flt["resource_id"] = self.rid(resource)
        if "metadata" in how:
            flt["metadata"] = {"ex": self.prefix, **({"k": k} if how.endswith("+k") else {})}
        if how == "resource+metadata":
            flt["metadata"] = {"k": k}  # the resource already scopes the query to this example
        page = 0 if per_page is False else page
        order = {"field": field, "direction": direction}
        kwargs = {"filter": flt, "order_by": order, "per_page": per_page, "page": page}

        async def call(s: Side) -> Any:
            return await s.memory.list_threads(**kwargs)

        got, want = self.backend.outcome(call), self.oracle.outcome(call)
        lookup = self._oracle_thread
        self.same_order(got, want, key=lambda t: getattr(t, field), lookup=lookup, what=f"list_threads {kwargs}")

    def _oracle_thread(self, thread: Thread) -> Thread | None:
        found = self.oracle.outcome(lambda s: s.memory.get_thread_by_id(thread_id=thread.id))
        return found if isinstance(found, Thread) else None

    @rule(
        data=st.data(),
        resource=st.one_of(st.none(), st.integers(0, N_RESOURCES - 1)),
        title=st.sampled_from([None, "cloned"]),
        limit=st.sampled_from([None, 0, 1, 2, 5]),
        start=st.one_of(st.none(), offsets),
        end=st.one_of(st.none(), offsets),
        by_id=st.booleans(),
    )
    def clone_thread(
        self,
        data: st.DataObject,
        resource: int | None,
        title: str | None,
        limit: int | None,
        start: int | None,
        end: int | None,
        by_id: bool,
    ) -> None:
        source = data.draw(self.threads(), label="source")
        picked = data.draw(st.lists(self.message_ids(), max_size=4), label="message_ids") if by_id else None
        new_id = f"{self.prefix}-c{len(self.clones)}"
        options: dict[str, Any] = {}
        if limit is not None:
            options["message_limit"] = limit
        mf: dict[str, Any] = {}
        if start is not None:
            mf["start_date"] = self.at(start)
        if end is not None:
            mf["end_date"] = self.at(end)

        async def call(s: Side) -> Any:
            opts = dict(options)
            ids = None if picked is None else [s.actual(m) for m in picked]
            if mf or ids is not None:
                opts["message_filter"] = {**mf, **({} if ids is None else {"message_ids": ids})}
            return await s.memory.clone_thread(
                source_thread_id=source,
                new_thread_id=new_id,
                resource_id=None if resource is None else self.rid(resource),
                title=title,
                metadata={"ex": self.prefix},
                options=opts,
            )

        got = self.backend.outcome(call)
        want = self.oracle.outcome(call)
        if isinstance(got, tuple) or isinstance(want, tuple):
            assert got == want, f"clone_thread {source} -> {new_id}"
        else:
            assert len(got.cloned_messages) == len(want.cloned_messages), f"clone_thread {source} -> {new_id}"
            for k, (g, w) in enumerate(zip(got.cloned_messages, want.cloned_messages, strict=True)):
                logical = f"{new_id}/{k}"
                self.backend.alias(logical, g.id)
                self.oracle.alias(logical, w.id)
                self.clone_copies.append(logical)
            assert self.backend.normalize(got) == self.oracle.normalize(want), f"clone_thread {source} -> {new_id}"
            self.clones.append(new_id)
        time.sleep(0.002)

    # ------------------------------------------------------------------ messages

    @rule(
        items=st.lists(
            st.tuples(
                st.integers(0, N_MESSAGES - 1),
                st.integers(0, N_THREADS - 1),
                offsets,
                st.sampled_from(ROLES),
                st.integers(0, N_RESOURCES - 1),
            ),
            min_size=1,
            max_size=5,
            unique_by=lambda t: t[0],
        )
    )
    def save_messages(self, items: list[tuple[int, int, int, str, int]]) -> None:
        """New messages, upserts of existing ids (created_at kept) and moves to another thread, in one batch."""
        batch = []
        for mi, ti, off, role, res in items:
            text = f"m{mi} v{self.next_version()}"
            batch.append(
                Message(
                    id=self.mid(mi),
                    thread_id=self.tid(ti),
                    resource_id=self.rid(res),
                    role=role,  # type: ignore[arg-type]
                    created_at=self.at(off),
                    content=MessageContent(parts=[TextPart(text=text)], content=text),
                )
            )
        self.write(lambda s: s.memory.save_messages(messages=batch), f"save_messages {[m.id for m in batch]}")

    @rule(data=st.data(), what=st.sampled_from(["role", "text", "metadata", "move", "resource", "several"]))
    def update_messages(self, data: st.DataObject, what: str) -> None:
        ids = data.draw(st.lists(self.message_ids(), min_size=1, max_size=3), label="ids")
        target = data.draw(self.threads(), label="to thread")
        v = self.next_version()
        patch: dict[str, Any] = {}
        if what in ("role", "several"):
            patch["role"] = ROLES[v % len(ROLES)]
        if what in ("text", "several"):
            patch["content"] = {"content": f"edited {v}"}
        if what == "metadata":
            patch["content"] = {"metadata": {f"k{v % 3}": v}}
        if what in ("move", "several"):
            patch["thread_id"] = target
        if what == "resource":
            patch["resource_id"] = self.rid(v % N_RESOURCES)

        async def call(s: Side) -> Any:
            return await s.memory.update_messages(messages=[{"id": s.actual(i), **patch} for i in ids])

        self.write(call, f"update_messages {ids} {patch}")

    @rule(data=st.data())
    def delete_messages(self, data: st.DataObject) -> None:
        ids = data.draw(st.lists(self.message_ids(), max_size=3), label="ids")

        async def call(s: Side) -> Any:
            return await s.memory.delete_messages(message_ids=[s.actual(i) for i in ids])

        self.write(call, f"delete_messages {ids}")

    @rule(data=st.data())
    def list_messages_by_id(self, data: st.DataObject) -> None:
        ids = data.draw(st.lists(self.message_ids(), min_size=1, max_size=6), label="ids")

        async def call(s: Side) -> Any:
            return await s.memory.list_messages_by_id(message_ids=[s.actual(i) for i in ids])

        self.both(call, f"list_messages_by_id {ids}")

    @rule(
        data=st.data(),
        per_page=per_pages,
        page=st.integers(0, 3),
        direction=st.sampled_from(["ASC", "DESC", None]),
        resource=st.one_of(st.none(), st.integers(0, N_RESOURCES - 1)),
        date_range=st.one_of(
            st.none(),
            st.tuples(st.one_of(st.none(), offsets), st.one_of(st.none(), offsets), st.booleans(), st.booleans()),
        ),
    )
    def list_messages(
        self,
        data: st.DataObject,
        per_page: Any,
        page: int,
        direction: str | None,
        resource: int | None,
        date_range: tuple[int | None, int | None, bool, bool] | None,
    ) -> None:
        threads = data.draw(st.lists(self.threads(), min_size=1, max_size=3, unique=True), label="threads")
        includes = data.draw(
            st.lists(st.tuples(self.message_ids(), st.integers(0, 3), st.integers(0, 3)), max_size=2), label="include"
        )
        kwargs: dict[str, Any] = {
            "thread_id": threads[0] if len(threads) == 1 else threads,
            "per_page": per_page,
            "page": 0 if per_page is False else page,
        }
        if direction is not None:
            kwargs["order_by"] = {"field": "created_at", "direction": direction}
        if resource is not None:
            kwargs["resource_id"] = self.rid(resource)
        if date_range is not None:
            start, end, sx, ex = date_range
            kwargs["filter"] = {
                "date_range": {
                    "start": None if start is None else self.at(start),
                    "end": None if end is None else self.at(end),
                    "start_exclusive": sx,
                    "end_exclusive": ex,
                }
            }

        async def call(s: Side) -> Any:
            include = [
                {"id": s.actual(i), "with_previous_messages": p, "with_next_messages": n} for i, p, n in includes
            ]
            return await s.memory.list_messages(**kwargs, include=include)

        self.both(call, f"list_messages {kwargs} include={includes}")

    # ------------------------------------------------------------------ resources

    @rule(
        i=st.integers(0, N_RESOURCES - 1),
        wm=st.sampled_from(["unset", None, "text"]),
        meta=st.one_of(st.none(), st.dictionaries(st.sampled_from("ab"), st.integers(0, 2), max_size=2)),
    )
    def update_resource(self, i: int, wm: str | None, meta: dict[str, int] | None) -> None:
        kwargs: dict[str, Any] = {"resource_id": self.rid(i), "metadata": meta}
        if wm != "unset":
            kwargs["working_memory"] = None if wm is None else f"# memory v{self.next_version()}"
        self.write(lambda s: s.memory.update_resource(**kwargs), f"update_resource {kwargs}")

    @rule(i=st.integers(0, N_RESOURCES - 1), created=st.integers(0, 2), wm=st.sampled_from([None, "saved"]))
    def save_resource(self, i: int, created: int, wm: str | None) -> None:
        resource = Resource(
            id=self.rid(i),
            working_memory=wm,
            metadata={"saved": self.next_version()},
            created_at=self.at(created),
            updated_at=self.at(created + 10),
        )
        self.write(lambda s: s.memory.save_resource(resource=resource), f"save_resource {resource}")

    @rule(i=st.integers(0, N_RESOURCES))
    def get_resource(self, i: int) -> None:
        self.both(lambda s: s.memory.get_resource_by_id(resource_id=self.rid(i)), f"get_resource {i}")

    # ------------------------------------------------------------------ workflow runs

    @rule(
        w=st.integers(0, N_WORKFLOWS - 1),
        u=st.integers(0, N_RUNS - 1),
        status=st.sampled_from(STATUSES),
        resource=st.one_of(st.none(), st.integers(0, N_RESOURCES - 1)),
    )
    def persist_snapshot(self, w: int, u: int, status: str, resource: int | None) -> None:
        v = self.next_version()
        snapshot = {"runId": self.run_id(u), "status": status, "context": {"v": v}, "value": {}, "timestamp": v}
        kwargs: dict[str, Any] = {
            "workflow_name": self.wf(w),
            "run_id": self.run_id(u),
            "snapshot": snapshot,
            "resource_id": None if resource is None else self.rid(resource),
            # distinct per run (no created_at ties among runs); a re-persisted run keeps its first one
            "created_at": self.at(10_000 + 100 * w + 10 * u + v % 3),
            "updated_at": self.at(20_000 + v),
        }
        self.write(lambda s: s.workflows.persist_workflow_snapshot(**kwargs), f"persist {kwargs}")

    @rule(
        w=st.integers(0, N_WORKFLOWS - 1),
        u=st.integers(0, N_RUNS - 1),
        step=st.sampled_from(["s1", "s2"]),
        ctx=st.one_of(st.none(), st.dictionaries(st.sampled_from("ab"), st.integers(0, 2), max_size=2)),
    )
    def update_results(self, w: int, u: int, step: str, ctx: dict[str, int] | None) -> None:
        kwargs = {
            "workflow_name": self.wf(w),
            "run_id": self.run_id(u),
            "step_id": step,
            "result": {"v": self.next_version()},
            "request_context": ctx,
        }
        self.write(lambda s: s.workflows.update_workflow_results(**kwargs), f"update_workflow_results {kwargs}")

    @rule(w=st.integers(0, N_WORKFLOWS - 1), u=st.integers(0, N_RUNS - 1), status=st.sampled_from(STATUSES))
    def update_state(self, w: int, u: int, status: str) -> None:
        opts = {"status": status, "result": {"v": self.next_version()}, "suspended_paths": {"s1": [0]}}
        kwargs = {"workflow_name": self.wf(w), "run_id": self.run_id(u), "opts": opts}
        self.write(lambda s: s.workflows.update_workflow_state(**kwargs), f"update_workflow_state {kwargs}")

    @rule(w=st.integers(0, N_WORKFLOWS - 1), u=st.integers(0, N_RUNS - 1))
    def delete_run(self, w: int, u: int) -> None:
        kwargs = {"workflow_name": self.wf(w), "run_id": self.run_id(u)}
        self.write(lambda s: s.workflows.delete_workflow_run_by_id(**kwargs), f"delete_workflow_run_by_id {kwargs}")

    @rule(w=st.integers(0, N_WORKFLOWS - 1), u=st.integers(0, N_RUNS - 1), by_name=st.booleans())
    def read_run(self, w: int, u: int, by_name: bool) -> None:
        name, rid = self.wf(w), self.run_id(u)
        self.both(lambda s: s.workflows.load_workflow_snapshot(workflow_name=name, run_id=rid), f"load {name} {rid}")
        wf = name if by_name else None
        self.both(lambda s: s.workflows.get_workflow_run_by_id(run_id=rid, workflow_name=wf), f"get_run {wf} {rid}")

    @rule(
        w=st.one_of(st.none(), st.integers(0, N_WORKFLOWS - 1)),
        resource=st.one_of(st.none(), st.integers(0, N_RESOURCES - 1)),
        status=st.one_of(st.none(), st.sampled_from(STATUSES)),
        dates=st.one_of(st.none(), st.tuples(st.integers(10_000, 10_200), st.integers(10_000, 10_200))),
        per_page=st.sampled_from([None, 0, 1, 2, 5]),
        page=st.integers(0, 2),
    )
    def list_runs(
        self,
        w: int | None,
        resource: int | None,
        status: str | None,
        dates: tuple[int, int] | None,
        per_page: int | None,
        page: int,
    ) -> None:
        kwargs: dict[str, Any] = {
            "status": status,
            "per_page": per_page,
            "page": None if per_page is None else page,
        }
        if w is not None:
            kwargs["workflow_name"] = self.wf(w)
        if resource is not None or w is None:  # one of the two scopes the query to this example
            kwargs["resource_id"] = self.rid(resource or 0)
        if dates is not None:
            kwargs["from_date"], kwargs["to_date"] = self.at(dates[0]), self.at(dates[1])

        async def call(s: Side) -> Any:
            return await s.workflows.list_workflow_runs(**kwargs)

        def lookup(run: Any) -> Any:
            return self.oracle.outcome(
                lambda s: s.workflows.get_workflow_run_by_id(run_id=run.run_id, workflow_name=run.workflow_name)
            )

        got, want = self.backend.outcome(call), self.oracle.outcome(call)
        self.same_order(got, want, key=lambda r: r.created_at, lookup=lookup, what=f"list_workflow_runs {kwargs}")


#: Every entity of the memory and workflows domains expires 100 s after its last write.
TTL_SECONDS = 100
#: The clock jumps by whole multiples of this; no sum of jumps lands within 10 s of a TTL, so the few
#: milliseconds between the backend's and the oracle's call never decide whether a record has expired.
JUMP_SECONDS = 30
TTL = {e: {"default_ttl_seconds": TTL_SECONDS} for e in ("thread", "message", "resource", "workflow_snapshot")}


class ExpiringStorageModel(StorageModel):
    """The same operations on storages whose records expire, with a clock the test moves forward."""

    @rule(jumps=st.integers(1, 2))
    def advance_clock(self, jumps: int) -> None:
        advance_clock(timedelta(seconds=JUMP_SECONDS * jumps))

    @rule()
    def prune(self) -> None:
        # counts differ by design (0 where the backend expires natively); what must agree is every later read
        for side in (self.backend, self.oracle):
            side.outcome(lambda s: s.storage.prune())


def _settings() -> settings:
    name = os.environ.get(PROFILE_ENV, "ci")
    if name not in PROFILES:
        raise ValueError(f"{PROFILE_ENV}={name!r}: known profiles are {sorted(PROFILES)}")
    return PROFILES[name]


def _run(harness: Harness, model: type[StorageModel], ttl: dict[str, Any] | None = None) -> None:
    runner = Runner(harness, ttl)
    try:
        machine = type(f"Backend{model.__name__}", (model,), {"runner": runner})
        run_state_machine_as_test(machine, settings=_settings())
    finally:
        runner.close()


def test_random_operation_sequences_match_the_in_memory_reference(harness: Harness) -> None:
    _run(harness, StorageModel)


def test_random_sequences_with_ttl_and_a_moving_clock_match_the_in_memory_reference(harness: Harness) -> None:
    _run(harness, ExpiringStorageModel, TTL)
