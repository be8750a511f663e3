"""10,000 threads of one resource, listed page by page: every thread exactly once, in order, one round trip a page.

(The reference SCANs the whole keyspace and GETs every thread for each list call, and broke past 1,000 threads.)
"""

from __future__ import annotations

from datetime import timedelta

from mastra_core.clock import utc_now
from mastra_core.records import Thread

N = 10_000


async def test_ten_thousand_threads_listed_page_by_page(recorded, make_store) -> None:
    store, rec = recorded
    t0 = utc_now() - timedelta(days=1)
    # created_at advances every 3 threads: ties must keep save order; another resource's threads interleave
    threads = [Thread(id=f"t{i:05d}", resource_id="user-1", title=f"#{i}",
                      created_at=t0 + timedelta(milliseconds=i // 3), updated_at=t0 + timedelta(milliseconds=i // 3))
               for i in range(N)]
    for i, thread in enumerate(threads):
        await store.memory.save_thread(thread=thread)
        if i % 10 == 0:
            other = Thread(id=f"other{i}", resource_id="user-2", created_at=t0, updated_at=t0)
            await store.memory.save_thread(thread=other)
    newest_first = [t.id for t in reversed(threads)]

    seen: list[str] = []
    page_no = 0
    while True:
        rec.reset()
        page = await store.memory.list_threads(filter={"resource_id": "user-1"}, page=page_no, per_page=100)
        assert rec.trips == [["EVALSHA"]]
        assert page.total == N and len(page.items) <= 100
        seen += [t.id for t in page.items]
        if not page.has_more:
            break
        page_no += 1
    assert page_no == 99 and seen == newest_first

    asc = []
    for page_no in range(10):
        page = await store.memory.list_threads(filter={"resource_id": "user-1"}, page=page_no, per_page=1000,
                                               order_by={"field": "updated_at", "direction": "ASC"})
        asc += [t.id for t in page.items]
        assert page.has_more == (page_no < 9)
    assert asc == [t.id for t in threads]
    beyond = await store.memory.list_threads(filter={"resource_id": "user-1"}, page=100, per_page=100)
    assert beyond.items == [] and beyond.total == N and not beyond.has_more
    everything = await store.memory.list_threads(per_page=250, page=3)
    assert everything.total == N + N // 10 and len(everything.items) == 250
    one = await store.memory.list_threads(filter={"resource_id": "user-1"}, page=4321, per_page=1)
    assert [t.id for t in one.items] == [newest_first[4321]] and one.items[0] == threads[N - 1 - 4321]
