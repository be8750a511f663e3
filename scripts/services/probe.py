#!/usr/bin/env python3
"""Stdlib-only helpers for scripts/services/*.sh: free ports and readiness probes.

Usage:
  probe.py freeport                 print a free TCP port on 127.0.0.1
  probe.py tcp HOST PORT            TCP connect
  probe.py redis HOST PORT          RESP PING -> +PONG
  probe.py mongo HOST PORT          OP_MSG {ping: 1} -> ok: 1.0 (no pymongo needed)
  probe.py sqld URL                 Hrana POST URL/v2/pipeline "select 1" -> ok
  probe.py dynamodb URL             DynamoDB ListTables -> any DynamoDB JSON answer
  probe.py upstash-rest URL TOKENFILE   Upstash REST POST ["PING"] with the bearer token -> {"result": "PONG"}
  probe.py mysql HOST PORT          MySQL/MariaDB initial handshake packet (protocol version 10)
Exit status 0 = ready, 1 = not ready.
"""
import json
import socket
import struct
import os
import sys
import urllib.error
import urllib.request

#: seconds per probe; start.sh asks longer when a server it started is alive but slow (busy, not dead)
TIMEOUT = float(os.environ.get("MASTRA_PROBE_TIMEOUT", "3"))


def freeport() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    print(port)
    return 0


def tcp(host: str, port: str) -> int:
    with socket.create_connection((host, int(port)), timeout=TIMEOUT):
        return 0


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def redis(host: str, port: str) -> int:
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        return 0 if s.recv(64).startswith(b"+PONG") else 1


def mysql(host: str, port: str) -> int:
    # the server speaks first: a 4-byte packet header, then the handshake (protocol version 10), or an error (0xff)
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as s:
        header = _recv_exact(s, 4)
        length = header[0] | header[1] << 8 | header[2] << 16
        payload = _recv_exact(s, min(length, 1))
        return 0 if payload[:1] == b"\x0a" else 1


def mongo(host: str, port: str) -> int:
    def cstr(v: str) -> bytes:
        return v.encode() + b"\0"

    body = (b"\x10" + cstr("ping") + struct.pack("<i", 1)
            + b"\x02" + cstr("$db") + struct.pack("<i", 6) + cstr("admin"))
    doc = struct.pack("<i", len(body) + 5) + body + b"\0"
    payload = struct.pack("<I", 0) + b"\0" + doc  # flagBits, section kind 0
    msg = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload  # OP_MSG
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as s:
        s.sendall(msg)
        length = struct.unpack("<i", _recv_exact(s, 16)[:4])[0]
        reply = _recv_exact(s, length - 16)
    i = reply.find(b"\x01ok\x00")
    if i >= 0 and struct.unpack("<d", reply[i + 4:i + 12])[0] == 1.0:
        return 0
    i = reply.find(b"\x10ok\x00")  # some servers answer ok as int32
    return 0 if i >= 0 and struct.unpack("<i", reply[i + 4:i + 8])[0] == 1 else 1


def sqld(url: str) -> int:
    body = json.dumps({"requests": [
        {"type": "execute", "stmt": {"sql": "select 1"}},
        {"type": "close"},
    ]}).encode()
    req = urllib.request.Request(url.rstrip("/") + "/v2/pipeline", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        data = json.load(r)
    return 0 if data["results"][0]["type"] == "ok" else 1


def dynamodb(url: str) -> int:
    req = urllib.request.Request(url.rstrip("/") + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "X-Amz-Date": "20240101T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=0",
    })
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            raw = r.read()
    except urllib.error.HTTPError as e:  # a DynamoDB error JSON still means "up"
        raw = e.read()
    data = json.loads(raw)
    return 0 if ("TableNames" in data or "__type" in data) else 1


def upstash_rest(url: str, token_file: str) -> int:
    with open(token_file) as f:
        token = f.read().strip()
    req = urllib.request.Request(url.rstrip("/") + "/", data=b'["PING"]', method="POST",
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        data = json.load(r)
    return 0 if data.get("result") == "PONG" else 1


def main(argv):
    cmds = {"freeport": freeport, "tcp": tcp, "redis": redis, "mongo": mongo,
            "sqld": sqld, "dynamodb": dynamodb, "mysql": mysql, "upstash-rest": upstash_rest}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    try:
        return cmds[argv[1]](*argv[2:])
    except Exception as e:  # not ready
        if argv[1] == "freeport":
            raise
        sys.stderr.write("probe %s: %s: %s\n" % (argv[1], type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
