"""Records <-> rows of the reference tables, one :class:`RowCodec` per table, on ``make_converter()``.

MariaDB specifics: timestamps are naive UTC ``DATETIME(3)`` values; JSON is written as JSON text and
decoded on read. utf8mb4 cannot hold a lone surrogate (and MariaDB's JSON_VALID refuses its ``\\uXXXX``
escape), so such characters, and the escape marker U+FFFF itself, are escaped with U+FFFF in text and
in the strings of JSON values, only when they occur: ordinary data is stored as the reference stores it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, TypeVar

from mastra_core import records as r
from mastra_core.backend import RowCodec, decode_json
from mastra_core.backend.reference_schema import (
    AGENTS,
    EVALS,
    MESSAGES,
    RESOURCES,
    SCORES,
    SPANS,
    THREADS,
    TRACES,
    WORKFLOW_SNAPSHOTS,
    Table,
)
from mastra_core.serde import content_from_json, content_to_json, json_dumps, make_converter

R = TypeVar("R")
ESC = "\uffff"
_NEEDS = re.compile("[\ud800-\udfff\uffff]")
_ESCAPED = re.compile("\uffff(!|s[0-9a-f]{4})")


def esc_str(value: str) -> str:
    """``value`` storable as utf8mb4: lone surrogates as U+FFFF ``s`` + 4 hex digits, U+FFFF as U+FFFF ``!``."""
    if not _NEEDS.search(value):
        return value
    return _NEEDS.sub(lambda m: ESC + "!" if m[0] == ESC else f"{ESC}s{ord(m[0]):04x}", value)


def unesc_str(value: str) -> str:
    """Reverse :func:`esc_str`."""
    if ESC not in value:
        return value
    return _ESCAPED.sub(lambda m: ESC if m[1] == "!" else chr(int(m[1][1:], 16)), value)


def esc_obj(value: Any) -> Any:
    """Every string (keys too) of a JSON value escaped with :func:`esc_str`."""
    if isinstance(value, str):
        return esc_str(value)
    if isinstance(value, dict):
        return {esc_str(k) if isinstance(k, str) else k: esc_obj(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [esc_obj(v) for v in value]
    return value


def unesc_obj(value: Any) -> Any:
    """Reverse :func:`esc_obj`."""
    if isinstance(value, str):
        return unesc_str(value)
    if isinstance(value, dict):
        return {unesc_str(k): unesc_obj(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unesc_obj(v) for v in value]
    return value


def write_json(value: Any) -> str:
    """JSON text for a JSON column."""
    return json_dumps(esc_obj(value))


def read_json(value: Any) -> Any:
    """A JSON column's value decoded (native or text), escapes reversed."""
    return unesc_obj(decode_json(value))


def write_text(value: Any) -> Any:
    """A text column's value (strings escaped)."""
    return esc_str(value) if isinstance(value, str) else value


def read_text(value: Any) -> Any:
    """A text column's value as stored by :func:`write_text`."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8")
    return unesc_str(value) if isinstance(value, str) else value


def naive_utc(value: datetime) -> datetime:
    """The UTC wall-clock time a ``DATETIME(3)`` column holds."""
    return value.astimezone(UTC).replace(tzinfo=None)


def codec(table: Table, record: type[R], **renames: str) -> RowCodec[R]:
    """The codec of ``record`` on ``table`` (``renames``: wire key -> column)."""
    conv = make_converter()
    # message content lives in a text column as JSON text (the reference's layout)
    conv.register_structure_hook(r.MessageContent, lambda v, _: content_from_json(v))
    conv.register_unstructure_hook(r.MessageContent, content_to_json)
    return RowCodec(table=table, record=record, converter=conv, renames=renames, write_json=write_json,
                    read_json=read_json, write_time=naive_utc, write_text=write_text, read_text=read_text)


THREAD = codec(THREADS, r.Thread)
MESSAGE = codec(MESSAGES, r.Message, threadId="thread_id")
RESOURCE = codec(RESOURCES, r.Resource)
RUN = codec(WORKFLOW_SNAPSHOTS, r.WorkflowRun, workflowName="workflow_name", runId="run_id")
SCORE = codec(SCORES, r.Score)
SPAN = codec(SPANS, r.Span)
AGENT = codec(AGENTS, r.Agent)
EVAL = codec(EVALS, r.EvalRow)
TRACE = codec(TRACES, r.TraceRow)


def message_row(message: r.Message) -> dict[str, Any]:
    """A message's row; ``type`` defaults to ``v2`` as the reference writes it."""
    return MESSAGE.to_row(message, type=message.type or "v2")


def message_from_row(row: dict[str, Any]) -> r.Message:
    """A message from its row (``v2``, the reference's default type, reads as no type)."""
    if row.get("type") == "v2":
        row = {**row, "type": None}
    return MESSAGE.from_row(row)
