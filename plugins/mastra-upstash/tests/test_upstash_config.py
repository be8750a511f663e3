"""Configuration: url + token, redis:// and rediss:// URLs, a caller-supplied client, and secrets kept out of sight."""

from __future__ import annotations

import logging

import pytest
import redis.asyncio as redis
from mastra_core import ConfigError, StorageError, create_storage, open_storage
from mastra_upstash import UpstashConfig, UpstashStore
from upstash_helpers import redis_url

SECRET = "s3cr3t-T0KEN-value"


def test_upstash_rest_url_and_token_mean_the_rest_api_or_the_tls_redis_endpoint() -> None:
    cfg = UpstashConfig(url="https://eu1-fine-cat-12345.upstash.io/", token=SECRET)
    assert cfg.transport_name() == "rest" and cfg.rest_url() == "https://eu1-fine-cat-12345.upstash.io"
    assert cfg.rest_token() == SECRET
    tls = UpstashConfig(url="https://eu1-fine-cat-12345.upstash.io", token=SECRET, transport="redis")
    assert tls.transport_name() == "redis"
    assert tls.redis_url() == f"rediss://default:{SECRET}@eu1-fine-cat-12345.upstash.io:6379"
    assert UpstashConfig(url="redis://h").transport_name() == "redis"


def test_a_redis_url_is_used_as_is_and_a_token_becomes_its_password() -> None:
    assert UpstashConfig(url="rediss://default:pw@host:6380/2").redis_url() == "rediss://default:pw@host:6380/2"
    assert UpstashConfig(url="redis://host:6379/3", token="t/k").redis_url() == "redis://default:t%2Fk@host:6379/3"


def test_open_storage_routes_redis_and_upstash_urls() -> None:
    s = open_storage("redis://127.0.0.1:6379/0")
    assert isinstance(s, UpstashStore) and s.prefix == "mastra:" and s.config.transport_name() == "redis"
    u = open_storage(f"upstash://:{SECRET}@fine-cat.upstash.io", prefix="app:")
    assert u.config.transport_name() == "rest" and u.config.rest_url() == "https://fine-cat.upstash.io"
    assert u.config.rest_token() == SECRET and u.prefix == "app:"
    r = open_storage(f"upstash://:{SECRET}@fine-cat.upstash.io?transport=redis")
    assert r.config.redis_url() == f"rediss://default:{SECRET}@fine-cat.upstash.io:6379"
    local = open_storage(f"upstash+http://:{SECRET}@127.0.0.1:8079")
    assert local.config.transport_name() == "rest" and local.config.rest_url() == "http://127.0.0.1:8079"


@pytest.mark.parametrize("config", [
    {}, {"url": "redis://h", "client": object()}, {"url": "https://x.upstash.io"}, {"url": "ftp://x"}, {"url": ""},
    {"url": "redis://h", "max_connections": 0}, {"url": "redis://h", "prefx": "typo"},
    {"url": "redis://h", "transport": "rest"}, {"url": "https://x.upstash.io", "token": "t", "transport": "tcp"},
    {"url": "redis://h", "http_client": object()}, {"client": object(), "transport": "rest"},
])
def test_bad_configurations_are_refused(config) -> None:
    with pytest.raises(ConfigError):
        create_storage("upstash", **config)


def test_the_token_never_shows_in_reprs() -> None:
    for store in (create_storage("upstash", url="https://x.upstash.io", token=SECRET),
                  create_storage("upstash", url=f"rediss://default:{SECRET}@x.upstash.io:6379")):
        assert SECRET not in repr(store) and SECRET not in repr(store.config) and SECRET not in str(vars(store))
    with pytest.raises(ConfigError) as info:
        create_storage("upstash", url=f"ftp://default:{SECRET}@x", token=SECRET)
    assert SECRET not in str(info.value)


async def test_the_password_never_shows_in_errors_or_logs(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    store = create_storage("upstash", url=f"redis://default:{SECRET}@127.0.0.1:1/0", socket_timeout=1.0)
    with pytest.raises(StorageError) as info:
        await store.memory.get_thread_by_id(thread_id="t")
    err = info.value
    text = f"{err} {err.details} {err.__cause__!r} {err.__cause__}"
    assert SECRET not in text and SECRET not in caplog.text
    await store.close()


async def test_a_caller_supplied_client_is_used_and_never_closed(make_redis_store) -> None:
    client = redis.Redis.from_url(redis_url())  # bytes replies: the store copes
    store = await make_redis_store(client=client)
    await store.memory.update_resource(resource_id="r", working_memory="wm")
    assert (await store.memory.get_resource_by_id(resource_id="r")).working_memory == "wm"
    await store.close()
    assert await client.ping()
    await client.aclose()


def test_every_domain_is_registered_through_its_hook_and_building_does_not_connect() -> None:
    from mastra_core.plugins import registry

    assert registry().domains_of("upstash") == UpstashStore.declared_domains
    s = create_storage("upstash", url="redis://127.0.0.1:1/0")  # nothing listens there: building must not connect
    assert s.connection.client is None
    assert all(s.get_store(d).conn is s.connection for d in s.domains)
