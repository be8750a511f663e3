"""Records <-> Redis hashes, built on :func:`mastra_core.serde.make_converter`.

A record is stored as a hash whose ``j`` field holds its wire JSON (without its timestamps) and whose
``c``/``u`` fields hold created_at/updated_at in epoch milliseconds, so indexes and scripts can read
the times without parsing JSON. :class:`HashCodec` does both directions for one record class;
:class:`Rec` is one record to write and :class:`Row` one record read back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import attrs
import cattrs
from mastra_core import records as r
from mastra_core.clock import epoch_ms, iso, utc_now
from mastra_core.serde import make_converter

from .schema import SEQ_WIDTH

R = TypeVar("R")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The plugin's own converter (a copy of core's wire-form converter; nothing registered on it yet).
CONVERTER: cattrs.Converter = make_converter()


def ms(value: datetime) -> str:
    """Epoch milliseconds as a string (exact, no float)."""
    return str(epoch_ms(value))


def from_ms(value: str | int) -> datetime:
    """The UTC datetime of epoch milliseconds."""
    return _EPOCH + timedelta(milliseconds=int(value))


def created_or_now(value: Any) -> datetime:
    """The created_at a script answered (epoch ms), or now when it answered none."""
    return from_ms(value) if value else utc_now()


def dumps(value: Any) -> str:
    """Record JSON: ASCII-escaped, so lone surrogates and any Unicode survive the trip through Lua."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def json_pairs(values: Mapping[str, Any]) -> list[list[str]]:
    """A patch's (key, value) pairs as JSON texts, for a merge script (``lua.merged``)."""
    return [[dumps(key), dumps(value)] for key, value in values.items()]


def text(value: Any) -> Any:
    """Decode bytes replies (a caller-supplied client may not decode responses)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [text(v) for v in value]
    return value


@attrs.define(frozen=True)
class HashCodec(Generic[R]):
    """One record class <-> the ``j``/``c``/``u`` fields of its hash.

    ``created``/``updated`` are the wire keys of the timestamps kept out of ``j`` (``updated`` None: the
    record has none; the legacy eval rows use snake_case ``created_at``).
    """

    record: type[R]
    created: str = "createdAt"
    updated: str | None = "updatedAt"

    def json(self, record: R) -> str:
        """The ``j`` field: the record's wire form without its timestamps."""
        wire: dict[str, Any] = CONVERTER.unstructure(record, type(record))
        wire.pop(self.created, None)
        if self.updated is not None:
            wire.pop(self.updated, None)
        return dumps(wire)

    def decode(self, values: Mapping[str, str | None]) -> R:
        """The record from its hash fields: ``j`` plus ``c``/``u`` as its timestamps."""
        data = json.loads(values.get("j") or "{}")
        created = values.get("c")
        if created:
            data[self.created] = iso(from_ms(created))
        updated = values.get("u")
        if self.updated is not None and updated:
            data[self.updated] = iso(from_ms(updated))
        return CONVERTER.structure(data, self.record)


THREAD = HashCodec(r.Thread)
MESSAGE = HashCodec(r.Message)
RESOURCE = HashCodec(r.Resource)
RUN = HashCodec(r.WorkflowRun)
SCORE = HashCodec(r.Score)
SPAN = HashCodec(r.Span)
AGENT = HashCodec(r.Agent)
EVAL = HashCodec(r.EvalRow, created="created_at", updated=None)
TRACE = HashCodec(r.TraceRow)


@attrs.define(kw_only=True)
class Rec:
    """One record to upsert: key, id part of its index members, hash fields, index (zset, score field) pairs."""

    key: str
    id: str
    fields: dict[str, str]
    ix: list[tuple[str, str]]
    expires_at: datetime | None = None
    expect: str | None = None
    insert_only: bool = False
    #: update only: no live record means nothing is written (the script answers 'MISSING')
    update_only: bool = False
    #: optional hash fields this write leaves out: deleted from an existing record (no stale filter values)
    optional: tuple[str, ...] = ()
    #: merge into a live record's ``j`` instead of replacing it (the ``mg`` spec of ``lua.UPSERT``); ``fields`` are
    #: then what is written when no record is live
    merge: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class Row:
    """A record read back: its index member (None for point reads) and the requested hash fields."""

    member: str | None
    values: dict[str, str | None]

    @property
    def seq(self) -> int:
        """The insertion sequence: the ``s`` field, else the member's zero-padded prefix."""
        return int(self.values.get("s") or (self.member or "0")[:SEQ_WIDTH] or 0)
