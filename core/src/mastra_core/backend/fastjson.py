"""JSON through orjson where it gives exactly what the standard ``json`` module gives, else through ``json``.

Core does not depend on orjson: a plugin that installs it (mastra-libsql, mastra-pg) gets the fast path; without it
every call takes ``json``. Measured on a 2.6 KB workflow snapshot: writing ~5 us against ~70 us, reading ~20 us
against ~42 us. ``tests/core/test_fastjson.py`` compares both directions with ``json`` on Hypothesis-drawn values.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

#: orjson when installed (as a module object typed ``Any``: core does not depend on it, so it has no stubs here).
orjson: Any = importlib.import_module("orjson") if importlib.util.find_spec("orjson") is not None else None

#: orjson hands datetimes, dataclasses and subclasses of the JSON types to ``default`` (which refuses them), so those
#: go to the standard encoder, as does what orjson refuses itself (a lone surrogate, a non-string key, an integer
#: past 64 bits).
_OPTIONS = 0 if orjson is None else (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)
#: What orjson writes otherwise than ``json.dumps``, found in its output: a float below 1e-4, which ``json`` writes
#: with an exponent (orjson: ``0.00001`` for ``1e-05``, ``1e-7`` for ``1e-07``; larger exponents and every other
#: number are written alike). A match anywhere (inside a string too) only sends the value to the standard encoder.
#: Plain substring tests: a regular expression over the text costs more than orjson saves.
_SMALL_FLOAT, _EXP, _EXP7, _EXP8, _EXP9 = b"0.0000", b"e-", b"e-7", b"e-8", b"e-9"
#: Digits as ``0``, every other byte as a space: a run of :data:`_LONG_RUN` in the translated text is a number orjson
#: may read otherwise than ``json.loads`` (an integer past 64 bits becomes a float there).
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def compact_dumps(value: Any) -> str | None:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` byte for byte, or None where orjson cannot
    say it (the caller then runs its standard encoder, which also raises what it raises).

    For values that passed core's value check: orjson writes a UUID or an enum, which ``json`` refuses, and that
    check refuses both in stored values.
    """
    if orjson is None:
        return None
    try:
        data: bytes = orjson.dumps(value, default=_refuse, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return None
    # (find, not ``in``: ``bytes in bytes`` first tries the needle as an integer, and the TypeError it formats and
    # drops cost more than the scan; the three exponents share "e-", rare outside text, so one scan mostly does)
    if data.find(_SMALL_FLOAT) >= 0 or (data.find(_EXP) >= 0 and (
            data.find(_EXP7) >= 0 or data.find(_EXP8) >= 0 or data.find(_EXP9) >= 0)):
        return None
    return data.decode()


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``: the same values, the same errors (``ValueError``).

    orjson refuses what ``json.loads`` reads with a special meaning (a lone surrogate escape, ``NaN``, ``1e400``):
    those, text that is not UTF-8 and text with a 19-digit run anywhere take ``json.loads``.
    """
    if orjson is not None:
        try:
            raw = text.encode() if isinstance(text, str) else text
        except UnicodeEncodeError:
            return json.loads(text)
        if raw.translate(_DIGITS).find(_LONG_RUN) < 0:
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
    return json.loads(text)
