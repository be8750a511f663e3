"""Items <-> records: AttributeValues (floats as exact Decimals), record bodies, expiry attributes.

A record is stored as its wire dict (``make_converter()``) in JSON text (``data``), zlib-compressed
(``dataz``) when large; the key, GSI and filter attributes beside it are written by the domains from
:mod:`mastra_dynamodb.schema`.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from mastra_core.backend.fastjson import compact_dumps, loads
from mastra_core.clock import epoch_ms, utc_now
from mastra_core.serde import json_dumps, make_converter

R = TypeVar("R")

#: Body above this size is stored zlib-compressed (``dataz``), which keeps large messages under 400 KB.
COMPRESS_ABOVE = 32 * 1024
#: DynamoDB's item size limit.
ITEM_LIMIT = 400 * 1024

#: The plugin's own converter (records <-> wire dicts); the shared default is never touched.
CONVERTER = make_converter()


def from_ms(ms: int | Decimal) -> datetime:
    """A UTC datetime from epoch milliseconds."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(ms))


# ------------------------------------------------------------------ attribute values


def to_av(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB AttributeValue (floats become exact decimals)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"DynamoDB numbers must be finite, got {value!r}")
        return {"N": str(Decimal(repr(value)))}
    if isinstance(value, Decimal):
        return {"N": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_av(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_av(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def from_av(av: Mapping[str, Any]) -> Any:
    """A Python value from an AttributeValue: integral numbers as int, others as Decimal."""
    (kind, value), = av.items()
    if kind == "S":
        return value
    if kind == "N":
        if value.isascii() and (value.isdigit() or (value[:1] == "-" and value[1:].isdigit())):
            return int(value)  # the common case (ms, versions, order values), without a Decimal
        d = Decimal(value)
        return int(d) if d == d.to_integral_value() and "." not in value and "e" not in value.lower() else d
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "B":
        return bytes(value)
    if kind == "M":
        return {k: from_av(v) for k, v in value.items()}
    if kind == "L":
        return [from_av(v) for v in value]
    if kind == "SS":
        return set(value)
    raise TypeError(f"unexpected DynamoDB type {kind}")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes as an item in AttributeValue form (None values are left out)."""
    return {k: to_av(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item in AttributeValue form as plain attributes."""
    return {k: from_av(v) for k, v in item.items()}


def item_size(item: Mapping[str, Any]) -> int:
    """DynamoDB's size of an item in AttributeValue form (names + values), close to what the service counts."""
    return sum(len(k.encode()) + _av_size(v) for k, v in item.items())


def _av_size(av: Mapping[str, Any]) -> int:
    (kind, value), = av.items()
    if kind == "S":
        return len(value.encode())
    if kind == "B":
        return len(value)
    if kind == "N":
        return len(value.lstrip("-").replace(".", "")) // 2 + 2
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _av_size(v) for k, v in value.items())
    if kind == "L":
        return 3 + sum(1 + _av_size(v) for v in value)
    return len(str(value))


# ------------------------------------------------------------------ bodies


def encode_body(data: Mapping[str, Any]) -> dict[str, Any]:
    """A wire dict as JSON text (``data``), or zlib-compressed JSON (``dataz``) when large (the text is
    ``json_dumps``'s byte for byte, through orjson where that holds: core's ``fastjson``)."""
    text = compact_dumps(data) or json_dumps(data)
    try:
        raw = text.encode()
    except UnicodeEncodeError:  # lone surrogates: DynamoDB strings must be valid UTF-8, JSON escapes keep them
        text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
        raw = text.encode()
    if len(raw) > COMPRESS_ABOVE:
        return {"dataz": zlib.compress(raw, 6)}
    return {"data": text}


def json_text(value: Any) -> str:
    """One JSON value as text (valid UTF-8 even with lone surrogates, which JSON escapes keep)."""
    text = json_dumps(value)
    try:
        text.encode()
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text


def text_attribute(name: str, value: Any) -> dict[str, Any]:
    """``value`` as JSON text in attribute ``name``, or zlib-compressed in ``name + "z"`` when large (so it
    still fits 400 KB); empty for None."""
    if value is None:
        return {}
    raw = json_text(value).encode()
    if len(raw) > COMPRESS_ABOVE:
        return {name + "z": zlib.compress(raw, 6)}
    return {name: raw.decode()}


def read_text_attribute(item: Mapping[str, Any], name: str) -> Any:
    """The value :func:`text_attribute` stored (None when absent)."""
    if name + "z" in item:
        return json.loads(zlib.decompress(item[name + "z"]).decode())
    text = item.get(name)
    return None if text is None else json.loads(text)


def decode_body(item: Mapping[str, Any]) -> dict[str, Any]:
    """The wire dict stored in an item's ``data`` or ``dataz``."""
    if "dataz" in item:
        out: dict[str, Any] = loads(zlib.decompress(item["dataz"]))
        return out
    return dict(loads(item["data"]))


def wire(record: Any) -> dict[str, Any]:
    """A record as its wire dict."""
    out: dict[str, Any] = CONVERTER.unstructure(record, type(record))
    return out


def body(record: Any) -> dict[str, Any]:
    """The body attribute (``data`` or ``dataz``) of a record."""
    return encode_body(wire(record))


def record(item: Mapping[str, Any], cls: type[R]) -> R:
    """The record stored in an item's body."""
    return CONVERTER.structure(decode_body(item), cls)


# ------------------------------------------------------------------ expiry


def expiry_attributes(expires_at: datetime | None, ttl_attribute: str | None) -> dict[str, Any]:
    """``expMs`` (exact, for hiding on read) and the TTL attribute in epoch seconds (for DynamoDB's deletion)."""
    if expires_at is None:
        return {}
    ms = epoch_ms(expires_at)
    out: dict[str, Any] = {"expMs": ms}
    if ttl_attribute:
        out[ttl_attribute] = -(-ms // 1000)  # ceil: DynamoDB never deletes before the exact expiry
    return out


def is_live(item: Mapping[str, Any], now_ms: int | None = None) -> bool:
    """Whether an item has not expired (its ``expMs`` is absent or in the future)."""
    exp = item.get("expMs")
    if exp is None:
        return True
    return int(exp) > (now_ms if now_ms is not None else epoch_ms(utc_now()))


def now_ms() -> int:
    """Now in epoch milliseconds."""
    return epoch_ms(utc_now())
