"""Configuration: URLs, :memory:, unknown keys, secrets never shown, registration."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from mastra_core import ConfigError, StorageError, create_storage, open_storage
from mastra_core.records import Thread
from mastra_core.registry import registry
from mastra_libsql import LibSQLStore

TOKEN = "sekrit-token-9f8e7d"


def test_registered_under_id_and_schemes() -> None:
    reg = registry()
    assert reg.backends["libsql"].cls is LibSQLStore
    for url in ("file:x.db", "libsql://db.example.com", "http://127.0.0.1:8080", "https://db.example.com", ":memory:"):
        assert reg.backend_for_url(url).cls is LibSQLStore, url
    assert "libsql" in reg.vector_stores  # the factory is registered; LibSQLVector is imported only when used


def test_unknown_config_key_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        LibSQLStore(id="x", url=":memory:", auth_tokn=TOKEN)
    assert err.value.id == "MASTRA_STORAGE_LIBSQL_CONFIG_UNKNOWN_KEY"
    assert "auth_tokn" in str(err.value) and TOKEN not in str(err.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"url": ""},
        {"url": "postgres://x"},
        {"url": ":memory:", "max_retries": -1},
        {"url": ":memory:", "busy_timeout_ms": "5"},
        {},
    ],
)
def test_invalid_config(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as err:
        LibSQLStore(id="x", **bad)
    assert err.value.id == "MASTRA_STORAGE_LIBSQL_CONFIG_INVALID"


def test_auth_token_never_in_repr() -> None:
    store = LibSQLStore(id="remote", url="http://127.0.0.1:1", auth_token=TOKEN)
    assert TOKEN not in repr(store) and "127.0.0.1:1" in repr(store)
    assert TOKEN not in repr(store.config)
    in_url = open_storage(f"libsql://db.example.com?authToken={TOKEN}", id="u")
    assert TOKEN not in repr(in_url)
    assert in_url.db.target.auth_token == TOKEN and in_url.db.target.database == "libsql://db.example.com"


async def test_auth_token_never_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = LibSQLStore(id="down", url="http://127.0.0.1:1", auth_token=TOKEN, max_retries=0)
    with pytest.raises(StorageError) as err:
        await store.memory.get_thread_by_id(thread_id="t")
    assert err.value.id == "MASTRA_STORAGE_LIBSQL_CONNECT_FAILED"
    text = f"{err.value!s} {err.value!r} {err.value.details} {err.value.__cause__!s}"
    assert TOKEN not in text and TOKEN not in caplog.text
    await store.close()


async def test_memory_databases_are_private_and_work() -> None:
    a = create_storage("libsql", url=":memory:")
    b = open_storage(":memory:")
    async with a, b:
        await a.memory.save_thread(thread=Thread(id="t1", resource_id="r"))
        assert (await a.memory.get_thread_by_id(thread_id="t1")) is not None
        assert (await b.memory.get_thread_by_id(thread_id="t1")) is None  # each :memory: store is its own database


@pytest.mark.parametrize("form", ["file:{p}", "{p}", "file://{p}"])
async def test_file_url_forms(tmp_path: Path, form: str) -> None:
    path = tmp_path / "forms.db"
    store = LibSQLStore(id="f", url=form.format(p=path))
    async with store:
        await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    assert path.exists()
    again = LibSQLStore(id="g", url=f"file:{path}")
    async with again:
        assert (await again.memory.get_thread_by_id(thread_id="t")) is not None
        mode = await again.db.read(lambda db: db.one("PRAGMA journal_mode"))
        assert mode == ("wal",)


async def test_close_releases_and_reopens(tmp_path: Path) -> None:
    store = LibSQLStore(id="c", url=f"file:{tmp_path / 'c.db'}")
    await store.init()
    await store.close()
    assert not store.db.is_open
    await store.close()  # idempotent


async def test_a_closed_memory_store_can_be_used_again() -> None:
    store = LibSQLStore(id="m", url=":memory:")
    async with store:
        await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    async with store:  # a new, empty :memory: database: the schema is created again
        assert await store.memory.get_thread_by_id(thread_id="t") is None
        await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))


async def test_event_loop_is_not_blocked(tmp_path: Path) -> None:
    """Driver calls run on the store's worker thread, never the event loop's thread."""
    import threading

    store = LibSQLStore(id="t", url=f"file:{tmp_path / 't.db'}")
    async with store:
        name = await store.db.read(lambda db: threading.current_thread().name)
    assert name.startswith("mastra-libsql") and name != threading.current_thread().name


def test_no_driver_import_at_plugin_import() -> None:
    import subprocess
    import sys

    code = "import mastra_libsql.plugin, sys; print('libsql' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ})
    assert out.stdout.strip() == "False"


async def test_table_prefix_isolates_stores_in_one_file(tmp_path: Path) -> None:
    from mastra_core.records import Message, MessageContent, TextPart

    url = f"file:{tmp_path / 'shared.db'}"
    plain, a, b = (
        LibSQLStore(id=i, url=url, table_prefix=p) for i, p in (("plain", ""), ("a", "tenant_a_"), ("b", "tenant_b_"))
    )
    async with plain, a, b:
        for store, n in ((plain, 1), (a, 2), (b, 3)):
            await store.memory.save_thread(thread=Thread(id="t", resource_id="r", title=store.id))
            await store.memory.save_messages(
                messages=[
                    Message(
                        id=f"m{i}",
                        role="user",
                        thread_id="t",
                        resource_id="r",
                        content=MessageContent(parts=[TextPart(text="x")]),
                    )
                    for i in range(n)
                ]
            )
        for store, n in ((plain, 1), (a, 2), (b, 3)):
            assert (await store.memory.get_thread_by_id(thread_id="t")).title == store.id  # type: ignore[union-attr]
            assert (
                await store.memory.list_messages(thread_id="t")
            ).total == n  # each prefix has its own counts and triggers
        names = await plain.db.read(
            lambda db: {r[0] for r in db.all("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}
        )
    assert {
        "mastra_threads",
        "tenant_a_mastra_threads",
        "tenant_b_mastra_message_counts",
        "tenant_a_mastra_messages_count_insert",
        "mastra_schema_version",
        "tenant_b_mastra_schema_version",
    } <= names


def test_table_prefix_is_validated() -> None:
    for bad in ("1x", "a-b", "x" * 41, 'a"; drop'):
        with pytest.raises(ConfigError):
            LibSQLStore(id="x", url=":memory:", table_prefix=bad)


def test_every_domain_is_registered_through_its_hook_and_building_does_not_connect() -> None:
    from mastra_core.backend import BackendDomain

    assert registry().domains_of("libsql") == LibSQLStore.declared_domains
    store = create_storage("libsql", url="http://127.0.0.1:1")  # nothing listens there: building must not connect
    assert not store.connection.is_open and store.db is store.connection
    assert store.domains == LibSQLStore.declared_domains
    for name in store.domains:
        domain = store.get_store(name)
        assert isinstance(domain, BackendDomain) and domain.conn is store.connection
