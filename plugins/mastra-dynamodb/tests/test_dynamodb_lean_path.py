"""The lean request path (lean.py, wire.py) against botocore's full path on DynamoDB Local: the same replies, the
same ClientErrors with the same modeled fields, the same retries of throttling and 5xx (botocore's retry handler,
faults injected with a ``before-send`` hook that answers in the service's place), bounded timeouts, and the
transport under connection faults (a loopback chaos proxy in front of DynamoDB Local)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ReadTimeoutError
from mastra_core.testing.faults import ChaosProxy
from mastra_dynamodb import make_client
from mastra_dynamodb.connection import OPERATIONS, _lean_path
from mastra_dynamodb.lean import OPERATIONS as LEAN_OPERATIONS
from mastra_dynamodb.lean import LeanPath

CREDENTIALS = {"access_key_id": "local", "secret_access_key": "local"}


@pytest.fixture
def lean(client: Any) -> LeanPath:
    path = _lean_path(client)
    assert path is not None, "make_client's clients take the lean path with the installed botocore"
    return path


def both(lean: LeanPath, client: Any, method: str, params: dict[str, Any]) -> tuple[Any, Any]:
    """The result (or the exception) of one call on each path."""
    out: list[Any] = []
    for send in (lambda: lean.send(method, params), lambda: getattr(client, method)(**params)):
        try:
            got = send()
            got.pop("ResponseMetadata", None)
            out.append(got)
        except ClientError as exc:
            out.append(exc)
    return out[0], out[1]


def same_error(a: Any, b: Any, code: str) -> None:
    assert isinstance(a, ClientError) and type(a) is type(b)
    assert a.response["Error"] == b.response["Error"] and a.response["Error"]["Code"] == code
    assert {k: v for k, v in a.response.items() if k != "ResponseMetadata"} == {
        k: v for k, v in b.response.items() if k != "ResponseMetadata"}
    assert str(a) == str(b)


def test_the_operation_lists_agree() -> None:
    assert set(LEAN_OPERATIONS) == OPERATIONS


def test_only_make_client_clients_take_it(endpoint: str) -> None:
    import boto3

    other = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                         aws_secret_access_key="x")
    assert _lean_path(other) is None  # a caller's own client may carry hooks this path does not emit


def test_replies_are_botocore_s(lean: LeanPath, client: Any, table: str) -> None:
    item = {"pk": {"S": "A"}, "sk": {"S": "B"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xffzz"}, "t": {"BOOL": True},
            "z": {"NULL": True}, "l": {"L": [{"S": "x"}, {"B": b"\x01"}, {"M": {"B": {"S": "not a blob"}}}]},
            "bs": {"BS": [b"\x02", b"\x03"]}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
            "u": {"S": "é😀 \"B\":"}}
    assert lean.send("put_item", {"TableName": table, "Item": item}).keys() <= {"ResponseMetadata"}
    key = {"pk": {"S": "A"}, "sk": {"S": "B"}}
    a, b = both(lean, client, "get_item", {"TableName": table, "Key": key, "ConsistentRead": True})
    assert a == b and a["Item"]["b"] == {"B": b"\x00\xffzz"} and a["Item"]["bs"]["BS"] == [b"\x02", b"\x03"]
    a, b = both(lean, client, "update_item", {"TableName": table, "Key": key, "UpdateExpression": "SET v = :v",
                                               "ExpressionAttributeValues": {":v": {"B": b"\x09"}},
                                               "ReturnValues": "ALL_NEW"})
    assert a == b and a["Attributes"]["v"] == {"B": b"\x09"}
    a, b = both(lean, client, "query", {"TableName": table, "KeyConditionExpression": "pk = :p",
                                         "ExpressionAttributeValues": {":p": {"S": "A"}}, "Limit": 1})
    assert a == b and a["Count"] == 1 and a["LastEvaluatedKey"] == key
    a, b = both(lean, client, "delete_item", {"TableName": table, "Key": key, "ReturnValues": "ALL_OLD"})
    assert a["Attributes"]["v"] == {"B": b"\x09"} and a["Attributes"]["b"] == item["b"]
    assert "Attributes" not in b  # the second delete found nothing left


def test_batch_scan_and_transaction_replies_are_botocore_s(lean: LeanPath, client: Any, table: str) -> None:
    items = [{"pk": {"S": f"K{i}"}, "sk": {"S": "S"}, "b": {"B": bytes([i, 255])}, "n": {"N": str(i)}}
             for i in range(5)]
    a, b = both(lean, client, "batch_write_item",
                {"RequestItems": {table: [{"PutRequest": {"Item": it}} for it in items]}})
    assert a == b and not a.get("UnprocessedItems")
    keys = [{"pk": it["pk"], "sk": it["sk"]} for it in items] + [{"pk": {"S": "missing"}, "sk": {"S": "S"}}]
    a, b = both(lean, client, "batch_get_item", {"RequestItems": {table: {"Keys": keys, "ConsistentRead": True}}})
    order = lambda got: sorted(got["Responses"][table], key=lambda it: it["pk"]["S"])  # noqa: E731
    assert order(a) == order(b) == items and not a.get("UnprocessedKeys")
    a, b = both(lean, client, "scan", {"TableName": table, "FilterExpression": "n >= :two",
                                        "ExpressionAttributeValues": {":two": {"N": "2"}}, "ConsistentRead": True})
    assert a == b and a["Count"] == 3
    first = {"TableName": table, "Key": {"pk": {"S": "T"}, "sk": {"S": "S"}}, "UpdateExpression": "ADD n :one",
             "ExpressionAttributeValues": {":one": {"N": "1"}}}
    a, b = both(lean, client, "transact_write_items", {"TransactItems": [{"Update": first}]})
    assert a == b == {}
    got = client.get_item(TableName=table, Key=first["Key"], ConsistentRead=True)["Item"]
    assert got["n"] == {"N": "2"}  # one increment from each path


def test_a_transaction_left_without_a_token_gets_one_as_botocore_gives_it(lean: LeanPath, client: Any,
                                                                          table: str) -> None:
    bodies: list[bytes] = []

    def seen(request: Any, **_: Any) -> None:
        bodies.append(request.body if isinstance(request.body, bytes) else request.data)

    put = {"Put": {"TableName": table, "Item": {"pk": {"S": "tok"}, "sk": {"S": "S"}}}}
    mine = f"mine-{uuid.uuid4().hex[:20]}"  # DynamoDB remembers a token for 10 minutes: one of this run only
    client.meta.events.register("before-send.dynamodb.TransactWriteItems", seen)
    try:
        lean.send("transact_write_items", {"TransactItems": [put]})
        lean.send("transact_write_items", {"TransactItems": [put], "ClientRequestToken": mine})
    finally:
        client.meta.events.unregister("before-send.dynamodb.TransactWriteItems", seen)
    filled = json.loads(bodies[0])["ClientRequestToken"]
    assert str(uuid.UUID(filled)) == filled and json.loads(bodies[1])["ClientRequestToken"] == mine


def test_errors_are_botocore_s(lean: LeanPath, client: Any, table: str) -> None:
    key = {"pk": {"S": "C"}, "sk": {"S": "D"}}
    lean.send("put_item", {"TableName": table, "Item": {**key, "b": {"B": b"\x07"}}})
    failing = {"TableName": table, "Key": key, "UpdateExpression": "SET v = :v", "ConditionExpression": "v = :v",
               "ExpressionAttributeValues": {":v": {"S": "x"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    a, b = both(lean, client, "update_item", failing)
    same_error(a, b, "ConditionalCheckFailedException")
    assert a.response["Item"] == {**key, "b": {"B": b"\x07"}}  # the modeled field, blobs decoded
    a, b = both(lean, client, "get_item", {"TableName": "mastra-no-such-table", "Key": key})
    same_error(a, b, "ResourceNotFoundException")
    a, b = both(lean, client, "query", {"TableName": table, "KeyConditionExpression": "nope = :p",
                                         "ExpressionAttributeValues": {":p": {"S": "A"}}})
    same_error(a, b, "ValidationException")
    cancelled = {"TransactItems": [
        {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": "attribute_not_exists(pk)",
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}, "sk": {"S": "D"}}}}]}
    a, b = both(lean, client, "transact_write_items", cancelled)
    same_error(a, b, "TransactionCanceledException")
    reasons = a.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed" and reasons[0]["Item"]["b"] == {"B": b"\x07"}
    assert reasons[1]["Code"] == "None"
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": "new"}, "sk": {"S": "D"}})


class Fault:
    """Answers the first ``times`` requests in the service's place with ``status`` and ``code`` (a botocore
    ``before-send`` hook, honoured by both paths); counts every request."""

    def __init__(self, client: Any, status: int, code: str, times: int) -> None:
        self.client, self.status, self.code, self.times = client, status, code, times
        self.sent = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.sent += 1
        if self.sent > self.times:
            return None
        body = f'{{"__type":"com.amazonaws.dynamodb.v20120810#{self.code}","message":"injected"}}'.encode()

        class Raw:
            def stream(self) -> Iterator[bytes]:
                yield body

        return AWSResponse(request.url, self.status, {"content-type": "application/x-amz-json-1.0"}, Raw())

    def __enter__(self) -> Fault:
        self.client.meta.events.register("before-send.dynamodb.GetItem", self)
        return self

    def __exit__(self, *_: Any) -> None:
        self.client.meta.events.unregister("before-send.dynamodb.GetItem", self)


@pytest.mark.parametrize(("status", "code"), [(400, "ProvisionedThroughputExceededException"),
                                              (400, "ThrottlingException"), (500, "InternalServerError"),
                                              (503, "ServiceUnavailable")])
def test_throttling_and_5xx_are_retried_as_botocore_retries_them(lean: LeanPath, client: Any, table: str,
                                                                   status: int, code: str) -> None:
    key = {"TableName": table, "Key": {"pk": {"S": "E"}, "sk": {"S": "F"}}}
    attempts = client.meta.config.retries["total_max_attempts"]
    for send in (lambda: lean.send("get_item", key), lambda: client.get_item(**key)):
        with Fault(client, status, code, times=2) as fault:
            got = send()
        assert fault.sent == 3 and "Item" not in got  # two injected failures, then the real answer
        with Fault(client, status, code, times=99) as fault, pytest.raises(ClientError) as info:
            send()
        assert fault.sent == attempts == 5  # make_client's max_attempts=4 retries after the first
        assert info.value.response["Error"]["Code"] == code


def test_a_validation_error_is_not_retried(lean: LeanPath, client: Any, table: str) -> None:
    with Fault(client, 400, "ValidationException", times=99) as fault, pytest.raises(ClientError) as info:
        lean.send("get_item", {"TableName": table, "Key": {"pk": {"S": "E"}, "sk": {"S": "F"}}})
    assert fault.sent == 1 and info.value.response["Error"]["Code"] == "ValidationException"


def test_a_silent_endpoint_times_out_boundedly() -> None:
    """A server that accepts and never answers: the read timeout ends each attempt, the retries end the call."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        silent = make_client(endpoint=f"http://127.0.0.1:{server.getsockname()[1]}", credentials=CREDENTIALS,
                             read_timeout=0.2, max_attempts=2)
        path = _lean_path(silent)
        assert path is not None
        t0 = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            path.send("get_item", {"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}}})
        assert time.monotonic() - t0 < 5
    finally:
        stop.set()
        thread.join()
        server.close()
        for s in held:
            s.close()


async def test_the_store_sends_its_item_calls_on_it(store: Any, counter: Any) -> None:
    """The store's hot calls go this way and stay visible to before-send hooks (the request counters)."""
    assert store.db._lean is not None
    from mastra_core.records import Thread

    await store.memory.save_thread(thread=Thread(id="t1", resource_id="r"))
    counter.reset()
    got = await asyncio.gather(*(store.memory.get_thread_by_id(thread_id="t1") for _ in range(4)))
    assert [t.id for t in got] == ["t1"] * 4 and counter.ops == ["GetItem"] * 4


# ------------------------------------------------------------------ the transport under connection faults


class Sends:
    """Counts the attempts of one operation (a ``before-send`` hook: every attempt, retries included)."""

    def __init__(self, client: Any, operation: str) -> None:
        self.client, self.event, self.count = client, f"before-send.dynamodb.{operation}", 0

    def __call__(self, **_: Any) -> None:
        self.count += 1

    def __enter__(self) -> Sends:
        self.client.meta.events.register(self.event, self)
        return self

    def __exit__(self, *_: Any) -> None:
        self.client.meta.events.unregister(self.event, self)


@pytest.fixture
async def proxied(endpoint: str, table: str) -> Any:
    """A client (and its lean path) that reaches DynamoDB Local through a chaos proxy this test owns."""
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    async with ChaosProxy(parts.hostname or "127.0.0.1", parts.port or 80) as proxy:
        proxied_client = make_client(endpoint=f"http://127.0.0.1:{proxy.port}", credentials=CREDENTIALS,
                                     read_timeout=2, connect_timeout=2, max_attempts=3)
        path = _lean_path(proxied_client)
        assert path is not None
        yield proxy, proxied_client, path
        path.close()


async def test_an_idle_connection_the_server_closed_is_not_written_to(proxied: Any, table: str) -> None:
    proxy, proxied_client, path = proxied
    key = {"TableName": table, "Key": {"pk": {"S": "idle"}, "sk": {"S": "S"}}}
    await asyncio.to_thread(path.send, "get_item", key)  # leaves one idle keep-alive connection
    proxy.kill_connections()
    await asyncio.sleep(0.05)  # the close reaches the idle socket
    with Sends(proxied_client, "GetItem") as sends:
        got = await asyncio.to_thread(path.send, "get_item", key)
    assert "Item" not in got and sends.count == 1  # a fresh connection at once: no failed attempt, no retry


async def test_a_request_cut_in_flight_is_retried_on_a_new_connection(proxied: Any, table: str) -> None:
    proxy, proxied_client, path = proxied
    key = {"TableName": table, "Key": {"pk": {"S": "cut"}, "sk": {"S": "S"}}}
    await asyncio.to_thread(path.send, "get_item", key)
    proxy.cut_request()
    with Sends(proxied_client, "GetItem") as sends:
        got = await asyncio.to_thread(path.send, "get_item", key)
    assert "Item" not in got and proxy.fired == 1 and sends.count == 2  # ConnectionClosedError, then a retry


async def test_a_transaction_whose_reply_is_lost_is_applied_once(proxied: Any, client: Any, table: str) -> None:
    """The reply is swallowed after DynamoDB applied the transaction: botocore's retry resends the same body (the
    same ClientRequestToken) and DynamoDB answers it without applying it again."""
    proxy, proxied_client, path = proxied
    k = {"pk": {"S": "once"}, "sk": {"S": "S"}}
    add = {"TransactItems": [{"Update": {"TableName": table, "Key": k, "UpdateExpression": "ADD n :one",
                                         "ExpressionAttributeValues": {":one": {"N": "1"}}}}]}
    proxy.lose_reply()
    with Sends(proxied_client, "TransactWriteItems") as sends:
        await asyncio.to_thread(path.send, "transact_write_items", add)
    assert proxy.fired == 1 and sends.count == 2
    assert client.get_item(TableName=table, Key=k, ConsistentRead=True)["Item"]["n"] == {"N": "1"}


async def test_a_refused_endpoint_fails_boundedly_with_botocore_s_error(proxied: Any, table: str) -> None:
    from botocore.exceptions import EndpointConnectionError

    proxy, _, path = proxied
    await proxy.stop_listening()
    t0 = time.monotonic()
    with pytest.raises(EndpointConnectionError):
        await asyncio.to_thread(path.send, "get_item", {"TableName": table, "Key": {"pk": {"S": "x"},
                                                                                     "sk": {"S": "S"}}})
    assert time.monotonic() - t0 < 10


# ------------------------------------------------------------------ TLS (a TLS-terminating proxy of our own)


@pytest.fixture
def self_signed(tmp_path: Any) -> tuple[str, str]:
    """A certificate for ``localhost`` and its key, made by ``openssl`` for this test."""
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    assert openssl, "the TLS test makes its certificate with the openssl command"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture
async def tls_endpoint(endpoint: str, self_signed: tuple[str, str]) -> Any:
    """``https://localhost:<port>`` in front of DynamoDB Local (``(url, certificate path)``)."""
    import ssl
    from urllib.parse import urlsplit

    cert, key = self_signed
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    up = urlsplit(endpoint)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection(up.hostname, up.port)
        except OSError:
            writer.close()
            return
        writers.append(up_writer)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"https://localhost:{port}", cert
    finally:
        server.close()
        for w in writers:
            w.transport.abort()  # ends every pipe, so no handler is left running when the loop closes
        await asyncio.sleep(0.05)


async def test_https_verifies_the_certificate_as_botocore_does(tls_endpoint: Any, table: str) -> None:
    """Over TLS both paths give the same reply when the certificate is trusted (``verify=<bundle>``), and both
    refuse it with botocore's SSLError when it is not (the default bundle does not hold a self-signed one)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import SSLError
    from mastra_dynamodb.lean import MADE

    url, cert = tls_endpoint
    key = {"TableName": table, "Key": {"pk": {"S": "tls"}, "sk": {"S": "S"}}}

    def client_for(verify: Any) -> Any:
        made = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="local",
                            aws_secret_access_key="local", verify=verify,
                            config=Config(retries={"mode": "standard", "max_attempts": 1}, parameter_validation=False,
                                          connect_timeout=2, read_timeout=2))
        MADE.add(made)  # as make_client marks its clients (make_client has no verify option)
        return made

    trusting = client_for(cert)
    path = _lean_path(trusting)
    assert path is not None
    await asyncio.to_thread(path.send, "put_item", {"TableName": table, "Item": {**key["Key"], "v": {"B": b"\x01"}}})
    lean_reply = await asyncio.to_thread(path.send, "get_item", key)
    full_reply = await asyncio.to_thread(lambda: trusting.get_item(**key))
    full_reply.pop("ResponseMetadata")
    lean_reply.pop("ResponseMetadata", None)
    assert lean_reply == full_reply and lean_reply["Item"]["v"] == {"B": b"\x01"}
    path.close()

    doubting = client_for(True)
    path = _lean_path(doubting)
    assert path is not None
    with pytest.raises(SSLError):
        await asyncio.to_thread(path.send, "get_item", key)
    with pytest.raises(SSLError):
        await asyncio.to_thread(lambda: doubting.get_item(**key))
