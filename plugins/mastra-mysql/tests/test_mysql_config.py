"""Options: URL parsing, explicit fields winning over the URL, validation, secrets never shown."""

from __future__ import annotations

import pytest
from mastra_core import create_storage, open_storage
from mastra_core.errors import ConfigError
from mastra_mysql import MySQLStore


def test_url_is_parsed_into_fields() -> None:
    store = MySQLStore(id="a", url="mysql://app:s%40cret@db.example:3307/mastra")
    c = store.config
    assert (c.host, c.port, c.user, c.password, c.database) == ("db.example", 3307, "app", "s@cret", "mastra")


def test_fields_win_over_the_url_and_defaults_fill_the_rest() -> None:
    store = MySQLStore(id="a", url="mariadb://app@db/one", database="two", port=3310)
    c = store.config
    assert (c.host, c.port, c.user, c.database) == ("db", 3310, "app", "two")
    bare = MySQLStore(id="b", database="x")
    assert (bare.config.host, bare.config.port, bare.config.user) == ("127.0.0.1", 3306, "root")


def test_both_schemes_route_here() -> None:
    assert isinstance(open_storage("mysql://root@127.0.0.1/x", id="a"), MySQLStore)
    assert isinstance(open_storage("mariadb://root@127.0.0.1/x", id="b"), MySQLStore)
    assert isinstance(create_storage("mysql", id="c", database="x"), MySQLStore)


@pytest.mark.parametrize("options", [
    {},  # no database
    {"database": "bad-name"},
    {"database": "x; DROP DATABASE y"},
    {"url": "postgresql://u@h/db"},
    {"database": "x", "port": 0},
    {"database": "x", "min_pool_size": 5, "max_pool_size": 2},
    {"database": "x", "max_pool_size": 0},
])
def test_invalid_options_are_refused_up_front(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        MySQLStore(id="a", **options)


def test_secrets_are_not_in_repr_or_errors() -> None:
    store = MySQLStore(id="a", url="mysql://app:hunter2secret@db/mastra", password="hunter2secret")
    assert "hunter2secret" not in repr(store)
    assert "hunter2secret" not in repr(store.config)
    with pytest.raises(ConfigError) as err:
        MySQLStore(id="b", url="mysql://app:hunter2secret@db/bad-name")
    assert "hunter2secret" not in str(err.value)


async def test_connect_failure_is_a_storage_error_without_the_password() -> None:
    from mastra_core.errors import StorageError

    store = MySQLStore(id="a", url="mysql://root:hunter2secret@127.0.0.1:1/x", connect_timeout=1)
    with pytest.raises(StorageError) as err:
        await store.init()
    assert "hunter2secret" not in str(err.value)


def test_every_domain_and_the_harness_come_from_the_hooks_and_building_does_not_connect() -> None:
    from mastra_core.plugins import registry

    assert registry().domains_of("mysql") == MySQLStore.declared_domains
    assert "mysql" in registry().harnesses
    store = create_storage("mysql", id="a", url="mysql://root@127.0.0.1:1/x")  # nothing listens there
    assert store.connection._pool is None
    assert all(store.get_store(d).conn is store.connection for d in store.domains)
    assert {type(store.get_store(d)).__module__ for d in store.domains} == {
        f"mastra_mysql.domains.{d}" for d in MySQLStore.declared_domains}
