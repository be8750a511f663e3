"""Options of the in-memory backend (it has none)."""

from __future__ import annotations

import attrs


@attrs.define(kw_only=True)
class InMemoryConfig:
    """The in-memory backend has no options."""
