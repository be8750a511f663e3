"""save_thread on a file when what this store saw of a thread is out of date (``domains/thread_save.py``).

The store remembers the threads it saw live and resaves one with a single narrow UPDATE guarded by what it saw.
Another store on the same file changes the row behind its back here: every save must still store the thread as
given, keep the createdAt the row has (or take the new one when the row is gone or expired) and return the row
as stored, exactly as a store that never saw the thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mastra_core.clock import advance_clock, reset_clock
from mastra_core.records import Thread
from mastra_libsql import LibSQLStore
from mastra_libsql.connection import RecordingConnection

OLD = datetime(2020, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
OTHER = datetime(2021, 6, 7, 8, 9, 10, 11000, tzinfo=UTC)


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[LibSQLStore, LibSQLStore]]:
    """Ours and another store on the same file, neither with a TTL."""
    url = f"file:{tmp_path / 'seen.db'}"
    ours, other = LibSQLStore(id="ours", url=url), LibSQLStore(id="other", url=url)
    await ours.init()
    await other.init()
    yield ours, other
    await other.close()
    await ours.close()


@pytest.fixture
async def expiring(stores: tuple[LibSQLStore, LibSQLStore]) -> AsyncIterator[LibSQLStore]:
    """A third store on the same file whose threads expire 60 s after each save."""
    store = LibSQLStore(id="expiring", url=f"file:{stores[0].db.target.database}",
                        ttl={"thread": {"default_ttl_seconds": 60}})
    await store.init()
    yield store
    reset_clock()
    await store.close()


def _thread(resource: str = "r", title: str = "new", created: datetime | None = None) -> Thread:
    return Thread(id="t", resource_id=resource, title=title, metadata={"v": title},
                  **({"created_at": created} if created else {}))


async def _stored(store: LibSQLStore) -> Thread:
    got = await store.memory.get_thread_by_id(thread_id="t")
    assert got is not None
    return got


async def _statements(store: LibSQLStore, thread: Thread) -> tuple[Thread, int]:
    recorder = RecordingConnection(store.db.conn)
    store.db.conn = recorder
    try:
        saved = await store.memory.save_thread(thread=thread)
    finally:
        store.db.conn = recorder.inner
    return saved, len(recorder.statements)


async def test_a_seen_thread_is_resaved_with_one_statement_and_keeps_created_at(
        stores: tuple[LibSQLStore, LibSQLStore]) -> None:
    ours, _ = stores
    first = await ours.memory.save_thread(thread=_thread(title="a", created=OLD))
    saved, statements = await _statements(ours, _thread(title="b"))
    assert statements == 1
    assert saved.created_at == OLD == first.created_at
    assert (saved.title, saved.metadata) == ("b", {"v": "b"})
    assert await _stored(ours) == saved


async def test_a_thread_recreated_elsewhere_with_another_created_at(stores: tuple[LibSQLStore, LibSQLStore]) -> None:
    ours, other = stores
    await ours.memory.save_thread(thread=_thread(title="a", created=OLD))
    await other.memory.delete_thread(thread_id="t")
    await other.memory.save_thread(thread=_thread(title="x", created=OTHER))
    other_row = await _stored(other)
    saved = await ours.memory.save_thread(thread=_thread(title="b", created=OLD))
    assert saved.created_at == OTHER  # the row's own
    assert await _stored(ours) == saved
    assert saved.updated_at >= other_row.updated_at


async def test_a_thread_deleted_elsewhere_is_created_anew(stores: tuple[LibSQLStore, LibSQLStore]) -> None:
    ours, other = stores
    await ours.memory.save_thread(thread=_thread(title="a", created=OLD))
    await other.memory.delete_thread(thread_id="t")
    given = _thread(title="b", created=OTHER)
    saved = await ours.memory.save_thread(thread=given)
    assert saved.created_at == OTHER
    assert await _stored(ours) == saved == given


async def test_a_thread_moved_to_another_resource(stores: tuple[LibSQLStore, LibSQLStore]) -> None:
    ours, other = stores
    await ours.memory.save_thread(thread=_thread(resource="r", title="a", created=OLD))
    saved = await ours.memory.save_thread(thread=_thread(resource="r2", title="b"))
    assert (saved.resource_id, saved.created_at) == ("r2", OLD)
    assert await _stored(other) == saved
    page = await other.memory.list_threads(filter={"resource_id": "r2"})
    assert [t.id for t in page.items] == ["t"]
    assert (await other.memory.list_threads(filter={"resource_id": "r"})).total == 0


async def test_a_thread_given_an_expiry_elsewhere(stores: tuple[LibSQLStore, LibSQLStore],
                                                  expiring: LibSQLStore) -> None:
    ours, _ = stores
    await ours.memory.save_thread(thread=_thread(title="a", created=OLD))
    await expiring.memory.save_thread(thread=_thread(title="x"))  # live, now with an expiry in 60 s
    saved = await ours.memory.save_thread(thread=_thread(title="b"))
    assert saved.created_at == OLD
    advance_clock(timedelta(seconds=120))
    assert await _stored(ours) == saved  # ours has no TTL: the save cleared the expiry


async def test_a_thread_expired_elsewhere_is_replaced_as_new(stores: tuple[LibSQLStore, LibSQLStore],
                                                            expiring: LibSQLStore) -> None:
    ours, _ = stores
    await ours.memory.save_thread(thread=_thread(title="a", created=OLD))
    await expiring.memory.save_thread(thread=_thread(title="x"))
    advance_clock(timedelta(seconds=120))  # the other store's row has expired
    given = _thread(title="b", created=OTHER)
    saved = await ours.memory.save_thread(thread=given)
    assert saved.created_at == OTHER
    assert await _stored(ours) == saved == given


async def test_a_new_id_that_exists_elsewhere_keeps_its_created_at(stores: tuple[LibSQLStore, LibSQLStore],
                                                                  expiring: LibSQLStore) -> None:
    ours, _ = stores
    await expiring.memory.save_thread(thread=_thread(title="x", created=OLD))
    saved, statements = await _statements(ours, _thread(title="b", created=OTHER))
    assert statements == 2  # the INSERT finds the row; the UPDATE of the live row
    assert saved.created_at == OLD
    assert await _stored(ours) == saved
    again, statements = await _statements(ours, _thread(title="c"))
    assert statements == 1  # seen now (the save cleared the other store's expiry): the narrow UPDATE
    assert again.created_at == OLD


async def test_a_thread_read_is_resaved_with_one_statement(stores: tuple[LibSQLStore, LibSQLStore]) -> None:
    ours, other = stores
    await other.memory.save_thread(thread=_thread(title="x", created=OLD))
    fresh = LibSQLStore(id="fresh", url=f"file:{ours.db.target.database}")
    try:
        await fresh.init()
        await fresh.memory.get_thread_by_id(thread_id="t")
        saved, statements = await _statements(fresh, _thread(title="b"))
        assert statements == 1
        assert saved.created_at == OLD
        assert await _stored(ours) == saved
    finally:
        await fresh.close()


async def test_a_thread_deleted_by_this_store_then_saved(stores: tuple[LibSQLStore, LibSQLStore]) -> None:
    ours, _ = stores
    await ours.memory.save_thread(thread=_thread(title="a", created=OLD))
    await ours.memory.delete_thread(thread_id="t")
    saved, statements = await _statements(ours, _thread(title="b", created=OTHER))
    assert statements == 1  # forgotten on delete: a plain INSERT
    assert saved.created_at == OTHER


async def test_a_thread_moved_elsewhere_is_moved_back(stores: tuple[LibSQLStore, LibSQLStore]) -> None:
    ours, other = stores
    await ours.memory.save_thread(thread=_thread(resource="r", title="a", created=OLD))
    await other.memory.save_thread(thread=_thread(resource="r2", title="x"))  # keeps createdAt, new resource
    saved = await ours.memory.save_thread(thread=_thread(resource="r", title="b"))
    assert (saved.resource_id, saved.created_at) == ("r", OLD)
    assert await _stored(other) == saved
