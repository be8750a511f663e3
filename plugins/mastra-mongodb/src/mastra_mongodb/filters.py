"""Query filters and sorts the domain stores send to the server.

Only operators that both MongoDB 7+ and the jongodb test server evaluate are used; where a MongoDB
query cannot express our semantics exactly (deep equality of object/array values, JSON containment)
the store narrows on the server and finishes the match in Python (documented in the README).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .codec import enc_str
from .schema import EXPIRES, SEQ

Filter = dict[str, Any]


def live(now: datetime) -> Filter:
    """Documents that have not expired: no ``expiresAt``, null, or later than ``now``."""
    return {EXPIRES: {"$not": {"$lte": now}}}


def all_of(*parts: Filter | None) -> Filter:
    """AND of filters (empty ones dropped)."""
    kept = [p for p in parts if p]
    if not kept:
        return {}
    if len(kept) == 1:
        return kept[0]
    return {"$and": kept}


def between(field: str, lo: datetime | None, hi: datetime | None) -> Filter | None:
    """``lo <= field <= hi`` (either bound optional), or None when there is no bound."""
    bounds: dict[str, Any] = {}
    if lo is not None:
        bounds["$gte"] = lo
    if hi is not None:
        bounds["$lte"] = hi
    return {field: bounds} if bounds else None


def scalar_equals(value: Any) -> Filter | None:
    """A field condition equal to JSON scalar ``value`` by our deep-equality rules, or None if not expressible.

    ``1`` and ``1.0`` are equal (jongodb does not equate them, hence both in ``$in``), ``True`` is not
    ``1``, ``None`` requires the key to be present, and an array holding the value does not match.
    """
    not_array = {"$not": {"$type": "array"}}
    if value is None:
        return {"$exists": True, "$eq": None, **not_array}
    if isinstance(value, bool):
        return {"$eq": value, **not_array}
    if isinstance(value, str):
        return {"$eq": enc_str(value), **not_array}
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            return None
        variants: list[Any] = [value]
        if float(value) == value:  # exactly representable as a double (all |v| <= 2**53, some beyond)
            variants.append(float(value))
        return {"$in": variants, **not_array}
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        variants = [value]
        if value.is_integer() and abs(value) < 2**63:
            variants.append(int(value))
        return {"$in": variants, **not_array}
    return None


def _plain_key(key: str) -> bool:
    return bool(key) and "." not in key and not key.startswith("$")


def metadata_filter(path: str, wanted: Mapping[str, Any] | None) -> tuple[Filter, bool]:
    """(server filter, whether Python must finish the match) for per-key deep equality under ``path``."""
    if not wanted:
        return {}, False
    out: Filter = {}
    rest = False
    for key, value in wanted.items():
        cond = scalar_equals(value) if _plain_key(key) else None
        if cond is None:
            rest = True
            if _plain_key(key):
                out[f"{path}.{key}"] = {"$exists": True}
            continue
        out[f"{path}.{key}"] = cond
    return out, rest


def order(field: str, direction: str, *tie_breakers: str) -> list[tuple[str, int]]:
    """A sort on ``field`` then the tie-breakers, all in ``direction``."""
    d = -1 if direction == "DESC" else 1
    return [(field, d), *((t, d) for t in tie_breakers)]


def before_or_after(keys: list[tuple[str, Any]], after: bool) -> Filter:
    """Documents strictly after (or before) the position ``keys`` in lexicographic order of those fields."""
    op = "$gt" if after else "$lt"
    branches: list[Filter] = []
    for i, (field, value) in enumerate(keys):
        branch: Filter = dict(keys[:i])
        branch[field] = {op: value}
        branches.append(branch)
    return {"$or": branches}


MESSAGE_ORDER = ("createdAt", SEQ, "id")


def set_and_unset(doc: Filter, extra: Filter) -> Filter:
    """An update writing ``doc``: its set fields (plus ``extra``) ``$set``, its null ones ``$unset``."""
    update: Filter = {"$set": {**{k: v for k, v in doc.items() if v is not None}, **extra}}
    absent = {k: "" for k, v in doc.items() if v is None}
    if absent:
        update["$unset"] = absent
    return update
