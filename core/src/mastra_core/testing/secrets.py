"""A planted-secret probe for backend tests: every output channel is searched for the secret.

Channels: ``repr``/``str`` of the storage and of its config, the error (with its whole cause chain, as an
application's ``logger.exception`` would print it) of an ``init()`` that cannot connect, every record of the
``mastra*`` loggers at DEBUG (message and extra fields) and the output of ``mastra init URL`` on the same bad URL.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import traceback
from collections.abc import Callable
from typing import Any

#: What tests plant: unusual enough never to appear by chance.
SECRET = "Pl4nted-s3cret-7Qx"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("mastra"):
            return  # a driver's own DEBUG output (botocore logs its signed headers) is the driver's matter
        self.texts.append(f"{record.getMessage()} {record.__dict__!r}")


async def secret_leaks(make: Callable[[], Any], *, cli_url: str | None = None, secret: str = SECRET) -> list[str]:
    """The channels in which ``secret`` shows up (``[]``: none) for the storage ``make()`` builds.

    ``make`` must build a storage that carries the secret and cannot connect (a closed port, say).
    """
    capture = _Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    channels: dict[str, str] = {}
    try:
        storage = make()
        channels["repr(storage)"] = repr(storage)
        channels["str(storage)"] = str(storage)
        channels["repr(config)"] = repr(storage.config)
        channels["str(config)"] = str(storage.config)
        try:
            await storage.init()
            channels["init error"] = "init() succeeded: the probe needs a storage that cannot connect"
        except Exception as exc:
            channels["init error"] = "".join(traceback.format_exception(exc)) + repr(exc) + repr(
                getattr(exc, "details", "")
            )
        finally:
            await storage.close()
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    channels["logs"] = "\n".join(capture.texts)
    if cli_url is not None:
        cli = [sys.executable, "-c", "import sys; from mastra_core.cli import main; sys.exit(main())", "init", cli_url]
        done = await asyncio.to_thread(subprocess.run, cli, capture_output=True, text=True, timeout=120, check=False)
        channels["cli"] = done.stdout + done.stderr
        assert done.returncode != 0, f"mastra init {cli_url!r} should fail: {channels['cli']}"
    assert "succeeded" not in channels["init error"], channels["init error"]
    return [name for name, text in channels.items() if secret in text]
