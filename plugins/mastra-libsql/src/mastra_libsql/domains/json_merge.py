"""A shallow metadata merge (Python's ``{**old, **patch}``) as one SQL expression, for one-statement updates.

Why not ``json_patch``: it merges recursively and deletes keys whose patch value is null; the spec
(``ThreadPatch.apply`` / ``ResourcePatch.apply``) replaces each top-level key and keeps nulls. ``json_set`` with
one path per patch key does exactly that: a key already there is replaced in place, a new one is appended in
patch order (so key order matches the dict merge), and values go in as JSON text (``json(?)``), so a number keeps
its spelling (``1e+16``, ``-0.0``, big integers) and a string its escapes.

A JSON path label is ``$."key"`` with no escape syntax: a key holding ``"``, ``\\`` or a control character cannot
be addressed, so such a patch returns None and the caller takes its read-modify-write path (as it does for a
value Python would write differently, e.g. NaN or a lone surrogate).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mastra_core.backend.fastjson import compact_dumps

#: json_set takes at most 127 arguments (SQLITE_MAX_FUNCTION_ARG): past this many keys the calls nest.
_PAIRS_PER_CALL = 60


def _addressable(key: object) -> bool:
    return isinstance(key, str) and '"' not in key and "\\" not in key and all(ch >= " " for ch in key)


def _json_text(value: Any) -> str | None:
    """The value's JSON text as the codec writes it, or None when it could not go through ``json(?)`` unchanged.

    orjson first (core's ``compact_dumps``: the same text, or None; it refuses a lone surrogate): the patch values
    passed core's value check, so no NaN or infinity (which orjson would write as null) reaches it.
    """
    fast = compact_dumps(value)
    if fast is not None:
        return fast
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text.encode("utf-8")  # a lone surrogate: the codec escapes the whole document instead
    except (TypeError, ValueError, UnicodeEncodeError):
        return None
    return text


def merge_sql(column: str, patch: Mapping[str, Any], first: int) -> tuple[str, list[str]] | None:
    """``{**column, **patch}`` as SQL (a NULL column counts as ``{}``) and its parameters, numbered from ``?first``
    (numbered, so a statement binds a shared value such as ``now`` once: the driver's cost is per bound value);
    None when the patch cannot be merged in SQL exactly as Python would."""
    pairs: list[tuple[str, str]] = []
    for key, value in patch.items():
        text = _json_text(value)
        if not _addressable(key) or text is None:
            return None
        pairs.append((f'$."{key}"', text))
    expr = f"COALESCE({column}, '{{}}')"
    params: list[str] = []
    for start in range(0, len(pairs), _PAIRS_PER_CALL):
        part = pairs[start:start + _PAIRS_PER_CALL]
        marks = (f"?{first + len(params) + 2 * i}, json(?{first + len(params) + 2 * i + 1})" for i in range(len(part)))
        expr = f"json_set({expr}, " + ", ".join(marks) + ")"
        params.extend(p for pair in part for p in pair)
    return expr, params


def object_or_null_sql(column: str) -> str:
    """True when ``column`` is NULL or JSON text of an object (what the SQL merge can work on); anything else (a
    TS writer's array, a JSONB blob, text that is not JSON) is left to the read-modify-write path. CASE keeps
    ``json_type`` away from text that is not JSON (it would raise)."""
    return (f"CASE WHEN {column} IS NULL THEN 1 WHEN typeof({column}) = 'text' AND json_valid({column}) "
            f"THEN json_type({column}) = 'object' ELSE 0 END")
