"""Lossless values in BSON: strings BSON cannot hold, and integers back as plain ``int``.

BSON strings must be valid UTF-8, so a Python string holding a lone surrogate (which JSON and the
other backends keep) cannot be stored as is. Such a string is stored as ``{"__mastra_str__": <its
ASCII-escaped JSON text>}``; such a dict key (and one holding NUL, which BSON keys cannot) as
``"__mastra_key__" + <escaped text>``; reads turn them back. BSON int64 values come back from pymongo as ``bson.int64.Int64``; reads make them ``int``.
"""

from __future__ import annotations

import json
from typing import Any

STR_TAG = "__mastra_str__"
KEY_TAG = "__mastra_key__"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def enc_str(text: str) -> Any:
    """A string as BSON can store it (itself, unless it holds lone surrogates)."""
    return text if _encodable(text) else {STR_TAG: json.dumps(text, ensure_ascii=True)}


def _enc_key(key: str) -> str:
    plain = _encodable(key) and "\x00" not in key and key != STR_TAG and not key.startswith(KEY_TAG)
    return key if plain else KEY_TAG + json.dumps(key, ensure_ascii=True)


def enc(value: Any) -> Any:
    """``value`` with every unstorable string (values and keys, at any depth) tagged."""
    if isinstance(value, str):
        return enc_str(value)
    if isinstance(value, dict):
        return {(_enc_key(k) if isinstance(k, str) else k): enc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [enc(v) for v in value]
    return value


def dec(value: Any) -> Any:
    """The inverse of :func:`enc`, also turning ``Int64`` into ``int``."""
    if isinstance(value, dict):
        if len(value) == 1 and STR_TAG in value and isinstance(value[STR_TAG], str):
            return json.loads(value[STR_TAG])
        return {(_dec_key(k) if isinstance(k, str) else k): dec(v) for k, v in value.items()}
    if isinstance(value, list):
        return [dec(v) for v in value]
    if isinstance(value, int) and type(value) is not int and not isinstance(value, bool):
        return int(value)
    return value


def _dec_key(key: str) -> str:
    if key.startswith(KEY_TAG):
        try:
            decoded = json.loads(key[len(KEY_TAG):])
        except ValueError:
            return key
        return decoded if isinstance(decoded, str) else key
    return key
