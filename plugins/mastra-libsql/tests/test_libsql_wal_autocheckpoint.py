"""``wal_autocheckpoint``: the WAL pages after which a file store's commit checkpoints (SQLite's own pragma).

What it changes is read from the engine and the files: the pragma on the store's connection, and the WAL file's
size, which records the most frames the WAL ever held (SQLite reuses the file from its start after a checkpoint
and never shrinks it here). Why 4,000 is the default (fewer checkpoint pauses on the event loop) is measured in
``bench/bench_libsql_checkpoints.py``, never asserted here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mastra_core import ConfigError
from mastra_core.records import Message, Thread
from mastra_libsql import LibSQLStore
from mastra_libsql.connection import DEFAULT_AUTOCHECKPOINT

_PAGE = 4096
_WAL_HEADER, _FRAME_HEADER = 32, 24


def _pragma(store: LibSQLStore) -> int:
    (value,) = store.db.conn.execute("PRAGMA wal_autocheckpoint").fetchall()[0]
    return int(value)


def _most_frames(path: str) -> int:
    """The most frames the WAL has held (its file's size; 0 when there is none)."""
    size = os.path.getsize(path) if os.path.exists(path) else 0
    return max(0, size - _WAL_HEADER) // (_FRAME_HEADER + _PAGE)


async def _save_big(store: LibSQLStore, message_id: str) -> None:
    """One message of ~12 KB in thread ``t``: a few overflow pages, so ~5 WAL frames a save."""
    await store.memory.save_messages(messages=[
        Message.from_text(message_id + "x" * 12_000, id=message_id, thread_id="t", resource_id="r")])


async def _write_frames(store: LibSQLStore, path: str, frames: int) -> int:
    """Save big messages (:func:`_save_big`) until the WAL has held ``frames`` frames; the writes made."""
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    writes = 0
    while _most_frames(path) < frames:
        assert writes < 5000, "the WAL never grew: are the writes reaching the file?"
        await _save_big(store, f"m{writes}")
        writes += 1
    return writes


async def test_a_file_store_sets_the_default_and_the_wal_outgrows_sqlites_1000(tmp_path: Path) -> None:
    store = LibSQLStore(id="ac", url=f"file:{tmp_path}/a.db")
    await store.init()
    try:
        assert DEFAULT_AUTOCHECKPOINT == 4000 and _pragma(store) == 4000
        await _write_frames(store, f"{tmp_path}/a.db-wal", 1500)  # past SQLite's default mark, short of ours
        assert 1500 <= _most_frames(f"{tmp_path}/a.db-wal") < DEFAULT_AUTOCHECKPOINT
    finally:
        await store.close()


async def test_an_explicit_1000_checkpoints_at_sqlites_mark(tmp_path: Path) -> None:
    store = LibSQLStore(id="ac", url=f"file:{tmp_path}/b.db", wal_autocheckpoint=1000)
    await store.init()
    try:
        assert _pragma(store) == 1000
        await _write_frames(store, f"{tmp_path}/b.db-wal", 900)
        for i in range(300):  # ~5 frames each: 1,500 more, and the WAL starts over after each checkpoint
            await _save_big(store, f"n{i}")
        assert 900 <= _most_frames(f"{tmp_path}/b.db-wal") < 1100
        page = await store.memory.list_messages(thread_id="t", per_page=0)
        assert page.total >= 300 + 1  # nothing lost across the checkpoints
    finally:
        await store.close()


async def test_zero_turns_automatic_checkpoints_off_and_the_url_takes_it(tmp_path: Path) -> None:
    store = LibSQLStore.from_url(f"file:{tmp_path}/c.db?wal_autocheckpoint=0", id="url")
    assert store.config.wal_autocheckpoint == 0
    await store.init()
    try:
        assert _pragma(store) == 0
    finally:
        await store.close()


@pytest.mark.parametrize("bad", [-1, True, 2.5, "8"])
def test_wal_autocheckpoint_is_validated(bad: object) -> None:
    with pytest.raises(ConfigError, match="wal_autocheckpoint must be an integer >= 0"):
        LibSQLStore(id="bad", url="file:x.db", wal_autocheckpoint=bad)
