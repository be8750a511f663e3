"""The lean path's SigV4 signer (sigv4.py) against botocore's ``SigV4Auth`` as the oracle: for the same request,
credentials and second, the same ``X-Amz-Date``, ``X-Amz-Security-Token`` and ``Authorization``, byte for byte.
No service needed: signing is pure."""

from __future__ import annotations

import datetime
from typing import Any

import botocore.auth
import pytest
from botocore.auth import SigV4Auth, _host_from_url
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_dynamodb.sigv4 import Signer

FIXED = {"X-Amz-Target": "DynamoDB_20120810.GetItem", "Content-Type": "application/x-amz-json-1.0"}


def botocore_headers(monkeypatch: pytest.MonkeyPatch, url: str, region: str, credentials: Credentials, body: bytes,
                     when: datetime.datetime, fixed: dict[str, str]) -> dict[str, str]:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: when)
    request = AWSRequest(method="POST", url=url, data=body, headers={**fixed, "User-Agent": "agent/1 x"})
    SigV4Auth(credentials.get_frozen_credentials(), "dynamodb", region).add_auth(request)
    return {name: request.headers[name] for name in ("X-Amz-Date", "X-Amz-Security-Token", "Authorization")
            if request.headers.get(name) is not None}


def ours(url: str, region: str, credentials: Credentials, body: bytes, when: datetime.datetime,
         fixed: dict[str, str]) -> dict[str, str]:
    signer = Signer(host=_host_from_url(url), region=region, service="dynamodb", fixed=fixed)
    return signer.headers(credentials.get_frozen_credentials(), body, when.strftime("%Y%m%dT%H%M%SZ"))


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "https://dynamodb.eu-west-1.amazonaws.com/",
                                 "https://dynamodb.us-east-1.amazonaws.com:443/", "http://[::1]:8000/",
                                 "http://LocalHost/"])
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEJr//////////wEaDM+token/with+slashes=="])
def test_the_same_signature_as_botocore(monkeypatch: pytest.MonkeyPatch, url: str, token: str | None) -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    when = datetime.datetime(2026, 11, 30, 23, 59, 59)
    body = b'{"TableName":"t","Key":{"pk":{"S":"a"},"sk":{"S":"b"}}}'
    expected = botocore_headers(monkeypatch, url, "eu-west-1", credentials, body, when, FIXED)
    assert ours(url, "eu-west-1", credentials, body, when, FIXED) == expected
    assert ("X-Amz-Security-Token" in expected) == (token is not None)


def test_the_cached_key_follows_the_date_and_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signing key is kept per day: a new day, or rotated credentials, sign with a new key."""
    url = "http://127.0.0.1:8000/"
    signer = Signer(host=_host_from_url(url), region="us-east-1", service="dynamodb", fixed=FIXED)
    body = b"{}"
    for secret, when in [("s1", datetime.datetime(2026, 11, 30, 23, 59, 59)),
                         ("s1", datetime.datetime(2026, 12, 1, 0, 0, 0)),
                         ("s2", datetime.datetime(2026, 12, 1, 0, 0, 1))]:
        credentials = Credentials("AK", secret)
        got = signer.headers(credentials.get_frozen_credentials(), body, when.strftime("%Y%m%dT%H%M%SZ"))
        assert got == botocore_headers(monkeypatch, url, "us-east-1", credentials, body, when, FIXED)


header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=300), target=header_text, extra=header_text,
       secret=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
       token=st.none() | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60),
       region=st.sampled_from(["us-east-1", "eu-central-1", "ap-southeast-2"]))
def test_any_body_and_header_values_sign_as_botocore_signs_them(body: bytes, target: str, extra: str, secret: str,
                                                                  token: str | None, region: str) -> None:
    """Header values with runs of spaces and edge whitespace (canonicalised), any body bytes, any token."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        fixed: dict[str, Any] = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0",
                                 "X-Extra": extra}
        credentials = Credentials("AKID", secret, token)
        when = datetime.datetime(2027, 1, 2, 3, 4, 5)
        url = "http://127.0.0.1:8000/"
        assert ours(url, region, credentials, body, when, fixed) == botocore_headers(
            monkeypatch, url, region, credentials, body, when, fixed)
