"""A small cache of :class:`Checks` objects: one per (backend, operation)."""

from __future__ import annotations

from functools import lru_cache

from .validation import Checks


@lru_cache(maxsize=1024)
def checks(backend: str, op: str) -> Checks:
    return Checks(backend, op)
