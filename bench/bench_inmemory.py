"""The in-memory reference backend, measured exactly like bench_libsql (same operations and thread sizes).

It has no round trips; the numbers show the cost of the executable spec itself (deep copies, and a
sort of the whole thread on every list_messages).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

from bench.common import Result, measure, report

SIZES = (1_000, 100_000)
FILL_BATCH = 5_000


def _messages(thread_id: str, start: int, n: int, t0: Any) -> list[Any]:
    from mastra_core.records import Message, MessageContent, TextPart

    return [
        Message(
            id=f"{thread_id}-{i}",
            role="user" if i % 2 == 0 else "assistant",
            thread_id=thread_id,
            resource_id="bench",
            content=MessageContent(parts=[TextPart(text=f"message number {i} " + "lorem ipsum " * 8)]),
            created_at=t0 + timedelta(milliseconds=i),
        )
        for i in range(start, start + n)
    ]


async def main() -> None:
    from mastra_core import create_storage
    from mastra_core.clock import utc_now
    from mastra_core.records import Thread

    n = int(os.environ.get("BENCH_N", "200"))
    results: list[Result] = []
    store = create_storage("inmemory", id="bench-inmemory")
    await store.init()
    await store.memory.save_thread(thread=Thread(id="writes", resource_id="bench"))
    for size in SIZES:
        tid = f"t{size}"
        t0 = utc_now() - timedelta(days=30)
        await store.memory.save_thread(thread=Thread(id=tid, resource_id="bench", title=tid))
        start = time.perf_counter()
        for i in range(0, size, FILL_BATCH):
            await store.memory.save_messages(messages=_messages(tid, i, min(FILL_BATCH, size - i), t0))
        fill_s = time.perf_counter() - start
        counter = iter(range(10**9))

        async def save10(counter: Any = counter) -> None:
            k = next(counter)
            await store.memory.save_messages(messages=_messages("writes", k * 10, 10, utc_now()))

        mid = f"{tid}-{size // 2}"
        small = max(10, n // 10) if size >= 100_000 else n  # a full sort per call: fewer samples on the big thread
        results.append(
            await measure(
                "inmemory",
                f"save_messages(10) [thread {size}]",
                save10,
                n=n,
                note=f"fill {size} msgs: {size / fill_s:,.0f} msg/s",
            )
        )
        results.append(
            await measure(
                "inmemory",
                f"get_thread_by_id [{size}]",
                lambda tid=tid: store.memory.get_thread_by_id(thread_id=tid),
                n=n,
            )
        )
        results.append(
            await measure(
                "inmemory",
                f"list_messages last 10 DESC [{size}]",
                lambda tid=tid: store.memory.list_messages(
                    thread_id=tid, per_page=10, order_by={"field": "createdAt", "direction": "DESC"}
                ),
                n=small,
                warmup=2,
            )
        )
        results.append(
            await measure(
                "inmemory",
                f"include window +-2 middle [{size}]",
                lambda tid=tid, mid=mid: store.memory.list_messages(
                    thread_id=tid, per_page=0, include=[{"id": mid, "withPreviousMessages": 2, "withNextMessages": 2}]
                ),
                n=small,
                warmup=2,
            )
        )
    await store.close()
    report(results, "inmemory")


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
