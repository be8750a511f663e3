"""The blocking facade runs the same async implementation on a private loop."""

from __future__ import annotations

import pytest
from mastra_core import Thread, ValidationError
from mastra_core.records import Message
from mastra_core.sync import create_storage, open_storage


def test_sync_facade_round_trip() -> None:
    with create_storage("inmemory") as storage:
        storage.memory.save_thread(thread=Thread(id="t", resource_id="u"))
        storage.memory.save_messages(messages=[Message.from_text(f"m{i}", id=f"m{i}", thread_id="t", resource_id="u")
                                               for i in range(3)])
        page = storage.memory.list_messages(thread_id="t", per_page=2)
        assert [m.id for m in page] == ["m0", "m1"] and page.has_more
        assert storage.get_store("memory") is not None
        with pytest.raises(ValidationError):
            storage.memory.list_messages(thread_id="")


def test_sync_open_storage_by_url() -> None:
    storage = open_storage("memory:")
    try:
        assert storage.memory.get_thread_by_id(thread_id="missing") is None
    finally:
        storage.close()
