"""Pure encoding: order values, sequences, composite keys, attribute values, record bodies, expiry.

Order values: every ordered listing is a Query on a GSI whose NUMBER sort key is
``ms * 10**19 + seq`` (``ms`` = the record's timestamp in epoch milliseconds, ``seq`` = a 19-digit
per-write sequence, monotonic within a process and roughly time-ordered across processes). Numbers
keep negative (pre-1970) timestamps in order, and 34 digits fit DynamoDB's 38-digit precision.
"""

from __future__ import annotations

import json
import math
import threading
import time
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from mastra_core.clock import epoch_ms, utc_now
from mastra_core.serde import json_dumps

SCALE = 10**19
#: Larger than any order value: the sort key of a thread's message counter in the messages partition.
MAX_ORDER = 10**37
#: Body above this size is stored zlib-compressed (``dataz``), which keeps large messages under 400 KB.
COMPRESS_ABOVE = 32 * 1024
#: DynamoDB's item size limit.
ITEM_LIMIT = 400 * 1024
#: Partitions of the "every X" listings (all threads, all runs, all root spans...), against hot keys.
SHARDS = 4

_lock = threading.Lock()
_last = 0


def next_seq() -> int:
    """A 19-digit sequence: microseconds * 1000 + counter, strictly increasing within this process."""
    global _last
    with _lock:
        candidate = time.time_ns() // 1000 * 1000
        _last = candidate if candidate > _last else _last + 1
        return _last


def order(at: datetime, seq: int) -> int:
    return epoch_ms(at) * SCALE + seq


def ms_order(ms: int, seq: int) -> int:
    return ms * SCALE + seq


def from_ms(ms: int | Decimal) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(ms))


def esc(value: str) -> str:
    """Escape a value for a composite key part: keys built from several values stay unambiguous."""
    return value.replace("\\", "\\\\").replace("#", "\\#")


def composite(*parts: str) -> str:
    return "#".join(esc(p) for p in parts)


def shard(value: str) -> int:
    return zlib.crc32(value.encode()) % SHARDS


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
    (kind, value), = av.items()
    if kind == "S":
        return value
    if kind == "N":
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
    return {k: to_av(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
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
    """The record's wire dict as JSON text (``data``), or zlib-compressed JSON (``dataz``) when large."""
    text = json_dumps(data)
    try:
        raw = text.encode()
    except UnicodeEncodeError:  # lone surrogates: DynamoDB strings must be valid UTF-8, JSON escapes keep them
        text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
        raw = text.encode()
    if len(raw) > COMPRESS_ABOVE:
        return {"dataz": zlib.compress(raw, 6)}
    return {"data": text}


def decode_body(item: Mapping[str, Any]) -> dict[str, Any]:
    if "dataz" in item:
        out: dict[str, Any] = json.loads(zlib.decompress(item["dataz"]).decode())
        return out
    return dict(json.loads(item["data"]))


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
    exp = item.get("expMs")
    if exp is None:
        return True
    return int(exp) > (now_ms if now_ms is not None else epoch_ms(utc_now()))


def now_ms() -> int:
    return epoch_ms(utc_now())
