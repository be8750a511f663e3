"""Records <-> MongoDB documents in the reference's field names, built on core's ``RowCodec``.

One :class:`DocCodec` per collection, on a converter from :func:`mastra_core.serde.make_converter` that
keeps dates as BSON dates (milliseconds, UTC). Message ``content`` and resource ``metadata`` are JSON text
(as the reference writes them); thread metadata, snapshots, scores and spans keep their objects. ``_id`` is
the server's and is ignored, as are our bookkeeping fields (``seq``, ``rev``, ``expiresAt``).

BSON strings must be valid UTF-8, so a Python string holding a lone surrogate (which JSON and the other
backends keep) cannot be stored as is: such a string is stored as ``{"__mastra_str__": <its ASCII-escaped
JSON text>}``; such a dict key (and one holding NUL, which BSON keys cannot) as ``"__mastra_key__" +
<escaped text>``; reads turn them back, and BSON ``Int64`` values back into ``int``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs
from mastra_core import records as r
from mastra_core.backend.codec import RowCodec, decode_json
from mastra_core.clock import parse_datetime, to_ms
from mastra_core.serde import content_from_json, content_wire, json_dumps, make_converter, wire_names

from .schema import EXPIRES, REV, SEQ, TABLE, THREADS

R = TypeVar("R")
STR_TAG = "__mastra_str__"
KEY_TAG = "__mastra_key__"
_BOOKKEEPING = ("_id", SEQ, REV, EXPIRES)


# ---------------------------------------------------------------- strings BSON cannot hold


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def enc_str(text: str) -> Any:
    """A string as BSON can store it (itself, unless it holds lone surrogates)."""
    return text if _encodable(text) else {STR_TAG: json.dumps(text, ensure_ascii=True)}


def enc_key(key: str) -> str:
    """A dict key as BSON can store it (itself, unless it holds lone surrogates or NUL, or looks like a tag)."""
    plain = _encodable(key) and "\x00" not in key and key != STR_TAG and not key.startswith(KEY_TAG)
    return key if plain else KEY_TAG + json.dumps(key, ensure_ascii=True)


def enc(value: Any) -> Any:
    """``value`` with every unstorable string (values and keys, at any depth) tagged."""
    if isinstance(value, str):
        return enc_str(value)
    if isinstance(value, dict):
        return {(enc_key(k) if isinstance(k, str) else k): enc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [enc(v) for v in value]
    return value


#: Integers a JavaScript number holds exactly.
_JS_SAFE = 2**53


def dec(value: Any, *, js_numbers: bool = False) -> Any:
    """The inverse of :func:`enc`, also turning ``Int64`` into ``int``.

    ``js_numbers``: the document was written by the reference (JavaScript), whose driver stores an integer
    beyond int32 (a millisecond time, say) as a BSON double; such integral doubles read back as ``int``, as
    the same value does from JSON on every other backend. Documents we wrote keep their floats.
    """
    if isinstance(value, dict):
        if len(value) == 1 and STR_TAG in value and isinstance(value[STR_TAG], str):
            return json.loads(value[STR_TAG])
        return {(_dec_key(k) if isinstance(k, str) else k): dec(v, js_numbers=js_numbers) for k, v in value.items()}
    if isinstance(value, list):
        return [dec(v, js_numbers=js_numbers) for v in value]
    if isinstance(value, int) and type(value) is not int and not isinstance(value, bool):
        return int(value)
    if js_numbers and type(value) is float and value.is_integer() and abs(value) < _JS_SAFE:
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


def json_text(value: Any) -> str:
    """JSON text for a JSON-string field; ASCII-escaped only when it holds lone surrogates (BSON needs UTF-8)."""
    text = json_dumps(value)
    return text if _encodable(text) else json.dumps(value, ensure_ascii=True, separators=(",", ":"))


#: Bytes 7-8 of the ObjectIds :func:`ordered_id` makes (a driver puts process-random bytes there).
_OID_MARK = b"MP"


def ordered_id(seq: int) -> Any:
    """An ObjectId for a document we insert where the reference returns documents as stored (threads, spans).

    It carries our insertion sequence (wall-clock microseconds, :meth:`MongoConnection.seqs`) instead of a
    ``seq`` field the reference would show: 4 bytes of seconds (as every ObjectId), 3 of microseconds,
    the mark ``MP``, 3 of the sequence's low bits. So ``_id`` order is insertion order, also next to the
    reference's own ObjectIds (ordered by their seconds first).
    """
    from bson import ObjectId

    seconds, micros = divmod(seq, 1_000_000)
    raw = seconds.to_bytes(4, "big") + micros.to_bytes(3, "big") + _OID_MARK + (seq & 0xFFFFFF).to_bytes(3, "big")
    return ObjectId(raw)


def _ordered(oid: Any) -> bool:
    binary = getattr(oid, "binary", None)
    return isinstance(binary, bytes) and len(binary) == 12 and binary[7:9] == _OID_MARK and binary[4] < 0x10


def written_by_reference(doc: Mapping[str, Any]) -> bool:
    """Whether the reference wrote this document: every document we insert carries ``seq`` or an
    :func:`ordered_id`."""
    return SEQ not in doc and not _ordered(doc.get("_id"))


def clean(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The document without the server's ``_id`` and our bookkeeping fields, values decoded."""
    js = written_by_reference(doc)
    return {k: dec(v, js_numbers=js) for k, v in doc.items() if k not in _BOOKKEEPING}


# ---------------------------------------------------------------- records


def _same(value: Any) -> Any:
    return value


def _as_built(_record: Any, doc: dict[str, Any]) -> dict[str, Any]:
    return doc


#: The wire-form converter with dates kept as (millisecond, UTC) datetimes, which pymongo stores as BSON dates.
CONVERTER = make_converter()
CONVERTER.register_unstructure_hook(datetime, to_ms)


@attrs.define(frozen=True)
class DocCodec(Generic[R]):
    """Records of one type to documents of one collection and back.

    ``rows`` does the field mapping (renames, JSON and date fields); ``before_read`` adjusts a cleaned
    document before it becomes a record (legacy forms), ``after_write`` a document after it was built.
    """

    rows: RowCodec[R]
    before_read: Callable[[dict[str, Any]], dict[str, Any]] = _same
    after_write: Callable[[R, dict[str, Any]], dict[str, Any]] = _as_built

    def to_doc(self, record: R, *, nulls: bool = True) -> dict[str, Any]:
        """The record as a document: every field (unset ones as null), or with ``nulls=False`` only the set ones."""
        row = self.rows.to_row(record)
        row.pop(EXPIRES, None)
        doc: dict[str, Any] = enc(self.after_write(record, row))
        return doc if nulls else {k: v for k, v in doc.items() if v is not None}

    def from_doc(self, doc: Mapping[str, Any]) -> R:
        """The record a stored document holds (ours or the reference's)."""
        return self.rows.from_row(self.before_read(clean(doc)))


def _codec(record: type[R], collection: str, *, renames: Mapping[str, str] | None = None,
           write_json: Callable[[Any], Any] = _same, read_json: Callable[[Any], Any] = _same,
           before_read: Callable[[dict[str, Any]], dict[str, Any]] = _same,
           after_write: Callable[[R, dict[str, Any]], dict[str, Any]] = _as_built) -> DocCodec[R]:
    rows = RowCodec(table=TABLE[collection], record=record, converter=CONVERTER, renames=dict(renames or {}),
                    write_json=write_json, read_json=read_json, write_time=to_ms, read_time=parse_datetime)
    return DocCodec(rows, before_read, after_write)


def _message_write(message: r.Message, doc: dict[str, Any]) -> dict[str, Any]:
    # content is a text column of the reference: the JSON text of the v2 content
    doc["content"] = json_text(content_wire(message.content))
    doc["type"] = message.type or "v2"
    return doc


def _message_read(doc: dict[str, Any]) -> dict[str, Any]:
    doc["content"] = content_from_json(doc.get("content"))
    doc.setdefault("role", "user")
    if doc.get("type") == "v2":
        doc["type"] = None
    return doc


def _run_read(doc: dict[str, Any]) -> dict[str, Any]:
    snapshot = decode_json(doc.get("snapshot"))
    doc["snapshot"] = snapshot if isinstance(snapshot, dict) else {"value": snapshot}
    return doc


THREAD = _codec(r.Thread, THREADS, read_json=decode_json)
RESOURCE = _codec(r.Resource, "mastra_resources", write_json=json_text, read_json=decode_json)
MESSAGE = _codec(r.Message, "mastra_messages", renames={"threadId": "thread_id"}, before_read=_message_read,
                 after_write=_message_write)
RUN = _codec(r.WorkflowRun, "mastra_workflow_snapshot", renames={"workflowName": "workflow_name", "runId": "run_id"},
             before_read=_run_read)
SCORE = _codec(r.Score, "mastra_scorers")
SPAN = _codec(r.Span, "mastra_ai_spans")
AGENT = _codec(r.Agent, "mastra_agents")
EVAL = _codec(r.EvalRow, "mastra_evals")
TRACE = _codec(r.TraceRow, "mastra_traces")


def span_fields(updates: Mapping[str, Any]) -> dict[str, Any]:
    """A span update (attribute names) as document fields: reference names, dates as BSON dates."""
    names = wire_names(r.Span)
    return {names[k]: (to_ms(v) if isinstance(v, datetime) else v) for k, v in updates.items()}
