"""Threads and resources: the conversation containers of the memory domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ..clock import utc_now


@attrs.define(kw_only=True)
class Thread:
    """A conversation. ``metadata`` holds thread-scoped working memory (``workingMemory``) and clone info
    (``clone``)."""

    id: str
    resource_id: str
    title: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime = attrs.field(factory=utc_now)
    updated_at: datetime = attrs.field(factory=utc_now)


@attrs.define(kw_only=True)
class Resource:
    """The owner of threads (a user, say); carries resource-scoped working memory as opaque text."""

    id: str
    working_memory: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime = attrs.field(factory=utc_now)
    updated_at: datetime = attrs.field(factory=utc_now)
