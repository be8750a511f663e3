"""structlog loggers that wrap the stdlib ``logging`` module; the library never configures logging."""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog

_SECRET_IN_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<secret>[^@/\s]*)@", re.IGNORECASE)
_SECRET_PARAM = re.compile(
    r"(?P<key>(?:password|authToken|auth_token|token|secret|sslpassword)=)[^&\s]*", re.IGNORECASE
)


def redact(text: str) -> str:
    """Hide passwords and tokens in a connection string or message."""
    text = _SECRET_IN_URL.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['key']}***", text)


def get_logger(name: str, **bound: Any) -> Any:
    """A structlog logger over ``logging.getLogger(name)`` (configuration stays the application's)."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["event"], sort_keys=True),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    ).bind(**bound)
