"""The read ops every message bench (pg, libsql, dynamodb) measures on ONE thread of 1k, 100k or 1M messages.

A bench seeds a thread of ``size`` messages ``<thread>-<i>``, 1 ms apart from ``t0``, text ``message <i> ...``, even
``i`` from the user, in a resource that has :data:`THREADS_PER_RESOURCE` threads in all; then :func:`verify` reads
it back through the store (a seed that bypasses ``save_messages`` must write exactly what the store writes) and
:func:`read_ops` gives the ops to time. The op names carry the size (``[100,000]``), which ``bench/report.py`` plots.
Sizes: ``BENCH_THREAD_SIZES=1000,100000,1000000`` (every message bench; small defaults for ``nox -s bench``).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import attrs

THREADS_PER_RESOURCE = 100
PAGE = 40
#: the date-range page: a 100 ms window (100 messages) in the middle of the thread
WINDOW_MS = 100
DESC = {"field": "created_at", "direction": "DESC"}


def sizes(default: str) -> list[int]:
    """The thread sizes to measure: ``BENCH_THREAD_SIZES`` or the bench's own default."""
    return [int(x) for x in os.environ.get("BENCH_THREAD_SIZES", default).split(",") if x.strip()]


def text(i: int) -> str:
    """Message ``i``'s text (a seed in SQL writes the same)."""
    return f"message {i} " + "lorem ipsum " * 8


@attrs.frozen
class SeededThread:
    thread_id: str
    resource_id: str
    t0: datetime
    size: int

    def message_id(self, i: int) -> str:
        return f"{self.thread_id}-{i}"

    @property
    def middle(self) -> int:
        return self.size // 2


Op = tuple[str, Callable[[], Awaitable[Any]]]


def read_ops(memory: Any, t: SeededThread) -> list[Op]:
    """(name with the size, call) of every read measured."""
    from mastra_core.records import MessageInclude

    tag = f"[{t.size:,}]"
    inc = [MessageInclude(id=t.message_id(t.middle), with_previous_messages=2, with_next_messages=2)]
    start = t.t0 + timedelta(milliseconds=t.middle)
    window = {"date_range": {"start": start, "end": start + timedelta(milliseconds=WINDOW_MS - 1)}}
    tid = t.thread_id
    return [
        (f"get_thread_by_id {tag}", lambda: memory.get_thread_by_id(thread_id=tid)),
        (f"list_messages last 10 DESC {tag}", lambda: memory.list_messages(thread_id=tid, per_page=10, order_by=DESC)),
        (f"list_messages first page of {PAGE} ASC {tag}", lambda: memory.list_messages(thread_id=tid, per_page=PAGE)),
        (f"list_messages page 2 of {PAGE} DESC {tag}",
         lambda: memory.list_messages(thread_id=tid, page=1, per_page=PAGE, order_by=DESC)),
        (f"list_messages date range {WINDOW_MS} ms mid-thread, page of {PAGE} {tag}",
         lambda: memory.list_messages(thread_id=tid, per_page=PAGE, filter=window)),
        (f"include window +-2 middle (per_page 0) {tag}",
         lambda: memory.list_messages(thread_id=tid, per_page=0, include=inc)),
        (f"last 10 DESC + include window {tag}",
         lambda: memory.list_messages(thread_id=tid, per_page=10, order_by=DESC, include=inc)),
        (f"list_threads(resource, 20 of {THREADS_PER_RESOURCE}) {tag}",
         lambda: memory.list_threads(filter={"resource_id": t.resource_id}, per_page=20)),
    ]


async def add_sibling_threads(memory: Any, t: SeededThread) -> None:
    """The other threads of the seeded thread's resource (list_threads pages through them)."""
    from mastra_core.records import Thread

    for i in range(THREADS_PER_RESOURCE - 1):
        await memory.save_thread(thread=Thread(id=f"{t.thread_id}-sib{i}", resource_id=t.resource_id, title=f"s{i}"))


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(f"seeded thread read back wrong: {what}")


async def verify(memory: Any, t: SeededThread) -> None:
    """Read the seeded thread back through the store: totals, order, ids, roles, texts, times, windows."""
    from mastra_core.records import MessageInclude

    last = await memory.list_messages(thread_id=t.thread_id, per_page=10, order_by=DESC)
    _check(last.total == t.size, f"total {last.total} != {t.size}")
    _check([m.id for m in last.items] == [t.message_id(i) for i in range(t.size - 1, t.size - 11, -1)], "last 10")
    first = await memory.list_messages(thread_id=t.thread_id, per_page=3)
    _check([m.id for m in first.items] == [t.message_id(i) for i in range(3)], "first 3")
    mid = t.middle
    inc = [MessageInclude(id=t.message_id(mid), with_previous_messages=2, with_next_messages=2)]
    win = await memory.list_messages(thread_id=t.thread_id, per_page=0, include=inc)
    _check([m.id for m in win.items] == [t.message_id(i) for i in range(mid - 2, mid + 3)], "include window")
    for i, m in zip(range(mid - 2, mid + 3), win.items, strict=True):
        _check(m.role == ("user" if i % 2 == 0 else "assistant"), f"role of {m.id}")
        _check(m.thread_id == t.thread_id and m.resource_id == t.resource_id, f"thread/resource of {m.id}")
        _check(m.created_at == t.t0 + timedelta(milliseconds=i), f"created_at of {m.id}: {m.created_at}")
        parts = m.content.parts
        _check(len(parts) == 1 and parts[0].text == text(i), f"text of {m.id}: {parts}")
    threads = await memory.list_threads(filter={"resource_id": t.resource_id}, per_page=20)
    _check(threads.total == THREADS_PER_RESOURCE and len(threads.items) == 20, f"list_threads total {threads.total}")
