"""A loopback TCP proxy the tests own, on plain threads: it forwards until told to stall, then holds every byte.

Threads (not the event loop) so it keeps running whatever the event loop of the test is doing.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


class StallProxy:
    """``127.0.0.1:<port>`` forwarding to ``(host, port)``; :meth:`stall` stops forwarding, :meth:`resume` goes on.

    While stalled, new connections are accepted but nothing is forwarded either way (a server that hangs).
    :meth:`resume` also drops the connections opened so far, as a server restart after a hang would.
    """

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._closed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        #: One-shot cut: (marker, forward_request) armed by :meth:`cut_at`; the connection it fired on.
        self._cut: tuple[tuple[bytes, ...], bool] | None = None
        self._doomed: set[socket.socket] = set()
        self.cuts = 0
        self._cut_forwards = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, request: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self._open.wait()  # stalled: hold the bytes
                if self._closed:
                    break
                if request and self._fires(data, src):
                    if self._cut_forwards:
                        dst.sendall(data)  # the server gets the request; the reply will be cut
                        continue
                    break  # the request never reaches the server
                if not request and dst in self._doomed:
                    self._doomed.discard(dst)
                    # The reply is lost: the client sees its connection closed. sqld may send its headers before
                    # it has run the request, and drops the stream when the client leaves: wait for it to finish.
                    time.sleep(0.5)
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                _close(s)

    def cut_at(self, *markers: bytes, after_forwarding: bool) -> None:
        """Cut the next request containing every one of ``markers``: before it reaches the server, or after it
        did (the reply lost)."""
        with self._lock:
            self._cut = (markers, after_forwarding)

    def _fires(self, data: bytes, client: socket.socket) -> bool:
        with self._lock:
            if self._cut is None or not all(m in data for m in self._cut[0]):
                return False
            self._cut_forwards = self._cut[1]
            self._cut = None
            self.cuts += 1
            if self._cut_forwards:
                self._doomed.add(client)
            return True

    def stall(self) -> None:
        """Stop forwarding (both ways, every connection, new ones too)."""
        self._open.clear()

    def resume(self) -> None:
        """Drop the connections held so far and forward again."""
        with self._lock:
            held, self._sockets = self._sockets, []
        for s in held:
            _close(s)
        self._open.set()

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self._closed = True
        self._open.set()
        _close(self._listener)
        self.resume()

    def __enter__(self) -> StallProxy:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
