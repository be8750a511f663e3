"""The REST transport: one store, two wire protocols, the same keys, results and request counts.

Runs against the REST stand-in (``scripts/services/upstash_rest``) in front of the machine's Redis, and
redis-py on that same Redis DB, so data written through one transport is read through the other.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from mastra_core import ErrorCategory, StorageError, create_storage, open_storage
from mastra_core.clock import utc_now
from mastra_core.records import Message, MessageContent, TextPart, Thread
from mastra_upstash.config import UpstashConfig
from mastra_upstash.transport import RedisTransport, RestError, RestTransport
from upstash_helpers import (
    CuttingProxy,
    Recorder,
    backing_redis_url,
    drop_prefix,
    new_prefix,
    recording_client,
    recording_http_client,
    rest_env,
)

SECRET_LIKE = "wrong-token-" + "x" * 20


def _msgs(thread_id: str, n: int, start, prefix: str = "m") -> list[Message]:
    return [Message(id=f"{prefix}{i}", role="user" if i % 2 else "assistant", thread_id=thread_id,
                    resource_id="r", created_at=start + timedelta(milliseconds=i),
                    content=MessageContent(parts=[TextPart(text=f"héllo 🚀 {i} \u2028 \\ \" ünïcödé")]))
            for i in range(n)]


@pytest.fixture
async def pair(redis_raw) -> Any:
    """A REST store and a Redis-protocol store on the same Redis DB and the same prefix."""
    import redis.asyncio as redis

    url, token = rest_env()
    prefix = new_prefix()
    rest = create_storage("upstash", id="rest", url=url, token=token, prefix=prefix)
    tcp = create_storage("upstash", id="tcp", url=backing_redis_url("rest"), prefix=prefix)
    await rest.init()
    await tcp.init()
    yield rest, tcp
    await rest.close()
    await tcp.close()
    backing = redis.Redis.from_url(backing_redis_url("rest"), decode_responses=True)
    await drop_prefix(backing, prefix)
    await backing.aclose()


async def _scenario(store) -> list[Any]:
    """A fixed series of operations; returns what they answered (comparable across stores)."""
    t0 = utc_now().replace(microsecond=0) - timedelta(hours=1)
    mem = store.memory
    out: list[Any] = []
    await mem.save_thread(thread=Thread(id="t:1 ü", resource_id="r", title="tïtle 🚀", metadata={"k": [1, "é"]},
                                        created_at=t0, updated_at=t0))
    await mem.save_messages(messages=_msgs("t:1 ü", 12, t0))
    page = await mem.list_messages(thread_id="t:1 ü", per_page=5, page=1,
                                   order_by={"field": "created_at", "direction": "DESC"})
    out.append((page.total, [m.id for m in page.items], [m.content.parts[0].text for m in page.items]))
    inc = await mem.list_messages(thread_id="t:1 ü", per_page=0,
                                  include=[{"id": "m6", "with_previous_messages": 2, "with_next_messages": 1}])
    out.append([m.id for m in inc.items])
    out.append((await mem.get_thread_by_id(thread_id="t:1 ü")).title)
    await mem.update_resource(resource_id="r", working_memory="wm ✓")
    out.append((await mem.get_resource_by_id(resource_id="r")).working_memory)
    threads = await mem.list_threads(filter={"resource_id": "r", "metadata": {"k": [1, "é"]}})
    out.append([t.id for t in threads.items])
    await mem.delete_messages(message_ids=["m0"])
    out.append([m.id for m in await mem.list_messages_by_id(message_ids=["m0", "m1", "m2"])])
    await store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="run", snapshot={"status": "ok"})
    runs = await store.workflows.list_workflow_runs(workflow_name="wf")
    out.append((runs.total, [r.run_id for r in runs.items]))
    return out


async def test_data_written_through_one_transport_is_read_through_the_other(pair) -> None:
    rest, tcp = pair
    t0 = utc_now() - timedelta(minutes=5)
    await rest.memory.save_thread(thread=Thread(id="from-rest", resource_id="r", title="é🚀", created_at=t0,
                                                updated_at=t0))
    await rest.memory.save_messages(messages=_msgs("from-rest", 4, t0, "a"))
    await tcp.memory.save_thread(thread=Thread(id="from-tcp", resource_id="r", title="ü", created_at=t0,
                                               updated_at=t0))
    await tcp.memory.save_messages(messages=_msgs("from-tcp", 3, t0, "b"))
    for store in (rest, tcp):
        assert (await store.memory.get_thread_by_id(thread_id="from-rest")).title == "é🚀"
        assert (await store.memory.get_thread_by_id(thread_id="from-tcp")).title == "ü"
        msgs = (await store.memory.list_messages(thread_id="from-rest")).items
        assert [m.id for m in msgs] == ["a0", "a1", "a2", "a3"]
        assert msgs[1].content.parts[0].text == "héllo 🚀 1 \u2028 \\ \" ünïcödé"
        assert (await store.memory.list_messages(thread_id="from-tcp")).total == 3
        assert (await store.memory.list_threads(filter={"resource_id": "r"})).total == 2
    # a compare-and-set started on one transport sees the version written by the other
    await rest.memory.update_thread(id="from-tcp", title="by rest")
    await tcp.memory.update_thread(id="from-rest", title="by tcp")
    assert (await tcp.memory.get_thread_by_id(thread_id="from-tcp")).title == "by rest"
    assert (await rest.memory.get_thread_by_id(thread_id="from-rest")).title == "by tcp"


async def test_same_results_and_same_requests_per_operation_on_both_transports(redis_raw) -> None:
    """The scenario's answers and its requests (one list of command names per request) are identical."""
    import redis.asyncio as redis

    url, token = rest_env()
    recs = {"redis": Recorder(), "rest": Recorder()}
    http = recording_http_client(recs["rest"])
    client = recording_client(backing_redis_url("rest"), recs["redis"], max_connections=4)
    prefixes = {"redis": new_prefix(), "rest": new_prefix()}
    stores = {"rest": create_storage("upstash", id="rest", url=url, token=token, http_client=http,
                                     prefix=prefixes["rest"]),
              "redis": create_storage("upstash", id="tcp", client=client, prefix=prefixes["redis"])}
    try:
        answers, trips = {}, {}
        for name, store in stores.items():
            await store.init()
            await _scenario(store)  # loads every script the scenario uses, on either server
            await store.dangerously_clear_all()
            recs[name].reset()
            answers[name] = await _scenario(store)
            trips[name] = list(recs[name].trips)
        assert answers["rest"] == answers["redis"]
        assert trips["rest"] == trips["redis"]
        e, h = ["EVALSHA"], ["HMGET"]
        # one request per write and per page: save_thread, save_messages, two pages, a point read, update_resource
        # (one script: the merge runs in it), a point read, a thread page, delete_messages, 3 point reads in one
        # pipeline, persist, list
        assert trips["rest"] == [e, e, e, e, h, e, h, e, e, h * 3, e, e]
    finally:
        for store in stores.values():
            await store.close()
        await http.aclose()
        await client.aclose()
        backing = redis.Redis.from_url(backing_redis_url("rest"), decode_responses=True)
        for p in prefixes.values():
            await drop_prefix(backing, p)
        await backing.aclose()


async def test_a_wrong_token_is_a_clear_storage_error_that_never_shows_the_token(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    url, token = rest_env()
    store = create_storage("upstash", url=url, token=SECRET_LIKE, prefix=new_prefix())
    with pytest.raises(StorageError) as info:  # init PINGs: a refused token fails there, not at a later call
        await store.init()
    err = info.value
    assert err.category == ErrorCategory.THIRD_PARTY
    assert "401" in str(err) and "token" in str(err).lower()
    shown = f"{err} {err!r} {err.details} {err.__cause__!r} {err.__cause__} {store!r} {store.config!r} {caplog.text}"
    assert SECRET_LIKE not in shown and token not in shown
    assert SECRET_LIKE not in repr(store.connection.transport)
    with pytest.raises(StorageError):
        await store.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=utc_now(),
                                                     updated_at=utc_now()))
    await store.close()


async def test_an_unreachable_endpoint_is_a_storage_error_after_the_retries() -> None:
    store = create_storage("upstash", url="http://127.0.0.1:1", token=SECRET_LIKE, retries=1, socket_timeout=2.0)
    with pytest.raises(StorageError) as info:
        await store.memory.get_thread_by_id(thread_id="t")
    assert "ConnectError" in str(info.value) and SECRET_LIKE not in str(info.value)
    await store.close()


async def test_evalsha_falls_back_to_eval_once_on_noscript() -> None:
    url, token = rest_env()
    rec = Recorder()
    http = recording_http_client(rec)
    source = f"-- {uuid.uuid4().hex} (a script no server has seen)\nreturn {{ARGV[1], 'OK', 7}}"
    transport = RestTransport(UpstashConfig(url=url, token=token, http_client=http), {"fresh": source})
    await transport.open()
    assert await transport.script("fresh", ["ü"]) == ["ü", "OK", 7]
    assert rec.trips == [["EVALSHA"], ["EVAL"]]
    rec.reset()
    assert await transport.script("fresh", ["x"]) == ["x", "OK", 7]
    assert rec.trips == [["EVALSHA"]]
    with pytest.raises(RestError, match="ERR"):
        await transport.call("NOTACOMMAND")
    await transport.close()
    await http.aclose()


@pytest.mark.parametrize("kind", ["redis", "rest"])
async def test_pipeline_and_multi_exec_and_binary_values_on_both_transports(kind: str) -> None:
    import redis.asyncio as redis

    url, token = rest_env()
    backing = backing_redis_url("rest")
    cfg = UpstashConfig(url=url, token=token) if kind == "rest" else UpstashConfig(url=backing)
    transport = RestTransport(cfg, {}) if kind == "rest" else RedisTransport(cfg, {})
    await transport.open()
    p = new_prefix()
    raw = redis.Redis.from_url(backing)
    try:
        done = await transport.multi_exec([["SET", p + "a", "1"], ["INCR", p + "a"], ["GET", p + "a"]])
        assert done[0] in ("OK", True) and done[1:] == [2, "2"]  # redis-py answers SET with True
        assert await transport.pipeline([["GET", p + "a"], ["EXISTS", p + "zz"], ["HMGET", p + "zz", "f"]]) == \
            ["2", 0, [None]]
        await raw.set(p + "bin", b"\xff\x00\xfe ok")  # not UTF-8: still comes back byte for byte
        value = await transport.call("GET", p + "bin") if kind == "rest" else None
        if value is not None:
            assert value.encode("utf-8", "surrogateescape") == b"\xff\x00\xfe ok"
        with pytest.raises((RestError, redis.ResponseError)):  # a failed command of a pipeline raises
            await transport.pipeline([["GET", p + "a"], ["INCR", p + "bin"]])
    finally:
        await drop_prefix(redis.Redis.from_url(backing, decode_responses=True), p)
        await raw.aclose()
        await transport.close()


async def test_open_storage_upstash_url_speaks_rest_and_keeps_connections_alive() -> None:
    import redis.asyncio as redis

    url, token = rest_env()
    parts = urlsplit(url)
    proxy = CuttingProxy(parts.hostname or "127.0.0.1", parts.port or 80)
    await proxy.start()
    port = urlsplit(proxy.http_url).port
    prefix = new_prefix()
    store = open_storage(f"upstash+http://:{token}@127.0.0.1:{port}", prefix=prefix)
    assert store.config.transport_name() == "rest" and token not in repr(store)
    try:
        await store.init()
        t0 = utc_now()
        for i in range(20):  # sequential operations share one kept-alive connection
            await store.memory.save_thread(thread=Thread(id=f"t{i}", resource_id="r", created_at=t0, updated_at=t0))
            assert (await store.memory.get_thread_by_id(thread_id=f"t{i}")).id == f"t{i}"
        assert proxy.connections == 1
        assert (await store.memory.list_threads(filter={"resource_id": "r"}, per_page=5)).total == 20
    finally:
        await store.close()
        await proxy.stop()
        backing = redis.Redis.from_url(backing_redis_url("rest"), decode_responses=True)
        await drop_prefix(backing, prefix)
        await backing.aclose()


async def test_the_stand_in_speaks_the_published_protocol() -> None:
    """The front end the suite runs against answers as Upstash documents (path form, base64, errors, 401, 405)."""
    url, token = rest_env()
    auth = {"Authorization": f"Bearer {token}"}
    k = new_prefix() + "k"
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get(f"/set/{k}/bar", headers=auth)).json() == {"result": "OK"}
        assert (await http.get(f"/get/{k}", headers={**auth, "Upstash-Encoding": "base64"})).json() == \
            {"result": "YmFy"}
        assert (await http.post(f"/set/{k}?EX=100", content=b"v v", headers=auth)).json() == {"result": "OK"}
        assert (await http.get(f"/ttl/{k}", params={"_token": token})).json()["result"] > 0
        bad = await http.post("/", json=["INCR", k], headers=auth)
        assert bad.status_code == 400 and bad.json()["error"].startswith("ERR")
        tx = await http.post("/multi-exec", json=[["SET", k, "1"], ["INCR", k], ["HGET", k, "f"]], headers=auth)
        assert tx.status_code == 200 and tx.json()[:2] == [{"result": "OK"}, {"result": 2}]
        assert "WRONGTYPE" in tx.json()[2]["error"]
        discarded = await http.post("/multi-exec", json=[["SET", k, "9"], ["NOSUCHCMD"]], headers=auth)
        assert discarded.status_code == 400 and "error" in discarded.json()
        assert (await http.get(f"/get/{k}", headers=auth)).json() == {"result": "2"}  # nothing applied
        assert (await http.get(f"/get/{k}", headers={"Authorization": "Bearer nope"})).status_code == 401
        assert (await http.get(f"/get/{k}")).status_code == 401
        assert (await http.delete(f"/get/{k}", headers=auth)).status_code == 405
        assert (await http.post("/", json=["DEL", k], headers=auth)).json() == {"result": 1}
