"""``WalFlusher``: the WAL file written out to disk from a background thread, a few writes at a time.

Why: a file database runs in WAL mode with ``synchronous=NORMAL``, so a commit only appends frames to the WAL (no
sync). Every 1,000 frames (SQLite's default; the store's ``wal_autocheckpoint``, 4,000 now) SQLite's auto-checkpoint
copies the WAL into the database and syncs both files, inside whichever write of ours crossed the mark. Measured on
this project's 2-core machine (strace), that pause was 5-6 ms, and the WAL's fsync was most of it (5.2 ms; the
database file's 0.9 ms): it wrote out the ~4 MB of frames appended since the last checkpoint. In a run of the
side-by-side bench a few such pauses landed on timed calls of the short ops (a 30 us update paying 5 ms once in 400
calls moves its mean by 40 %).

So every :data:`DEFAULT_EVERY` writes this thread calls ``fdatasync`` on the WAL (the call releases the GIL: the
event loop runs on meanwhile), and a checkpoint's own sync finds only the last few frames still to write: the
pause falls to ~2.2-2.6 ms (``bench/bench_libsql_checkpoints.py``). Nothing about durability changes: SQLite
makes every sync it made before, the frames only reach the disk sooner (as the kernel's own writeback would have
done within seconds). It is PostgreSQL's arrangement in small: a background writer, so a checkpoint does not
flush everything in the foreground.

Safe beside SQLite's own descriptors: the WAL file carries no lock of SQLite's (its locks are on the database and
``-shm`` files), so closing this descriptor cannot drop one (POSIX drops every lock a process holds on a file when
any of its descriptors for that file is closed). The descriptor is read-only; a WAL file that was deleted (journal
mode changed elsewhere) is reopened by path on the next flush.
"""

from __future__ import annotations

import os
import threading

from mastra_core.log import get_logger

_log = get_logger("mastra_libsql")

#: Write jobs between two flushes. A write appends 1-10 frames (4 KB each), so a flush writes ~0.1-1 MB.
DEFAULT_EVERY = 32
#: How long closing waits for a flush in progress (one fdatasync) before leaving the daemon thread behind.
_JOIN_TIMEOUT_S = 5.0
_sync = getattr(os, "fdatasync", os.fsync)  # fdatasync: the file's data, not its timestamps (POSIX, not macOS)
#: Read-only; non-blocking so that a FIFO in the WAL's place cannot hang the thread; not inherited by children.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class WalFlusher:
    """Flushes ``<database>-wal`` to disk on a daemon thread, once every ``every`` calls of :meth:`wrote`."""

    def __init__(self, database: str, every: int = DEFAULT_EVERY) -> None:
        self.path = os.path.abspath(database) + "-wal"  # absolute: the process may change directory later
        self.every = every
        #: Flushes done (tests and benchmarks read it).
        self.flushes = 0
        self._pending = 0
        self._wake = threading.Event()
        self._closed = False
        self._fd: int | None = None
        self._thread: threading.Thread | None = None
        self._failed = False

    def wrote(self) -> None:
        """One write job committed (called on the thread that ran it, usually the event loop's): every
        ``every``-th wakes the flusher. A counter and, now and then, an ``Event.set``: ~0.1 us, no I/O."""
        self._pending += 1
        if self._pending < self.every or self._closed:
            return
        self._pending = 0
        if self._thread is None:  # started by the first flush: a store that only reads never has one
            self._thread = threading.Thread(target=self._run, name="mastra-libsql-wal-flush", daemon=True)
            self._thread.start()
        self._wake.set()

    def close(self) -> None:
        """Stop the thread (after a flush in progress, bounded by :data:`_JOIN_TIMEOUT_S`) and close the file."""
        self._closed = True
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(_JOIN_TIMEOUT_S)
            if thread.is_alive():
                return  # a stuck fdatasync: the daemon thread closes the descriptor itself when it returns
        self._close_fd()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                self._close_fd()
                return
            self._flush()

    def _flush(self) -> None:
        try:
            fd = self._fd
            if fd is not None and os.fstat(fd).st_nlink == 0:  # the WAL was deleted: the next one is a new file
                self._close_fd()
                fd = None
            if fd is None:
                try:
                    fd = self._fd = os.open(self.path, _OPEN_FLAGS)
                except FileNotFoundError:
                    return  # not in WAL mode (yet): nothing to flush
            _sync(fd)
            self.flushes += 1
        except OSError as exc:
            # SQLite's own syncs report a failing disk to the writes themselves; this one is only an early start
            if not self._failed:
                self._failed = True
                _log.warning("libsql WAL background flush failed; checkpoints will flush it themselves",
                             error=type(exc).__name__)

    def _close_fd(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
