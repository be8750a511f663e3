"""Upstash/Redis backend: commands and round trips per operation, ours vs the reference's naive layout; then the
same store over both transports (Redis protocol vs Upstash's REST API): requests, commands and cold start.

Operations: save_messages(10), get_thread_by_id, list_messages last 10 (DESC, per_page 10) and an include
window of +-5 around a middle message on threads of 1k and 10k messages, a list_threads page (20 of a
resource's 1,000 threads), update_resource (working memory).

Three counts per operation:
- round trips: requests the client sent (a pipeline or a script call is one), counted on the connection;
- client commands: commands in those requests (what a per-request bill counts when scripts count once);
- server commands: the INFO commandstats delta, which also counts every redis.call inside a script
  (the number to use if your plan bills script-internal commands).

The naive layout is the reference's (mastra-behaviour.md section 4.6), implemented here only: JSON strings
under ``mastra_threads:id:{id}`` / ``mastra_messages:threadId:{t}:id:{id}``, ``thread:{t}:messages`` zsets
scored by batch index, ``msg-idx:{id}``; thread lists SCAN the keyspace and GET every thread; message pages
ZRANGE the whole thread and GET every message. Redis: ``MASTRA_TEST_REDIS_URL`` (``bash
scripts/services/start.sh redis``), on a fresh prefix; its keys are deleted afterwards. INFO commandstats
is server-wide: run the bench on a quiet server (other clients' commands would show up in the deltas).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import RESULTS, Result, RoundTrips, measure, report

SIZES = (1_000, 10_000)
THREADS = 1_000
ENV = "MASTRA_TEST_REDIS_URL"


def available() -> bool:
    try:
        import mastra_upstash  # noqa: F401
        import redis  # noqa: F401
    except ImportError:
        return False
    return bool(os.environ.get(ENV)) or shutil.which("redis-server") is not None


class PrivateRedis:
    """A throw-away redis-server on a free 127.0.0.1 port, so INFO commandstats counts this bench's commands only.

    Used when ``redis-server`` is on PATH, unless MASTRA_BENCH_SHARED_REDIS=1 (then MASTRA_TEST_REDIS_URL is used).
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Counter(RoundTrips):
    """Round trips (requests sent) and the commands inside them, counted on the client's connections."""

    def __init__(self) -> None:
        super().__init__()
        self.commands = 0
        self.pending = 0


def counting_client(url: str, counter: Counter) -> Any:
    import redis.asyncio as redis

    class CountingConnection(redis.Connection):
        def pack_command(self, *args: Any) -> Any:
            counter.pending += 1
            return super().pack_command(*args)

        async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            counter.hit()
            counter.commands += counter.pending
            counter.pending = 0
            await super().send_packed_command(command, check_health)

    pool = redis.ConnectionPool.from_url(
        url, connection_class=CountingConnection, decode_responses=True, health_check_interval=0, max_connections=4
    )
    return redis.Redis.from_pool(pool)


async def server_commands(admin: Any) -> int:
    """Total calls in INFO commandstats, minus the INFO calls this bench makes itself."""
    stats = await admin.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")


# ------------------------------------------------------------------ the naive layout (reference, section 4.6)


class Naive:
    """The reference's key layout and access paths, just enough to compare costs."""

    def __init__(self, client: Any, ns: str) -> None:
        self.r, self.ns = client, ns

    def thread_key(self, tid: str) -> str:
        return f"{self.ns}mastra_threads:id:{tid}"

    def msg_key(self, tid: str, mid: str) -> str:
        return f"{self.ns}mastra_messages:threadId:{tid}:id:{mid}"

    def zkey(self, tid: str) -> str:
        return f"{self.ns}thread:{tid}:messages"

    async def save_thread(self, tid: str, rid: str, at: datetime, metadata: dict[str, Any] | None = None) -> None:
        doc = {
            "id": tid,
            "resourceId": rid,
            "title": "t",
            "metadata": metadata or {},
            "createdAt": at.isoformat(),
            "updatedAt": at.isoformat(),
        }
        await self.r.set(self.thread_key(tid), json.dumps(doc))

    async def save_messages(self, msgs: list[dict[str, Any]]) -> None:
        tid = msgs[0]["threadId"]
        if await self.r.get(self.thread_key(tid)) is None:  # 1.3 checks the thread exists
            raise LookupError(tid)
        pipe = self.r.pipeline(transaction=False)
        for m in msgs:
            pipe.get(f"{self.ns}msg-idx:{m['id']}")
        existing = await pipe.execute()
        pipe = self.r.pipeline(transaction=True)
        for i, (m, old) in enumerate(zip(msgs, existing, strict=True)):
            if old and old != tid:
                pipe.delete(self.msg_key(old, m["id"]))
                pipe.zrem(self.zkey(old), m["id"])
            pipe.set(self.msg_key(tid, m["id"]), json.dumps({**m, "_index": i}))
            pipe.zadd(self.zkey(tid), {m["id"]: i})
            pipe.set(f"{self.ns}msg-idx:{m['id']}", tid)
        await pipe.execute()
        thread = json.loads(await self.r.get(self.thread_key(tid)))
        thread["updatedAt"] = datetime.now(UTC).isoformat()
        await self.r.set(self.thread_key(tid), json.dumps(thread))

    async def get_thread(self, tid: str) -> Any:
        raw = await self.r.get(self.thread_key(tid))
        return None if raw is None else json.loads(raw)

    async def _get_messages(self, tid: str, ids: list[str]) -> list[dict[str, Any]]:
        pipe = self.r.pipeline(transaction=False)
        for mid in ids:
            pipe.get(self.msg_key(tid, mid))
        return [json.loads(v) for v in await pipe.execute() if v]

    async def last_messages(self, tid: str, n: int) -> list[dict[str, Any]]:
        ids = await self.r.zrange(self.zkey(tid), 0, -1)
        msgs = await self._get_messages(tid, ids)
        msgs.sort(key=lambda m: m["createdAt"])
        return msgs[-n:][::-1]

    async def include_window(self, mid: str, before: int, after: int) -> list[dict[str, Any]]:
        tid = await self.r.get(f"{self.ns}msg-idx:{mid}")
        rank = await self.r.zrank(self.zkey(tid), mid)
        ids = await self.r.zrange(self.zkey(tid), max(0, rank - before), rank + after)
        return await self._get_messages(tid, ids)

    async def list_threads(
        self, rid: str, page: int, per_page: int, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        keys = [k async for k in self.r.scan_iter(match=f"{self.ns}mastra_threads:*", count=10_000)]
        pipe = self.r.pipeline(transaction=False)
        for k in keys:
            pipe.get(k)
        threads = [json.loads(v) for v in await pipe.execute() if v]
        mine = sorted(
            (
                t
                for t in threads
                if t["resourceId"] == rid and all(t["metadata"].get(k) == v for k, v in (metadata or {}).items())
            ),
            key=lambda t: t["createdAt"],
            reverse=True,
        )
        return mine[page * per_page : (page + 1) * per_page]

    async def update_resource(self, rid: str, wm: str) -> None:
        key = f"{self.ns}mastra_resources:{rid}"
        raw = await self.r.get(key)
        doc = json.loads(raw) if raw else {"id": rid, "metadata": {}, "createdAt": datetime.now(UTC).isoformat()}
        doc.update(workingMemory=wm, updatedAt=datetime.now(UTC).isoformat())
        await self.r.set(key, json.dumps(doc))


# ------------------------------------------------------------------ measurement


async def _measure(
    name: str, op: str, fn: Callable[[], Awaitable[Any]], counter: Counter, admin: Any, *, n: int, note: str = ""
) -> tuple[Result, dict[str, Any]]:
    await fn()  # warm (script load, connection)
    c0, s0 = counter.commands, await server_commands(admin)
    t0 = counter.count
    result = await measure(name, op, fn, n=n, warmup=0, trips=counter, note=note)
    s1 = await server_commands(admin)
    calls = {
        "backend": name,
        "op": op,
        "round_trips": (counter.count - t0) / n,
        "client_commands": (counter.commands - c0) / n,
        "server_commands": (s1 - s0) / n,
        "p50_ms": result.p50_ms,
        "p95_ms": result.p95_ms,
    }
    return result, calls


def _messages(tid: str, start: int, n: int, t0: datetime) -> list[Any]:
    from mastra_core.records import Message, MessageContent, TextPart

    return [
        Message(
            id=f"{tid}-{i}",
            role="user" if i % 2 == 0 else "assistant",
            thread_id=tid,
            resource_id="bench",
            content=MessageContent(parts=[TextPart(text=f"message number {i} " + "lorem ipsum " * 8)]),
            created_at=t0 + timedelta(milliseconds=i),
        )
        for i in range(start, start + n)
    ]


# ------------------------------------------------------------------ REST vs Redis protocol (same store, same Redis)

REST_ENV = ("MASTRA_TEST_UPSTASH_REST_URL", "MASTRA_TEST_UPSTASH_REST_TOKEN", "MASTRA_TEST_UPSTASH_REST_REDIS_URL")


def counting_http_client(counter: Counter) -> Any:
    """An httpx client counting requests and the commands in their JSON bodies (a /pipeline row is one command)."""
    import httpx

    async def on_request(request: httpx.Request) -> None:
        body = json.loads(request.content or b"[]")
        counter.hit()
        counter.commands += len(body) if request.url.path.rstrip("/") == "/pipeline" else 1

    return httpx.AsyncClient(event_hooks={"request": [on_request]})


async def rest_vs_redis() -> None:
    """Requests and commands per operation on both transports, and the cold start of a fresh storage object.

    Both stores sit on the same Redis DB: the REST one through the stand-in (``start.sh upstash-rest``), the
    Redis-protocol one directly, so the numbers differ only by transport. Cold start = building a storage,
    ``init()`` and its first ``get_thread_by_id`` answer (a new client and connection each time), which is what a
    serverless function pays on every cold start; over loopback it measures client set-up, not a TLS handshake.
    """
    import redis.asyncio as redis
    from mastra_core import create_storage
    from mastra_core.records import Thread

    url, token, backing = (os.environ.get(k, "") for k in REST_ENV)
    if not (url and token and backing):
        print("REST transport: skipped (run `bash scripts/services/start.sh upstash-rest` and export its lines)")
        return
    run = uuid.uuid4().hex[:8]
    prefix = {"redis": f"bench-tcp:{run}:", "rest": f"bench-rest:{run}:"}
    counters = {"redis": Counter(), "rest": Counter()}
    http = counting_http_client(counters["rest"])
    client = counting_client(backing, counters["redis"])
    stores = {
        "redis": create_storage("upstash", id="tcp", client=client, prefix=prefix["redis"]),
        "rest": create_storage("upstash", id="rest", url=url, token=token, http_client=http, prefix=prefix["rest"]),
    }
    t0 = datetime.now(UTC) - timedelta(days=1)
    table: list[tuple[str, dict[str, tuple[float, float, float]]]] = []
    try:
        for store in stores.values():
            await store.init()
            mem = store.memory
            await mem.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
            await mem.save_messages(messages=_messages("t", 0, 1000, t0))
            for i in range(100):
                at = t0 + timedelta(milliseconds=i)
                await mem.save_thread(thread=Thread(id=f"l{i}", resource_id="lister", created_at=at, updated_at=at))
        seqs = {name: iter(range(10**9)) for name in stores}
        ops: list[tuple[str, Callable[[Any, str], Awaitable[Any]]]] = [
            ("save_messages(10)",
             lambda s, n: s.memory.save_messages(messages=_messages("t", 1000 + next(seqs[n]) * 10, 10, t0))),
            ("get_thread_by_id", lambda s, _n: s.memory.get_thread_by_id(thread_id="t")),
            ("update_resource (working memory)",
             lambda s, n: s.memory.update_resource(resource_id="r", working_memory="# wm")),
            ("list_threads page (20 of 100)",
             lambda s, n: s.memory.list_threads(filter={"resource_id": "lister"}, per_page=20, page=2)),
            ("list_messages last 10 (1k thread)",
             lambda s, n: s.memory.list_messages(thread_id="t", per_page=10,
                                                 order_by={"field": "created_at", "direction": "DESC"})),
            ("include window +-5 (1k thread)",
             lambda s, n: s.memory.list_messages(thread_id="t", per_page=0, include=[
                 {"id": "t-500", "with_previous_messages": 5, "with_next_messages": 5}])),
            ("list_messages_by_id(10)",
             lambda s, n: s.memory.list_messages_by_id(message_ids=[f"t-{i}" for i in range(10)])),
            ("persist_workflow_snapshot",
             lambda s, n: s.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="run",
                                                                snapshot={"status": "running"})),
        ]
        n = 50
        for op, fn in ops:
            row: dict[str, tuple[float, float, float]] = {}
            for name, store in stores.items():
                await fn(store, name)  # warm: scripts loaded, connection open
                c = counters[name]
                r0, k0 = c.count, c.commands
                started = time.perf_counter()
                for _ in range(n):
                    await fn(store, name)
                ms = (time.perf_counter() - started) * 1000 / n
                row[name] = ((c.count - r0) / n, (c.commands - k0) / n, ms)
            table.append((op, row))
        cold: dict[str, list[float]] = {"redis": [], "rest": []}
        for _ in range(10):
            for name in cold:
                started = time.perf_counter()
                fresh = (create_storage("upstash", id="cold", url=backing, prefix=prefix["redis"]) if name == "redis"
                         else create_storage("upstash", id="cold", url=url, token=token, prefix=prefix["rest"]))
                await fresh.init()
                await fresh.memory.get_thread_by_id(thread_id="t")
                cold[name].append((time.perf_counter() - started) * 1000)
                await fresh.close()
    finally:
        for store in stores.values():
            await store.close()
        await http.aclose()
        await client.aclose()
        admin = redis.Redis.from_url(backing, decode_responses=True)
        for p in prefix.values():
            keys = [k async for k in admin.scan_iter(match=p + "*", count=10_000)]
            for i in range(0, len(keys), 1000):
                await admin.unlink(*keys[i : i + 1000])
        await admin.aclose()
    print()
    print("Requests and commands per operation, Redis protocol vs Upstash REST API (same store, same Redis DB)")
    header = (f"{'operation':<36}{'tcp reqs':>9}{'tcp cmds':>9}{'tcp ms':>8}"
              f"{'rest reqs':>10}{'rest cmds':>10}{'rest ms':>9}  same")
    print(header)
    print("-" * len(header))
    out = []
    for op, row in table:
        (tr, tc, tm), (rr, rc, rm) = row["redis"], row["rest"]
        same = "yes" if (tr, tc) == (rr, rc) else "NO"
        print(f"{op:<36}{tr:>9.2f}{tc:>9.2f}{tm:>8.2f}{rr:>10.2f}{rc:>10.2f}{rm:>9.2f}  {same}")
        out.append({"op": op, "redis": row["redis"], "rest": row["rest"]})
    for name, times in cold.items():
        times.sort()
        print(f"cold start to first answer ({name:<5}): median {times[len(times) // 2]:.1f} ms, "
              f"max {times[-1]:.1f} ms over {len(times)} fresh storages")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "upstash_transports.json").write_text(json.dumps({"ops": out, "cold_ms": cold}, indent=2))


async def main() -> None:
    if os.environ.get("MASTRA_BENCH_UPSTASH_ONLY") == "rest":
        await rest_vs_redis()
        return
    private = None
    if shutil.which("redis-server") and os.environ.get("MASTRA_BENCH_SHARED_REDIS") != "1":
        private = PrivateRedis()
        private.start()
        print(f"private redis-server on {private.url} (set MASTRA_BENCH_SHARED_REDIS=1 to use {ENV})")
    try:
        await _run(private.url if private else os.environ[ENV])
    finally:
        if private is not None:
            private.stop()
    await rest_vs_redis()


async def _run(url: str) -> None:
    import redis.asyncio as redis
    from mastra_core import create_storage
    from mastra_core.records import Thread
    from mastra_core.serde import to_wire

    run = uuid.uuid4().hex[:8]
    ours_prefix, naive_prefix = f"bench-upstash:{run}:", f"bench-naive:{run}:"
    admin = redis.Redis.from_url(url, decode_responses=True)
    counter = Counter()
    client = counting_client(url, counter)
    store = create_storage("upstash", id="bench", client=client, prefix=ours_prefix)
    await store.init()
    naive = Naive(client, naive_prefix)
    mem = store.memory
    results: list[Result] = []
    calls: list[dict[str, Any]] = []
    t0 = datetime.now(UTC) - timedelta(days=1)
    try:
        # --- fill: threads of 1k and 10k messages, 1,000 threads for one resource (both layouts)
        fill_start = time.perf_counter()
        for size in SIZES:
            tid = f"thread-{size}"
            await mem.save_thread(thread=Thread(id=tid, resource_id="bench", created_at=t0, updated_at=t0))
            await naive.save_thread(tid, "bench", t0)
            for start in range(0, size, 1000):
                batch = _messages(tid, start, 1000, t0)
                await mem.save_messages(messages=batch)
                await naive.save_messages([{**to_wire(m), "createdAt": m.created_at.isoformat()} for m in batch])
        for i in range(THREADS):
            at = t0 + timedelta(milliseconds=i)
            meta = {"tier": "gold" if i % 100 == 0 else "free"}
            await mem.save_thread(
                thread=Thread(id=f"list-{i}", resource_id="lister", metadata=meta, created_at=at, updated_at=at)
            )
            await naive.save_thread(f"list-{i}", "lister", at, meta)
        print(f"filled both layouts in {time.perf_counter() - fill_start:.1f} s")

        seq = iter(range(10**9))
        await mem.save_thread(thread=Thread(id="writes", resource_id="bench", created_at=t0, updated_at=t0))
        await naive.save_thread("writes", "bench", t0)

        async def ours_save() -> None:
            await mem.save_messages(messages=_messages("writes", next(seq) * 10, 10, t0))

        async def naive_save() -> None:
            msgs = _messages("writes", next(seq) * 10, 10, t0)
            await naive.save_messages([{**to_wire(m), "createdAt": m.created_at.isoformat()} for m in msgs])

        ops: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]], int]] = [
            ("save_messages(10)", ours_save, naive_save, 200),
            (
                "get_thread_by_id",
                lambda: mem.get_thread_by_id(thread_id="thread-1000"),
                lambda: naive.get_thread("thread-1000"),
                300,
            ),
            (
                "update_resource",
                lambda: mem.update_resource(resource_id="bench", working_memory="# wm\n- likes tea"),
                lambda: naive.update_resource("bench", "# wm\n- likes tea"),
                200,
            ),
            (
                "list_threads page (20 of 1,000)",
                lambda: mem.list_threads(filter={"resource_id": "lister"}, per_page=20, page=3),
                lambda: naive.list_threads("lister", 3, 20),
                30,
            ),
            (
                "list_threads metadata filter (10 of 1,000)",
                lambda: mem.list_threads(filter={"resource_id": "lister", "metadata": {"tier": "gold"}}, per_page=20),
                lambda: naive.list_threads("lister", 0, 20, {"tier": "gold"}),
                30,
            ),
        ]
        for size in SIZES:
            tid, middle = f"thread-{size}", f"thread-{size}-{size // 2}"
            ops.append(
                (
                    f"list_messages last 10 ({size // 1000}k thread)",
                    lambda tid=tid: mem.list_messages(
                        thread_id=tid, per_page=10, order_by={"field": "created_at", "direction": "DESC"}
                    ),
                    lambda tid=tid: naive.last_messages(tid, 10),
                    100 if size < 10_000 else 30,
                )
            )
            ops.append(
                (
                    f"include window +-5 ({size // 1000}k thread)",
                    lambda middle=middle, tid=tid: mem.list_messages(
                        thread_id=tid,
                        per_page=0,
                        include=[{"id": middle, "with_previous_messages": 5, "with_next_messages": 5}],
                    ),
                    lambda middle=middle: naive.include_window(middle, 5, 5),
                    200,
                )
            )
        for op, ours, theirs, n in ops:
            r1, c1 = await _measure("upstash", op, ours, counter, admin, n=n)
            r2, c2 = await _measure("naive-redis", op, theirs, counter, admin, n=min(n, 50))
            results += [r1, r2]
            calls += [c1, c2]
        report(results, "upstash")
        print()
        header = (f"{'operation':<46}{'ours trips':>11}{'ours cmds':>10}{'ours srv':>9}"
              f"{'naive trips':>12}{'naive cmds':>11}{'naive srv':>10}")
        print(header)
        print("-" * len(header))
        for i in range(0, len(calls), 2):
            o, nv = calls[i], calls[i + 1]
            print(
                f"{o['op']:<46}{o['round_trips']:>11.2f}{o['client_commands']:>10.2f}{o['server_commands']:>9.1f}"
                f"{nv['round_trips']:>12.2f}{nv['client_commands']:>11.2f}{nv['server_commands']:>10.1f}"
            )
        print()
        ours = {c["op"]: c for c in calls if c["backend"] == "upstash"}
        budgets = [  # DESIGN.md section 5 and the issue: (operation, what is limited, limit)
            ("save_messages(10)", "round_trips", 1),
            ("get_thread_by_id", "client_commands", 1),
            ("list_threads page (20 of 1,000)", "round_trips", 2),
            ("list_messages last 10 (1k thread)", "round_trips", 2),
            ("list_messages last 10 (10k thread)", "round_trips", 2),
            ("include window +-5 (1k thread)", "round_trips", 2),
            ("include window +-5 (10k thread)", "round_trips", 2),
        ]
        for op, what, limit in budgets:
            got = ours[op][what]
            print(f"budget {op:<40} {what:<16} {got:5.2f} <= {limit}  {'ok' if got <= limit else 'OVER BUDGET'}")
        flat = (
            ours["list_messages last 10 (10k thread)"]["server_commands"]
            == ours["list_messages last 10 (1k thread)"]["server_commands"]
        )
        print(f"last-10 page server commands independent of thread length (1k vs 10k): {'yes' if flat else 'NO'}")
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "upstash_commands.json").write_text(json.dumps(calls, indent=2))
    finally:
        await store.close()
        for prefix in (ours_prefix, naive_prefix):
            keys = [k async for k in admin.scan_iter(match=prefix + "*", count=10_000)]
            for i in range(0, len(keys), 1000):
                await admin.unlink(*keys[i : i + 1000])
        await client.aclose()
        await admin.aclose()
