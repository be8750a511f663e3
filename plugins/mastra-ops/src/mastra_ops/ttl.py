"""Carrying each record's expiry from the source to the target of a copy, exactly.

The writer's saves stamp "now + the target's TTL" on every record (a copy is a write); right after a page is
written, the source's stored expiry of each of its records (``Storage.read_expiry``) is set on the target
(``Storage.write_expiry``): records that never expire at the source never expire at the target, the others
expire at the same instant. A backend that cannot tell (``read_expiry`` None) leaves the target's own rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mastra_core import Storage
from mastra_core.backend.expiry import KINDS, Key, key_of
from mastra_core.clock import epoch_ms

from .stream import Source


async def supports_expiry(storage: Source) -> bool:
    """Whether the storage can tell each record's expiry (a foreign layout read by ``sources/`` keeps none)."""
    return isinstance(storage, Storage) and await storage.read_expiry("thread", []) is not None


def _stamps(storage: Storage, entity: str) -> bool:
    """Whether writes into ``storage`` stamp an expiry on ``entity`` records (unknown for a composed storage)."""
    retention = getattr(storage, "retention", None)
    return retention is None or retention.rule(entity) is not None


async def carry_expiry(src: Source, dst: Storage, kind: str, records: Sequence[Any]) -> int:
    """Give the just-written ``records`` of ``kind`` on ``dst`` the expiry they have on ``src``; how many were set."""
    if kind not in KINDS or not records or not isinstance(src, Storage):
        return 0
    keys = [key_of(kind, rec) for rec in records]
    found = await src.read_expiry(kind, keys)
    if found is None:
        return 0
    wanted = {k: found[k] for k in keys if k in found}
    if not any(wanted.values()) and not _stamps(dst, KINDS[kind].entity):
        return 0  # nothing expires at the source and the target stamped nothing: already exact
    if not await dst.write_expiry(kind, wanted):
        return 0
    return len(wanted)


async def expiry_texts(storage: Source, kind: str, records: Sequence[Any]) -> list[str]:
    """Each record's expiry as text (epoch ms, or ``-`` for never), in the order of ``records`` (for checksums)."""
    if kind not in KINDS or not records or not isinstance(storage, Storage):
        return ["" for _ in records]
    keys: list[Key] = [key_of(kind, rec) for rec in records]
    found = await storage.read_expiry(kind, keys) or {}
    return [str(epoch_ms(at)) if (at := found.get(k)) is not None else "-" for k in keys]
