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


def test_sync_domain_stores_are_typed_and_generated_fresh() -> None:
    """The typed twins are generated from the domain interfaces; a stale file fails here."""
    import importlib.util
    import inspect
    from pathlib import Path

    from mastra_core.domains.memory import MemoryStore
    from mastra_core.sync_stores import SyncMemoryStore

    script = Path(__file__).resolve().parents[2] / "scripts/gen_sync_stores.py"
    spec = importlib.util.spec_from_file_location("gen_sync_stores", script)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.TARGET.read_text() == gen.generate(), "run: python scripts/gen_sync_stores.py"
    for name in ("list_messages", "save_messages", "update_resource", "clone_thread"):
        sync_sig = inspect.signature(getattr(SyncMemoryStore, name))
        async_sig = inspect.signature(getattr(MemoryStore, name))
        assert sync_sig.parameters.keys() == async_sig.parameters.keys(), name
        assert sync_sig.return_annotation == async_sig.return_annotation, name


def test_sync_storage_has_typed_domains_and_refuses_missing_ones() -> None:
    from mastra_core import CapabilityError, Storage
    from mastra_core.sync import SyncStorage
    from mastra_core.sync_stores import SyncMemoryStore

    with create_storage("inmemory") as storage:
        assert isinstance(storage.memory, SyncMemoryStore)
        assert storage.prune() == {d: 0 for d in storage.storage.domains}
    inner = create_storage("inmemory").storage
    only_memory = SyncStorage(Storage(id="c", domains={"memory": inner.memory}))
    try:
        assert only_memory.get_store("agents") is None
        with pytest.raises(CapabilityError):
            only_memory.agents  # noqa: B018
    finally:
        only_memory.close()
