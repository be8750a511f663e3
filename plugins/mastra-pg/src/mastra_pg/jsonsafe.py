"""Lossless storage of strings PostgreSQL refuses: U+0000 and lone surrogates.

``jsonb`` rejects ``\\u0000`` and unpaired surrogate escapes, and ``text`` cannot hold NUL at all (the
reference implementation strips them, losing data). We escape such strings with a private marker
(U+FFFF, a Unicode noncharacter) only when they occur, so ordinary data is stored byte for byte as
the reference stores it, and reverse the escape on read:

- U+FFFF itself      -> U+FFFF ``!``
- U+0000             -> U+FFFF ``0``
- a lone surrogate   -> U+FFFF ``s`` + 4 hex digits

Filters encode their values the same way, so equality and containment still match.
"""

from __future__ import annotations

import json
import re
from typing import Any

ESC = "\uffff"
_ESC_BYTES = ESC.encode()
_NEEDS = re.compile("[\x00\ud800-\udfff\uffff]")


def esc_str(s: str) -> str:
    """Escape one string (a no-op for ordinary strings)."""
    if not _NEEDS.search(s):
        return s
    out = []
    for ch in s:
        if ch == ESC:
            out.append(ESC + "!")
        elif ch == "\x00":
            out.append(ESC + "0")
        elif "\ud800" <= ch <= "\udfff":
            out.append(f"{ESC}s{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def unesc_str(s: str) -> str:
    """Reverse :func:`esc_str`."""
    if ESC not in s:
        return s
    out = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch != ESC or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        tag = s[i + 1]
        if tag == "!":
            out.append(ESC)
            i += 2
        elif tag == "0":
            out.append("\x00")
            i += 2
        elif tag == "s" and i + 6 <= n:
            out.append(chr(int(s[i + 2:i + 6], 16)))
            i += 6
        else:  # not ours: keep verbatim
            out.append(ch)
            i += 1
    return "".join(out)


def esc_obj(value: Any) -> Any:
    """Escape every string (keys included) of a JSON value."""
    if isinstance(value, str):
        return esc_str(value)
    if isinstance(value, dict):
        return {esc_str(k) if isinstance(k, str) else k: esc_obj(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [esc_obj(v) for v in value]
    return value


def unesc_obj(value: Any) -> Any:
    if isinstance(value, str):
        return unesc_str(value)
    if isinstance(value, dict):
        return {unesc_str(k): unesc_obj(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unesc_obj(v) for v in value]
    return value


_TOKENS = re.compile(r'("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?[eE]\+\d+)')


def _plain_float(m: re.Match[str]) -> str:
    if m[1] is not None:
        return m[1]
    from decimal import Decimal

    return format(Decimal(m[2]), "f") + ".0"


def dumps(value: Any) -> str:
    """JSON text for a ``jsonb`` parameter, escaped only when it must be.

    Floats with a positive exponent (``1e+16``) are written as ``10000000000000000.0``: jsonb keeps a
    number's scale but not its exponent, so this is what makes them read back as floats, not ints.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if "\\u0000" in text or _NEEDS.search(text):
        text = json.dumps(esc_obj(value), ensure_ascii=False, separators=(",", ":"))
    if "e+" in text or "E+" in text:
        text = _TOKENS.sub(_plain_float, text)
    return text


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """The loader registered for ``json``/``jsonb`` on our connections."""
    if isinstance(data, str):
        value = json.loads(data)
        return unesc_obj(value) if ESC in data else value
    raw = bytes(data)
    value = json.loads(raw)
    return unesc_obj(value) if _ESC_BYTES in raw else value


def text_json(value: Any) -> str:
    """JSON text for a ``text`` column (message content): lone surrogates as ``\\uXXXX`` escapes, which JSON allows."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if _NEEDS.search(text):
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text
