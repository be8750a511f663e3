"""A lean request path for the store's hot item calls (GetItem, PutItem, UpdateItem, DeleteItem, Query).

botocore spends about half of such a call's client CPU walking the service model (serialising the request from
its shape, parsing the reply from its shape), building its header objects and emitting a dozen events that do
nothing for these calls (bench/dynamodb_callgrind.py). This path keeps what matters and is botocore's own: the
client's credentials (refreshed as botocore refreshes them), botocore's ``SigV4Auth`` signer, the endpoint the
client's ruleset resolves, its urllib3 connection pool (with its connect/read timeouts), its retry handler (the
``needs-retry`` event through ``Endpoint._needs_retry``: the same retry decisions, quota and backoff) and its
error parsing and exception classes (errors are parsed by botocore's own parser, so ``ClientError`` codes and
modeled fields such as a failed condition's ``Item`` are exactly botocore's). What it does itself: the request
body is ``json.dumps`` of the parameters (byte for byte botocore's body: blobs as base64) and a successful reply
is ``json.loads`` of the body with blobs decoded (what botocore's parser returns, without ``ResponseMetadata``).

Hooks: ``before-send`` (handlers may inspect the request, as the request counters of the tests and benches do)
and ``needs-retry``/``after-call`` are emitted as botocore emits them; the other events of a call are not.
So the path is only used on clients made by :func:`~mastra_dynamodb.connection.make_client` (standard retries,
no parameter validation) that send straight to their endpoint (no proxy) with SigV4; anything else takes
botocore's full path.
"""

from __future__ import annotations

import base64
import json
import socket
import weakref
from hashlib import sha256
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)
from botocore.parsers import create_parser
from mastra_core.log import get_logger
from urllib3.exceptions import ConnectTimeoutError as URLLib3ConnectTimeoutError
from urllib3.exceptions import NewConnectionError, ProtocolError
from urllib3.exceptions import ReadTimeoutError as URLLib3ReadTimeoutError
from urllib3.exceptions import SSLError as URLLib3SSLError
from urllib3.util.retry import Retry

_log = get_logger("mastra_dynamodb")

#: client method -> DynamoDB operation name, for the calls that take this path.
OPERATIONS = {"get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem",
              "delete_item": "DeleteItem", "query": "Query"}

#: Clients made by ``make_client`` (the only ones whose configuration and hooks this path knows).
MADE: weakref.WeakSet[Any] = weakref.WeakSet()


def _payload(self: Any, request: Any) -> str:
    """The body's SHA-256 (payloads are always signed here, as botocore signs DynamoDB's)."""
    return sha256(request.data).hexdigest()


#: botocore's SigV4 signer, hashing the payload straight from the body bytes (``AWSRequest.body`` builds a whole
#: prepared request for it, about a sixth of what signing costs). Made with ``type`` as botocore has no types.
_SigV4: Any = type("_SigV4", (SigV4Auth,), {"payload": _payload})


def _blob(value: Any) -> str:
    """JSON for what ``json`` cannot write: bytes as base64, as botocore's serialiser writes blobs."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot send {type(value).__name__} to DynamoDB")


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
    """What one operation's requests share: its model, URL, signing scope and event names."""

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
        self.region: str = signing.get("region") or client.meta.region_name
        self.signing_name: str = signing.get("signing_name") or client.meta.service_model.signing_name
        parts = urlsplit(url)
        self.url = url if parts.path else url + "/"
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        meta = client.meta.service_model.metadata
        self.headers = {
            "X-Amz-Target": f"{meta['targetPrefix']}.{name}",
            "Content-Type": f"application/x-amz-json-{meta['jsonVersion']}",
            **dict(extra_headers or {}),
        }
        service = client.meta.service_model.service_id.hyphenize()
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
        self._client = client
        self._events = client.meta.events
        self._endpoint = client._endpoint
        self._session = self._endpoint.http_session
        self._signer = client._request_signer
        self._error_parser = create_parser(client.meta.service_model.resolved_protocol)
        self._user_agent: str = client._user_agent_creator.to_string()
        self._ops: dict[str, _Operation] = {}
        self._pools: dict[str, Any] = {}

    def _operation(self, method: str, params: dict[str, Any]) -> _Operation:
        op = _Operation(self._client, OPERATIONS[method], params)
        if self._session._proxy_config.proxy_url_for(op.url):
            raise LookupError("a proxy applies")
        self._ops[method] = op
        return op

    def _pool(self, url: str) -> Any:
        pool = self._pools.get(url)
        if pool is None or pool.pool is None:  # first use, or closed (the manager evicted or cleared it)
            pool = self._session._get_connection_manager(url).connection_from_url(url)
            self._session._setup_ssl_cert(pool, url, self._session._verify)
            self._pools[url] = pool
        return pool

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
        body = json.dumps(params, default=_blob).encode()
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
        headers = {**op.headers, "User-Agent": self._user_agent}
        request = AWSRequest(method="POST", url=op.url, data=body, headers=headers)
        try:
            credentials = self._signer._credentials
            frozen = credentials.get_frozen_credentials() if credentials is not None else None
            _SigV4(frozen, op.signing_name, op.region).add_auth(request)
            for name in ("X-Amz-Date", "X-Amz-Security-Token", "Authorization"):
                value = request.headers.get(name)
                if value is not None:
                    headers[name] = value
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
            parsed = json.loads(content) if content else {}
            if b'"B' in content:  # a blob somewhere (or these bytes inside a string): decode as botocore does
                _unblob(parsed)
        return (http, parsed), None

    def _send(self, op: _Operation, body: bytes, headers: dict[str, str]) -> Any:
        """POST on the client's pool, exceptions translated as botocore's ``URLLib3Session.send`` translates them."""
        try:
            raw = self._pool(op.url).urlopen(
                "POST", op.path, body=body, headers=headers, retries=Retry(False), assert_same_host=False,
                preload_content=False, decode_content=False, enforce_content_length=False,
            )
            http = AWSResponse(op.url, raw.status, raw.headers, raw)
            _ = http.content  # read it all now, as botocore does for a non-streaming reply
            return http
        except URLLib3SSLError as e:
            raise SSLError(endpoint_url=op.url, error=e) from e
        except (NewConnectionError, socket.gaierror) as e:
            raise EndpointConnectionError(endpoint_url=op.url, error=e) from e
        except URLLib3ConnectTimeoutError as e:
            raise ConnectTimeoutError(endpoint_url=op.url, error=e) from e
        except URLLib3ReadTimeoutError as e:
            raise ReadTimeoutError(endpoint_url=op.url, error=e) from e
        except ProtocolError as e:
            raise ConnectionClosedError(error=e, request=None, endpoint_url=op.url) from e
        except Exception as e:
            raise HTTPClientError(error=e) from e
