"""The REST stand-in refuses server-wide commands, proven against a Redis server this test owns.

The stand-in normally fronts the machine's shared Redis, so this test never sends it a FLUSH: it starts
its own ``redis-server`` (no persistence, a free port) and its own stand-in process in front of it, plants
a key, sends every dangerous command through the REST API, and checks each was refused and the key is
still there. Both processes are stopped at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

STANDIN = Path(__file__).resolve().parents[3] / "scripts" / "services" / "upstash_rest" / "server.py"
DANGEROUS = [["FLUSHALL"], ["FLUSHDB"], ["SCRIPT", "FLUSH"], ["FUNCTION", "FLUSH"], ["SWAPDB", "0", "1"],
             ["CONFIG", "SET", "maxmemory", "1"], ["SHUTDOWN", "NOSAVE"], ["DEBUG", "SLEEP", "0"]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    """Wait (bounded: 20 s) until ``port`` accepts connections; fail with the process's exit if it died."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{what} did not listen on {port} within 20 s")


@pytest.fixture
def private_standin(tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    """(REST URL, token, private Redis port): a stand-in in front of a redis-server owned by this test."""
    server = shutil.which("redis-server")
    if server is None:  # the machine provides Redis from Debian's package, so its binary is here
        pytest.fail("redis-server is not on PATH: this test needs it to run a private Redis")
    redis_port, rest_port = _free_port(), _free_port()
    redis_proc = subprocess.Popen([server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", str(tmp_path)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    token = secrets.token_urlsafe(24)
    rest_proc: subprocess.Popen[bytes] | None = None
    try:
        _wait_for_port(redis_port, redis_proc, "private redis-server")
        rest_proc = subprocess.Popen(
            [sys.executable, str(STANDIN), "--port", str(rest_port), "--redis", f"redis://127.0.0.1:{redis_port}/0",
             "--quiet"], env={**os.environ, "UPSTASH_REST_TOKEN": token},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(rest_port, rest_proc, "REST stand-in")
        yield f"http://127.0.0.1:{rest_port}", token, redis_port
    finally:
        for proc in (rest_proc, redis_proc):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)


def test_the_standin_refuses_server_wide_commands_and_the_data_stays(private_standin: tuple[str, str, int]) -> None:
    url, token, _ = private_standin
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        assert client.post("/", json=["SET", "planted", "still-here"]).json() == {"result": "OK"}
        for command in DANGEROUS:
            reply = client.post("/", json=command)
            assert reply.status_code == 400, (command, reply.status_code, reply.text)
            assert "not allowed" in reply.json()["error"], command
        assert client.post("/", json=["GET", "planted"]).json() == {"result": "still-here"}
        assert client.post("/", json=["DBSIZE"]).json() == {"result": 1}
