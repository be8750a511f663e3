"""Copy sources in layouts mastra does not write: the reference Mastra TS packages' own.

``mastra-ts+<url>`` names the data a Mastra TS package wrote at ``<url>``, where ``<url>`` is a URL the
matching mastra backend takes:

- ``mastra-ts+dynamodb://TABLE?region=R`` / ``mastra-ts+dynamodb://HOST:PORT/TABLE``: a table written by
  @mastra/dynamodb 1.0 (ElectroDB single-table items);
- ``mastra-ts+upstash://:TOKEN@HOST`` (Upstash REST API), ``mastra-ts+upstash+http://:TOKEN@HOST:PORT`` (a
  local stand-in), ``mastra-ts+rediss://...`` / ``mastra-ts+redis://...`` (the Redis protocol): the keys
  written by @mastra/upstash 1.0.

Such a source is read-only: ``mastra copy`` and ``mastra export`` read it; nothing writes to it.
"""

from __future__ import annotations

from typing import Any

from mastra_core.errors import ConfigError

from .base import RecordSource

PREFIX = "mastra-ts+"
#: inner URL scheme -> the layout reading it.
LAYOUTS = {"dynamodb": "dynamodb", "upstash": "upstash", "upstash+http": "upstash", "redis": "upstash",
           "rediss": "upstash"}


def is_source_url(url: str) -> bool:
    """Whether ``url`` names a reference layout (``mastra-ts+...``)."""
    return url.lower().startswith(PREFIX)


def open_source(url: str, options: dict[str, Any]) -> RecordSource:
    """The source a ``mastra-ts+...`` URL names (no I/O until the first read)."""
    inner = url[len(PREFIX) :]
    scheme = inner.split("://", 1)[0].lower() if "://" in inner else ""
    layout = LAYOUTS.get(scheme)
    if layout is None:
        raise ConfigError(
            f"{PREFIX}{scheme or '?'}:// is not a Mastra TS layout mastra can read; use {PREFIX}dynamodb://..., "
            f"{PREFIX}upstash://..., {PREFIX}upstash+http://..., {PREFIX}redis://... or {PREFIX}rediss://...",
            id="MASTRA_OPS_SOURCE_UNKNOWN",
        )
    if layout == "dynamodb":
        from .dynamodb_ts import DynamoTsSource

        return DynamoTsSource(inner, options)
    from .upstash_ts import UpstashTsSource

    return UpstashTsSource(inner, options)


__all__ = ["PREFIX", "RecordSource", "is_source_url", "open_source"]
