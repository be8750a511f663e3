"""A lean request path for the store's data calls (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan,
BatchGetItem, BatchWriteItem, TransactWriteItems).

botocore spends most of such a call's client CPU on generality: walking the service model (serialising the request
from its shape, parsing the reply from its shape), building header objects, emitting a dozen events that do nothing
for these calls, a general SigV4 signer and urllib3's general pool (bench/dynamodb_callgrind.py).

This path keeps what decides behaviour, and that is botocore's own: the client's credentials (refreshed as botocore
refreshes them), the endpoint the client's ruleset resolves, the session's connect/read timeouts, socket options,
TLS checks and pool size, its retry handler (the ``needs-retry`` event through ``Endpoint._needs_retry``: the same
retry decisions, quota and backoff), its parameter hooks (so its idempotency tokens) and its error parsing and
exception classes (errors are parsed by botocore's own parser, so ``ClientError`` codes and modeled fields such as a
failed condition's ``Item`` or a transaction's ``CancellationReasons`` are exactly botocore's).

What it does itself: the request body is the parameters as JSON (orjson's compact UTF-8 where it can write them,
else ``json.dumps`` as botocore's serialiser; blobs as base64 either way: the same JSON value); the signature
(:mod:`.sigv4`, held to botocore's signer by a test); the HTTP exchange (:mod:`.wire`: one send per request on
keep-alive connections, transport failures raised as the exceptions botocore raises for them); a successful reply
is the body read as JSON (core's ``fastjson.loads``: exactly ``json.loads``'s values) with blobs decoded (what
botocore's parser returns, without ``ResponseMetadata``).

Hooks: ``provide-client-params`` and ``before-parameter-build`` (handlers may change the parameters; botocore's own
fills idempotency tokens), ``before-send`` (handlers may inspect the request, as the request counters of the tests
and benches do, or answer in the service's place) and ``needs-retry``/``after-call`` are emitted as botocore emits
them; the other events of a call are not. So the path is only used on clients made by
:func:`~mastra_dynamodb.connection.make_client` (standard retries, no parameter validation) that send straight to
their endpoint (no proxy, no client certificate) with SigV4; anything else takes botocore's full path.
"""

from __future__ import annotations

import base64
import json
import ssl
import weakref
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from botocore.parsers import create_parser
from mastra_core.backend.fastjson import loads, orjson
from mastra_core.log import get_logger

from . import wire
from .sigv4 import Signer
from .wire import ConnectFailed, Connections, tls_context

_log = get_logger("mastra_dynamodb")

#: client method -> DynamoDB operation name, for the calls that take this path.
OPERATIONS = {"get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem",
              "delete_item": "DeleteItem", "query": "Query", "scan": "Scan", "batch_get_item": "BatchGetItem",
              "batch_write_item": "BatchWriteItem", "transact_write_items": "TransactWriteItems"}

#: Clients made by ``make_client`` (the only ones whose configuration and hooks this path knows).
MADE: weakref.WeakSet[Any] = weakref.WeakSet()


def _blob(value: Any) -> str:
    """JSON for what ``json`` cannot write: bytes as base64, as botocore's serialiser writes blobs."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot send {type(value).__name__} to DynamoDB")


def _request_body(params: dict[str, Any]) -> bytes:
    """The parameters as JSON: orjson when installed and able (a lone surrogate or an integer past 64 bits is not),
    else the standard encoder as botocore's serialiser writes it."""
    if orjson is not None:
        try:
            data: bytes = orjson.dumps(params, default=_blob)
            return data
        except TypeError:  # orjson.JSONEncodeError is a TypeError; the standard encoder says what is wrong
            pass
    return json.dumps(params, default=_blob).encode()


def _unblob(value: Any) -> Any:
    """Decode the base64 blobs (``B``, ``BS``) of AttributeValues anywhere in a parsed reply, in place."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "B" and isinstance(v, str) and len(value) == 1:
                value[k] = base64.b64decode(v)
            elif k == "BS" and isinstance(v, list) and len(value) == 1:
                value[k] = [base64.b64decode(x) for x in v]
            elif isinstance(v, dict | list):
                _unblob(v)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict | list):
                _unblob(v)
    return value


class _Operation:
    """What one operation's requests share: its model, URL, signer and event names."""

    def __init__(self, client: Any, name: str, params: dict[str, Any]) -> None:
        self.name = name
        self.model = client.meta.service_model.operation_model(name)
        context: dict[str, Any] = {
            "client_region": client.meta.region_name, "client_config": client.meta.config,
            "has_streaming_input": False, "auth_type": self.model.resolved_auth_type,
            "unsigned_payload": self.model.unsigned_payload,
            "auth_options": client.meta.service_model.metadata.get("auth"),
        }
        url, extra_headers, _ = client._resolve_endpoint_ruleset(self.model, params, context)
        if context.get("auth_type") not in (None, "v4"):
            raise LookupError(f"auth {context.get('auth_type')!r}")
        signing = context.get("signing", {})
        parts = urlsplit(url)
        if parts.path not in ("", "/") or parts.query:
            raise LookupError("an endpoint with a path or query")  # the signer's canonical request is POST /
        self.url = url if parts.path else url + "/"
        self.path = "/"
        meta = client.meta.service_model.metadata
        self.headers = {
            "X-Amz-Target": f"{meta['targetPrefix']}.{name}",
            "Content-Type": f"application/x-amz-json-{meta['jsonVersion']}",
            **dict(extra_headers or {}),
        }
        self.signer = Signer(host=wire.host_header(self.url),
                             region=signing.get("region") or client.meta.region_name,
                             service=signing.get("signing_name") or client.meta.service_model.signing_name,
                             fixed=self.headers)
        service = client.meta.service_model.service_id.hyphenize()
        self.provide_params = f"provide-client-params.{service}.{name}"
        self.before_build = f"before-parameter-build.{service}.{name}"
        self.before_send = f"before-send.{service}.{name}"
        self.after_call = f"after-call.{service}.{name}"


#: The mark of an operation this path does not send (botocore's full path sends it).
_FULL: Any = object()


class LeanPath:
    """Sends the :data:`OPERATIONS` calls of one client (see the module docstring); thread-safe as the client."""

    def __init__(self, client: Any) -> None:
        """Raises ``LookupError``/``AttributeError`` when the client is not one this path can serve."""
        if client not in MADE:
            raise LookupError("not a client made by make_client")
        if client.meta.config.signature_version not in (None, "v4"):
            raise LookupError("not signed with SigV4")
        if wire.host_from_url is None:
            raise LookupError("botocore.auth._host_from_url moved")
        self._client = client
        self._events = client.meta.events
        self._endpoint = client._endpoint
        self._session = self._endpoint.http_session
        self._signer = client._request_signer
        self._error_parser = create_parser(client.meta.service_model.resolved_protocol)
        self._user_agent: str = client._user_agent_creator.to_string()
        for name in ("_needs_retry", "_add_modeled_error_fields"):  # called on retries and errors, not on every call
            if not callable(getattr(self._endpoint, name, None)):
                raise LookupError(f"botocore's Endpoint.{name} moved")
        if getattr(self._session, "_cert_file", None):
            raise LookupError("a client certificate is configured")
        self._ops: dict[str, _Operation] = {}
        self._connections: dict[str, Connections] = {}

    def _operation(self, method: str, params: dict[str, Any]) -> _Operation:
        op = _Operation(self._client, OPERATIONS[method], params)
        if self._session._proxy_config.proxy_url_for(op.url):
            raise LookupError("a proxy applies")
        self._connections_to(op.url)
        self._ops[method] = op
        return op

    def _connections_to(self, url: str) -> Connections:
        """The connections to ``url``, with the botocore session's timeouts, socket options, TLS checks and size."""
        conns = self._connections.get(url)
        if conns is None:
            session = self._session
            timeout = session._timeout
            connect, read = ((timeout, timeout) if isinstance(timeout, int | float)
                             else (timeout.connect_timeout, timeout.read_timeout))
            tls = tls_context(session._verify) if url.lower().startswith("https") else None
            made = Connections(url, connect_timeout=connect, read_timeout=read,
                               socket_options=list(session._socket_options),
                               max_idle=session._max_pool_connections, ssl_context=tls)
            conns = self._connections.setdefault(url, made)  # two threads racing here share the first one made
        return conns

    def close(self) -> None:
        """Close this path's connections (those in use when their request ends); a later call opens new ones. The
        client's own urllib3 pool is the client's to close."""
        for conns in list(self._connections.values()):
            conns.close()
        self._connections.clear()

    def send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run client method ``method`` (one of :data:`OPERATIONS`) with ``params``, on this path when it can send
        the operation (decided, and its endpoint resolved, once per operation: a store's requests all name its one
        table), else on botocore's full path. Blocks: run it in a thread."""
        op = self._ops.get(method)
        if op is None:
            try:
                op = self._operation(method, params)
            except (LookupError, AttributeError, KeyError, TypeError) as exc:
                _log.info("DynamoDB calls take botocore's full path", operation=OPERATIONS[method], reason=str(exc))
                op = self._ops[method] = _FULL
        if op is _FULL:
            result: dict[str, Any] = getattr(self._client, method)(**params)
            return result
        return self.call(op, params)

    def call(self, op: _Operation, params: dict[str, Any]) -> dict[str, Any]:
        """One call, retried as botocore retries it; the reply as botocore parses it (``ResponseMetadata`` holds only
        what the retry handler adds)."""
        # as botocore's client does first: handlers may change the parameters or return new ones (botocore's own
        # fills an idempotency token left out, such as a transaction's ClientRequestToken)
        context: dict[str, Any] = {}
        params = dict(params)  # the caller's own dict stays as it was (as with botocore's **kwargs)
        responses = self._events.emit(op.provide_params, params=params, model=op.model, context=context)
        params = next((r[1] for r in responses if r[1] is not None), params)
        self._events.emit(op.before_build, params=params, model=op.model, context=context)
        body = _request_body(params)
        request_dict: dict[str, Any] = {"context": {}}
        attempts = 1
        while True:
            response, exc = self._attempt(op, body)
            if not self._endpoint._needs_retry(attempts, op.model, request_dict, response, exc):
                break
            attempts += 1
        if exc is not None:
            raise exc
        assert response is not None
        http, parsed = response
        self._events.emit(op.after_call, http_response=http, parsed=parsed, model=op.model,
                          context=request_dict["context"])
        if http.status_code >= 300:
            error_class = self._client.exceptions.from_code(parsed.get("Error", {}).get("Code"))
            raise error_class(parsed, op.name)
        return parsed

    def _attempt(self, op: _Operation, body: bytes) -> tuple[tuple[Any, dict[str, Any]] | None, Exception | None]:
        """Sign and send once: ``((http response, parsed reply), None)`` or ``(None, the exception)``."""
        try:
            credentials = self._signer._credentials
            if credentials is None:
                raise NoCredentialsError()
            headers = {**op.headers, "User-Agent": self._user_agent,
                       **op.signer.headers(credentials.get_frozen_credentials(), body)}
            request = AWSRequest(method="POST", url=op.url, data=body, headers=headers)
            responses = self._events.emit(op.before_send, request=request)
            http = next((r for r in responses if r[1] is not None), (None, None))[1]
            if http is None:
                http = self._send(op, body, headers)
        except Exception as exc:  # as botocore's endpoint: the retry handler decides
            return None, exc
        content = http.content
        if http.status_code >= 300:
            response_dict = {"headers": http.headers, "status_code": http.status_code, "body": content,
                             "context": {"operation_name": op.name}}
            parsed: dict[str, Any] = self._error_parser.parse(response_dict, op.model.output_shape)
            self._endpoint._add_modeled_error_fields(response_dict, parsed, op.model, self._error_parser)
        else:
            parsed = loads(content) if content else {}
            if content.find(b'"B') >= 0:  # a blob somewhere (or these bytes inside a string): decode as botocore does
                _unblob(parsed)
        return (http, parsed), None

    def _send(self, op: _Operation, body: bytes, headers: dict[str, str]) -> AWSResponse:
        """POST on this path's connections; failures translated into the exceptions botocore's ``URLLib3Session``
        raises for the same failures (so its retry handler decides alike)."""
        try:
            reply = self._connections_to(op.url).post(op.path, {"Accept-Encoding": "identity", **headers}, body)
        except ConnectFailed as e:
            cause = e.__cause__
            if isinstance(cause, ssl.SSLError):
                raise SSLError(endpoint_url=op.url, error=cause) from e
            if isinstance(cause, TimeoutError):
                raise ConnectTimeoutError(endpoint_url=op.url, error=cause) from e
            raise EndpointConnectionError(endpoint_url=op.url, error=cause) from e
        except TimeoutError as e:
            raise ReadTimeoutError(endpoint_url=op.url, error=e) from e
        except ssl.SSLError as e:
            raise SSLError(endpoint_url=op.url, error=e) from e
        except (ConnectionError, HTTPException) as e:  # reset, closed, a reply cut short or malformed
            raise ConnectionClosedError(error=e, request=None, endpoint_url=op.url) from e
        except Exception as e:
            raise HTTPClientError(error=e) from e
        return AWSResponse(op.url, reply.status, reply.headers, reply)
