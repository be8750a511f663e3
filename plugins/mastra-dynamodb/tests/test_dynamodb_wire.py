"""The lean path's reply reader (wire.py) against the standard library's ``http.client`` as the oracle: for any
reply a server may send to a POST (Content-Length, chunked or close-delimited bodies, interim 1xx replies,
Connection tokens, HTTP/1.0), arriving cut into any pieces, the same status, headers, body and reusability.
Malformed replies are errors, never a wrong body. No service needed: the bytes come from the test."""

from __future__ import annotations

import http.client
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mastra_dynamodb.wire import Stream, read_reply


class Pieces:
    """A socket stand-in that hands out the reply's bytes in the given pieces (then end of stream)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    def recv(self, size: int) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


class WholeReply:
    """What ``http.client.HTTPResponse`` reads from: ``makefile`` over the reply's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self.data)


def cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False) if b > a]


def oracle(data: bytes) -> tuple[int, list[tuple[str, str]], bytes, bool]:
    reply = http.client.HTTPResponse(WholeReply(data), method="POST")  # type: ignore[arg-type]
    reply.begin()
    body = reply.read()
    return reply.status, sorted(reply.headers.items()), body, not reply.will_close


def ours(data: bytes, cuts: list[int]) -> tuple[int, list[tuple[str, str]], bytes, bool]:
    reply = read_reply(Stream(Pieces(cut(data, cuts))))  # type: ignore[arg-type]
    return reply.status, sorted(reply.headers.items()), reply.body, reply.keep


token = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"), min_size=1,
                max_size=12).filter(lambda name: name.lower() not in ("content-length", "transfer-encoding",
                                                                      "connection"))
value = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30)


@st.composite
def replies(draw: Any) -> bytes:
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0"]))
    status = draw(st.sampled_from([200, 201, 204, 400, 413, 500, 503]))
    headers = draw(st.lists(st.tuples(token, value), max_size=6))
    body = draw(st.binary(max_size=400)) if status != 204 else b""
    framing = draw(st.sampled_from(["length", "chunked", "close"])) if status != 204 else "length"
    connection = draw(st.sampled_from([None, "close", "keep-alive", "Keep-Alive", "close, upgrade"]))
    out = b"".join(draw(st.lists(st.just(b"HTTP/1.1 100 Continue\r\n\r\n"), max_size=2)))
    out += version + f" {status} Reason Phrase\r\n".encode()
    for name, text in headers:
        out += f"{name}: {text}\r\n".encode()
    if connection is not None:
        out += f"Connection: {connection}\r\n".encode()
    if framing == "length":
        return out + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    if framing == "close":
        return out + b"\r\n" + body
    out += b"Transfer-Encoding: chunked\r\n\r\n"
    sizes = draw(st.lists(st.integers(1, 64), max_size=10))
    rest = body
    for size in sizes:
        piece, rest = rest[:size], rest[size:]
        if piece:
            out += f"{len(piece):x};ext=1\r\n".encode() + piece + b"\r\n"
    if rest:
        out += f"{len(rest):X}\r\n".encode() + rest + b"\r\n"
    return out + b"0\r\nTrailer-Name: x\r\n\r\n"


@settings(max_examples=150, deadline=None)
@given(data=replies(), cuts=st.lists(st.integers(0, 2000), max_size=8))
def test_any_reply_in_any_pieces_reads_as_http_client_reads_it(data: bytes, cuts: list[int]) -> None:
    assert ours(data, cuts) == oracle(data)


def test_a_connection_closed_before_a_reply_is_a_remote_disconnect() -> None:
    with pytest.raises(http.client.RemoteDisconnected):
        read_reply(Stream(Pieces([])))  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # the body cut short
    b"HTTP/1.1 200 OK\r\nContent-Le",  # the head cut short
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  # a chunk cut short
])
def test_a_reply_cut_short_is_an_incomplete_read(data: bytes) -> None:
    with pytest.raises(http.client.IncompleteRead):
        read_reply(Stream(Pieces([data])))  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [
    b"SSH-2.0-OpenSSH\r\n\r\n",  # not HTTP
    b"HTTP/1.1 2x0 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
])
def test_a_malformed_reply_is_an_http_error_not_a_body(data: bytes) -> None:
    with pytest.raises(http.client.HTTPException):
        read_reply(Stream(Pieces([data])))  # type: ignore[arg-type]


def test_a_head_without_end_is_bounded() -> None:
    endless = [b"HTTP/1.1 200 OK\r\n"] + [b"X-Pad: " + b"a" * 1000 + b"\r\n"] * 100
    with pytest.raises(http.client.LineTooLong):
        read_reply(Stream(Pieces(endless)))  # type: ignore[arg-type]


def test_bytes_after_a_reply_are_left_for_the_caller_to_see() -> None:
    """A server that sends more than one reply's worth: the reader leaves the rest, so the connection is not reused
    (Connections.post closes a connection with unread bytes)."""
    stream = Stream(Pieces([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n"]))  # type: ignore
    reply = read_reply(stream)
    assert reply.body == b"{}" and reply.keep and bytes(stream.buf) == b"HTTP/1.1 200 OK\r\n"
