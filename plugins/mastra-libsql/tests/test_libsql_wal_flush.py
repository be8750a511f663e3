"""The background WAL flush of a file store (``mastra_libsql.walflush``): when it runs, what it leaves alone, how it
stops, and that what was written is all there. What it is for (shorter checkpoint pauses) is measured in
``bench/bench_libsql_checkpoints.py``, never asserted here."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from pathlib import Path

import pytest
from mastra_core import ConfigError
from mastra_core.records import Thread
from mastra_libsql import LibSQLStore
from mastra_libsql.walflush import DEFAULT_EVERY, WalFlusher

_THREAD_NAME = "mastra-libsql-wal-flush"


def _stopped(thread: threading.Thread | None) -> bool:
    """The flusher's own thread is gone (only its own: a store another test left open may still have one)."""
    return thread is None or not thread.is_alive()


def _write(path: str, data: bytes) -> None:
    Path(path).write_bytes(data)


def _exists(path: str) -> bool:
    return os.path.exists(path)


async def _until(check: object, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting for the flusher"
        await asyncio.sleep(0.01)


async def test_a_file_store_flushes_its_wal_every_n_writes(tmp_path: Path) -> None:
    every = 64  # more than init's own writes (schema, migrations: they count too), so only the test's wake it
    store = LibSQLStore(id="wf", url=f"file:{tmp_path}/a.db", wal_flush_every=every)
    await store.init()
    try:
        wal = store.db.wal
        assert wal is not None and wal.path == f"{tmp_path}/a.db-wal" and wal.every == every
        assert wal._thread is None and wal.flushes == 0 and 0 < wal._pending < every
        # Just enough writes for one wake, so exactly one flush. With more, the thread may still be on a later wake
        # when the reads below begin, and a flush they did not cause would be counted against them (CI saw it).
        first_wake = every - wal._pending
        for i in range(first_wake):
            await store.memory.save_thread(thread=Thread(id=f"t{i}", resource_id="r"))
        await _until(lambda: wal.flushes >= 1)
        thread = wal._thread
        assert thread is not None and thread.name == _THREAD_NAME and thread.daemon
        assert _exists(wal.path)
        for _ in range(every + 1):  # reads are not writes: not counted, no flush
            await store.memory.get_thread_by_id(thread_id="t1")
        await asyncio.sleep(0.05)
        assert (wal.flushes, wal._pending) == (1, 0)
        for i in range(first_wake, first_wake + every):  # the next wake
            await store.memory.save_thread(thread=Thread(id=f"t{i}", resource_id="r"))
        await _until(lambda: wal.flushes == 2)
    finally:
        await store.close()
    assert store.db.wal is None
    assert _stopped(thread), "close() stops the flush thread"
    reopened = LibSQLStore(id="wf2", url=f"file:{tmp_path}/a.db", wal_flush_every=0)
    await reopened.init()
    try:
        assert reopened.db.wal is None  # 0 turns it off
        threads = await reopened.memory.list_threads(filter={"resource_id": "r"}, per_page=200)
        assert sorted(t.id for t in threads.items) == sorted(f"t{i}" for i in range(first_wake + every))
    finally:
        await reopened.close()


async def test_no_flusher_in_memory_and_the_default_interval(tmp_path: Path) -> None:
    memory = LibSQLStore(id="mem", url=":memory:")
    await memory.init()
    try:
        assert memory.db.wal is None
        for i in range(2 * DEFAULT_EVERY):  # writes enough for two flushes on a file: none here
            await memory.memory.save_thread(thread=Thread(id=f"t{i}", resource_id="r"))
        assert memory.db.wal is None
    finally:
        await memory.close()
    on_file = LibSQLStore(id="file", url=f"file:{tmp_path}/b.db")
    await on_file.init()
    try:
        assert on_file.db.wal is not None and on_file.db.wal.every == DEFAULT_EVERY
    finally:
        await on_file.close()


@pytest.mark.parametrize("bad", [-1, True, 2.5, "8"])
def test_wal_flush_every_is_validated(bad: object) -> None:
    with pytest.raises(ConfigError, match="wal_flush_every must be an integer >= 0"):
        LibSQLStore(id="bad", url="file:x.db", wal_flush_every=bad)


def test_the_option_in_the_url(tmp_path: Path) -> None:
    store = LibSQLStore.from_url(f"file:{tmp_path}/c.db?wal_flush_every=7", id="url")
    assert store.config.wal_flush_every == 7


async def test_a_missing_wal_file_is_skipped_and_a_deleted_one_reopened(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    lazy = WalFlusher(str(path), every=3)
    lazy.wrote()
    lazy.wrote()
    assert lazy._thread is None  # fewer writes than `every`: no thread (a store that only reads never has one)
    lazy.wrote()
    started = lazy._thread
    assert started is not None and started.name == _THREAD_NAME
    lazy.close()
    assert _stopped(started)
    flusher = WalFlusher(str(path), every=1)
    try:
        flusher.wrote()  # no WAL file yet (not in WAL mode): nothing to flush, no error
        await asyncio.sleep(0.05)
        assert flusher.flushes == 0
        _write(f"{path}-wal", b"x" * 4096)
        flusher.wrote()
        await _until(lambda: flusher.flushes == 1)
        first = os.fstat(flusher._fd).st_ino  # type: ignore[arg-type]
        os.unlink(f"{path}-wal")  # the WAL is deleted (journal mode changed elsewhere), then a new one appears
        _write(f"{path}-wal", b"y" * 4096)
        flusher.wrote()
        await _until(lambda: flusher.flushes == 2)
        assert os.fstat(flusher._fd).st_ino == os.stat(f"{path}-wal").st_ino != first  # type: ignore[arg-type]
        thread = flusher._thread
    finally:
        flusher.close()
    assert flusher._fd is None and _stopped(thread)


async def test_a_failing_flush_warns_once_and_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "e.db"
    os.mkfifo(f"{path}-wal")  # fdatasync on a FIFO fails (EINVAL); opening it read-only must not block either
    flusher = WalFlusher(str(path), every=1)
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(3):
                flusher.wrote()
                await asyncio.sleep(0.05)
            await _until(lambda: flusher._failed)
        assert flusher.flushes == 0
        warnings = [r for r in caplog.records if "WAL background flush failed" in r.getMessage()]
        assert len(warnings) == 1
        thread = flusher._thread
    finally:
        flusher.close()
    assert _stopped(thread)
