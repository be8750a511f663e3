"""structlog loggers that wrap the stdlib ``logging`` module; the library never configures logging."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

_SECRET_IN_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<secret>[^@/\s]*)@", re.IGNORECASE)
_SECRET_PARAM = re.compile(
    r"(?P<key>(?:password|authToken|auth_token|token|secret|sslpassword)=)[^&\s]*", re.IGNORECASE
)


def redact(text: str) -> str:
    """Hide passwords and tokens in a connection string or message."""
    text = _SECRET_IN_URL.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['key']}***", text)


class LibraryLogger:
    """A logger that follows the application's configuration, decided at each call.

    When the application has configured structlog, records go through ``structlog.get_logger(name)``
    (its processors, its renderer). Otherwise they go to ``logging.getLogger(name)`` with the event as
    the message and the key-value pairs as ``extra``, so the application's logging handlers and
    formatters decide what is shown. The library adds no processor of its own.
    """

    __slots__ = ("_bound", "_stdlib", "name")

    def __init__(self, name: str, bound: dict[str, Any] | None = None) -> None:
        self.name = name
        self._bound = dict(bound or {})
        self._stdlib = logging.getLogger(name)

    def bind(self, **values: Any) -> LibraryLogger:
        """A logger with more context bound."""
        return LibraryLogger(self.name, {**self._bound, **values})

    def is_enabled_for(self, level: int) -> bool:
        """Whether a record at ``level`` would be handled (cheap: checked before timing work)."""
        return self._stdlib.isEnabledFor(level)

    def _emit(self, level: int, event: str, values: dict[str, Any]) -> None:
        # an application that configured structlog has imported it: the library never imports structlog itself
        # (importing it pulls in rich when rich is installed, and rich is for the CLI only)
        structlog = sys.modules.get("structlog")
        if structlog is not None and structlog.is_configured():
            getattr(structlog.get_logger(self.name), logging.getLevelName(level).lower())(
                event, **self._bound, **values
            )
            return
        if not self._stdlib.isEnabledFor(level):
            return
        exc_info = values.pop("exc_info", None)
        extra = {**self._bound, **values}
        text = event if not extra else event + " " + " ".join(f"{k}={v!r}" for k, v in sorted(extra.items()))
        self._stdlib.log(level, text, exc_info=exc_info, extra={"mastra": extra}, stacklevel=3)

    def debug(self, event: str, **values: Any) -> None:
        """Log at DEBUG."""
        self._emit(logging.DEBUG, event, values)

    def info(self, event: str, **values: Any) -> None:
        """Log at INFO."""
        self._emit(logging.INFO, event, values)

    def warning(self, event: str, **values: Any) -> None:
        """Log at WARNING."""
        self._emit(logging.WARNING, event, values)

    def error(self, event: str, **values: Any) -> None:
        """Log at ERROR."""
        self._emit(logging.ERROR, event, values)


def get_logger(name: str, **bound: Any) -> Any:
    """A logger for library code: follows the application's structlog or logging configuration."""
    return LibraryLogger(name, bound)
