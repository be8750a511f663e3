"""The single-table layout as data: key attributes, the four GSIs, every entity's keys, order values.

Every item has ``pk`` (S) and ``sk`` (S) and an ``entity`` attribute. Four overloaded global secondary
indexes ``gsi1``..``gsi4`` each have a string partition key ``gsiNpk`` and a NUMBER sort key ``gsiNsk``
holding an *order value* (``created/started/updated ms * 10**19 + sequence``), projection ALL. Items
only carry the GSI attributes of the access patterns they serve (sparse indexes). TABLE_SETUP.md
documents every key of every entity; :data:`ENTITIES` is the executable form of that document.

Order values: every ordered listing is a Query on a GSI whose NUMBER sort key is
``ms * 10**19 + seq`` (``ms`` = the record's timestamp in epoch milliseconds, ``seq`` = a 19-digit
per-write sequence, monotonic within a process and roughly time-ordered across processes). Numbers
keep negative (pre-1970) timestamps in order, and 34 digits fit DynamoDB's 38-digit precision.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
from mastra_core.clock import epoch_ms

GSI_COUNT = 4
GSIS = tuple(f"gsi{i}" for i in range(1, GSI_COUNT + 1))
SCALE = 10**19
#: Larger than any order value: the sort key of a thread's message counter in the messages partition.
MAX_ORDER = 10**37
#: Added to the gsi1/gsi2 sort keys of a resource's thread while it is not yet in its resource's thread counter
#: ("uncounted": written by ONE PutItem, folded into the counter by a later listing; domains/thread_counts.py). It
#: puts the thread ABOVE the counter item (sort key MAX_ORDER): ``UNCOUNTED + x`` for any order value ``|x| < 10**34``
#: lies in (MAX_ORDER, 3 * 10**37) and, at most 38 digits, is exact in a DynamoDB number.
UNCOUNTED = 2 * 10**37
#: Partitions of the "every X" listings (all threads, all runs, all root spans...), against hot keys.
SHARDS = 4


@attrs.frozen
class Index:
    """One GSI an entity is listed by: the partition key template and the timestamp its order value is built from."""

    partition: str
    order: str


@attrs.frozen
class Entity:
    """One kind of item: its ``entity`` attribute, key templates and the GSIs it is listed by.

    Templates are ``str.format`` patterns over the record's key values (values are substituted, never parsed).
    """

    name: str
    pk: str
    sk: str
    indexes: Mapping[str, Index] = attrs.field(factory=dict)

    def key(self, **parts: str) -> tuple[str, str]:
        """The item's ``(pk, sk)``."""
        return self.pk.format(**parts), self.sk.format(**parts)

    def partition(self, gsi: str, **parts: Any) -> str:
        """The ``gsiNpk`` value of this entity on ``gsi``."""
        return self.indexes[gsi].partition.format(**parts)


THREAD = Entity("thread", "THREAD#{id}", "THREAD", {
    "gsi1": Index("RTHREADS#{resourceId}", "createdAt"), "gsi2": Index("RTHREADS#{resourceId}", "updatedAt"),
    "gsi3": Index("THREADS#{shard}", "createdAt"), "gsi4": Index("THREADS#{shard}", "updatedAt")})
#: A thread's message count (``n``), at the largest sort key of the thread's messages partition.
MESSAGE_COUNT = Entity("msgcount", "THREAD#{threadId}", "COUNT", {"gsi1": Index("TMSGS#{threadId}", "MAX_ORDER")})
#: A resource's thread count (``nbase + n``, exact while ``nbase`` is present), at the largest sort key of the
#: resource's thread partitions on gsi1 and gsi2, so a newest-first thread page and its total are ONE Query.
THREAD_COUNT = Entity("threadcount", "RESOURCE#{resourceId}", "THREADS", {
    "gsi1": Index("RTHREADS#{resourceId}", "MAX_ORDER"), "gsi2": Index("RTHREADS#{resourceId}", "MAX_ORDER")})
MESSAGE = Entity("message", "MSG#{id}", "MSG", {"gsi1": Index("TMSGS#{threadId}", "createdAt")})
RESOURCE = Entity("resource", "RESOURCE#{id}", "RESOURCE")
WORKFLOW_RUN = Entity("workflow_snapshot", "WF#{workflowName}", "RUN#{runId}", {
    "gsi1": Index("WFRUNS#{workflowName}", "createdAt"), "gsi2": Index("RUNID#{runId}", "createdAt"),
    "gsi3": Index("WFRES#{resourceId}", "createdAt"), "gsi4": Index("RUNS#{shard}", "createdAt")})
SCORE = Entity("score", "SCORE#{id}", "SCORE", {
    "gsi1": Index("SCORER#{scorerId}", "createdAt"), "gsi2": Index("SCORERUN#{runId}", "createdAt"),
    "gsi3": Index("SCOREENT#{entity}", "createdAt"), "gsi4": Index("SCORESPAN#{span}", "createdAt")})
SPAN = Entity("span", "TRACE#{traceId}", "SPAN#{spanId}", {"gsi1": Index("ROOTS#{shard}", "startedAt")})
AGENT = Entity("agent", "AGENT#{id}", "AGENT", {
    "gsi1": Index("AGENTS", "createdAt"), "gsi2": Index("AGENTS", "updatedAt")})
EVAL = Entity("eval", "EVAL#{id}", "EVAL", {
    "gsi1": Index("EVALAGENT#{agentName}", "createdAt"), "gsi2": Index("EVALS#{shard}", "createdAt")})
LEGACY_TRACE = Entity("trace", "LTRACE#{id}", "LTRACE", {"gsi1": Index("LTRACES#{shard}", "createdAt")})

ENTITIES: tuple[Entity, ...] = (THREAD, THREAD_COUNT, MESSAGE_COUNT, MESSAGE, RESOURCE, WORKFLOW_RUN, SCORE, SPAN,
                                AGENT, EVAL, LEGACY_TRACE)

#: Attributes the store writes itself: a TTL attribute name may not be one of them.
RESERVED_ATTRIBUTES = frozenset(
    {"pk", "sk", "entity", "data", "dataz", "expMs", "seq", "useq", "ver", "opToken", "createdMs", "updatedMs", "n",
     "nbase", "cv", "lastMs"}
    | {f"{g}pk" for g in GSIS} | {f"{g}sk" for g in GSIS}
    | {"id", "threadId", "resourceId", "status", "workflowName", "runId", "scorerId", "entityId", "entityType",
       "source", "traceId", "spanId", "agentName", "isTest", "name", "scope", "startedMs"}
)

# ------------------------------------------------------------------ order values and key parts

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
    """The order value of a record stamped ``at`` written with sequence ``seq``."""
    return epoch_ms(at) * SCALE + seq


def ms_order(ms: int, seq: int) -> int:
    """The order value of epoch milliseconds ``ms`` and sequence ``seq``."""
    return ms * SCALE + seq


def esc(value: str) -> str:
    """Escape a value for a composite key part: keys built from several values stay unambiguous."""
    return value.replace("\\", "\\\\").replace("#", "\\#")


def composite(*parts: str) -> str:
    """Several values as one key part (``#``-joined, each escaped)."""
    return "#".join(esc(p) for p in parts)


def shard(value: str) -> int:
    """The shard (0..SHARDS-1) of an "every X" listing a record with this identity lands in."""
    return zlib.crc32(value.encode()) % SHARDS


# ------------------------------------------------------------------ the table


def key_schema() -> list[dict[str, str]]:
    """The table's primary key: ``pk`` (HASH) + ``sk`` (RANGE)."""
    return [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]


def attribute_definitions() -> list[dict[str, str]]:
    """Types of the key attributes of the table and its GSIs."""
    defs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
    for g in GSIS:
        defs.append({"AttributeName": f"{g}pk", "AttributeType": "S"})
        defs.append({"AttributeName": f"{g}sk", "AttributeType": "N"})
    return defs


def gsi_definitions() -> list[dict[str, Any]]:
    """The four GSIs: ``gsiNpk`` (S, HASH) + ``gsiNsk`` (N, RANGE), projection ALL."""
    return [
        {
            "IndexName": g,
            "KeySchema": [{"AttributeName": f"{g}pk", "KeyType": "HASH"},
                          {"AttributeName": f"{g}sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }
        for g in GSIS
    ]


def create_table_request(table_name: str) -> dict[str, Any]:
    """The CreateTable request of the mastra table (PAY_PER_REQUEST)."""
    return {
        "TableName": table_name,
        "KeySchema": key_schema(),
        "AttributeDefinitions": attribute_definitions(),
        "GlobalSecondaryIndexes": gsi_definitions(),
        "BillingMode": "PAY_PER_REQUEST",
    }


def is_busy(description: Mapping[str, Any]) -> bool:
    """Whether a described table or one of its GSIs is still being created or changed."""
    return description.get("TableStatus") != "ACTIVE" or any(
        g.get("IndexStatus") not in (None, "ACTIVE") for g in description.get("GlobalSecondaryIndexes", []))


def verify_table(description: Mapping[str, Any]) -> list[str]:
    """What the described table lacks compared with the layout (empty: it is usable)."""
    problems: list[str] = []
    name = description.get("TableName", "?")
    keys = {k["AttributeName"]: k["KeyType"] for k in description.get("KeySchema", [])}
    types = {a["AttributeName"]: a["AttributeType"] for a in description.get("AttributeDefinitions", [])}
    if keys != {"pk": "HASH", "sk": "RANGE"}:
        problems.append(f"table {name!r} must have primary key pk (HASH, S) + sk (RANGE, S); it has {keys or 'none'}")
    for attr in ("pk", "sk"):
        if attr in keys and types.get(attr) != "S":
            problems.append(f"key attribute {attr!r} must be of type S, not {types.get(attr)}")
    present = {g["IndexName"]: g for g in description.get("GlobalSecondaryIndexes", []) or []}
    for g in GSIS:
        idx = present.get(g)
        if idx is None:
            problems.append(f"missing GSI {g!r}: partition key {g}pk (S), sort key {g}sk (N), projection ALL")
            continue
        ks = {k["AttributeName"]: k["KeyType"] for k in idx.get("KeySchema", [])}
        if ks != {f"{g}pk": "HASH", f"{g}sk": "RANGE"}:
            problems.append(f"GSI {g!r} must have keys {g}pk (HASH) + {g}sk (RANGE); it has {ks}")
        if types.get(f"{g}pk") != "S" or types.get(f"{g}sk") != "N":
            problems.append(f"GSI {g!r} key types must be {g}pk S and {g}sk N; they are "
                            f"{types.get(f'{g}pk')} and {types.get(f'{g}sk')}")
        if idx.get("Projection", {}).get("ProjectionType") != "ALL":
            problems.append(f"GSI {g!r} must project ALL attributes")
        if idx.get("IndexStatus") not in (None, "ACTIVE"):
            problems.append(f"GSI {g!r} is {idx.get('IndexStatus')}, not ACTIVE yet")
    if description.get("TableStatus") not in (None, "ACTIVE", "UPDATING"):
        problems.append(f"table {name!r} is {description.get('TableStatus')}")
    return problems
