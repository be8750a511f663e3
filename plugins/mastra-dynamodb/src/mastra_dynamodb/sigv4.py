"""AWS Signature Version 4 for the lean path's requests: one POST to ``/`` with a fixed set of headers.

botocore's ``SigV4Auth`` is general (any method, path, query string and header set, each canonicalised through
``HTTPHeaders`` and ``urlsplit``) and derives the signing key with four HMACs on every request: about a fifth of a
small call's client CPU here. This signer knows the request's shape in advance, so the canonical request is a
format string, and keeps the derived key for the day (the key depends only on the secret, the date, the region and
the service). It writes byte for byte the headers ``SigV4Auth`` writes for the same request and second
(``tests/test_dynamodb_sigv4.py`` holds it to botocore's signer as the oracle).
"""

from __future__ import annotations

import hmac
import time
from hashlib import sha256
from typing import Any

#: The signing algorithm's name, as it opens the string to sign and the Authorization header.
ALGORITHM = "AWS4-HMAC-SHA256"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), sha256).digest()


def _canonical_value(value: str) -> str:
    """A header value as SigV4 canonicalises it: trimmed, inner runs of whitespace made one space."""
    return " ".join(value.split())


class Signer:
    """Signs the requests of one operation: its host, region, service and fixed headers are known up front.

    ``fixed`` are the operation's own headers (``X-Amz-Target``, ``Content-Type``, any the endpoint adds), all
    signed, as botocore signs every header but ``User-Agent``/``Expect``/``Transfer-Encoding``/``X-Amzn-Trace-Id``.
    """

    def __init__(self, *, host: str, region: str, service: str, fixed: dict[str, str]) -> None:
        self.region = region
        self.service = service
        self._fixed = {name.lower(): _canonical_value(value) for name, value in fixed.items()}
        self._fixed["host"] = host
        self._key: tuple[str, str, bytes] | None = None  # (secret, date, signing key)

    def _signing_key(self, secret: str, date: str) -> bytes:
        cached = self._key
        if cached is not None and cached[0] == secret and cached[1] == date:
            return cached[2]
        key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), self.region), self.service), "aws4_request")
        self._key = (secret, date, key)
        return key

    def headers(self, credentials: Any, body: bytes, timestamp: str | None = None) -> dict[str, str]:
        """The headers a request with ``body`` adds for its signature (``X-Amz-Date``, ``X-Amz-Security-Token``
        when the credentials have a session token, ``Authorization``); ``timestamp`` (``YYYYMMDDTHHMMSSZ``) is
        now unless given (tests)."""
        stamp = timestamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        date = stamp[:8]
        signed = dict(self._fixed)
        signed["x-amz-date"] = stamp
        token = credentials.token
        if token:
            signed["x-amz-security-token"] = _canonical_value(token)
        names = sorted(signed)
        signed_names = ";".join(names)
        canonical = "POST\n/\n\n{}\n\n{}\n{}".format(
            "\n".join(f"{name}:{signed[name]}" for name in names), signed_names, sha256(body).hexdigest())
        scope = f"{date}/{self.region}/{self.service}/aws4_request"
        to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._signing_key(credentials.secret_key, date), to_sign.encode(), sha256).hexdigest()
        out = {"X-Amz-Date": stamp}
        if token:
            out["X-Amz-Security-Token"] = token
        out["Authorization"] = (f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
                                f"SignedHeaders={signed_names}, Signature={signature}")
        return out
