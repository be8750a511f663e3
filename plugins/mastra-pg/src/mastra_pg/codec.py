"""Records to PostgreSQL rows and back, on :func:`mastra_core.serde.make_converter`.

A :class:`TableCodec` per table turns a record into its wire dict (the converter), maps wire keys onto
the table's columns (from ``mastra_core.backend.reference_schema`` plus the pg data of ``schema.py``)
and encodes each value for its pg column kind; reading reverses it. JSONB values are read as the
reference means them: a JSONB string holding JSON text (the reference stringifies some values twice)
is that JSON value (:func:`read_jsonb`). Timestamps are written twice, to
the reference's naive ``timestamp`` column and to our ``timestamptz`` twin ``<column>Z``; they are
read from the twin, falling back to the naive column for rows an older writer left.

It also keeps strings PostgreSQL refuses lossless: ``jsonb`` rejects ``\\u0000`` and unpaired surrogate
escapes, and ``text`` cannot hold NUL at all (the reference strips them, losing data). Such strings are
escaped with a private marker (U+FFFF, a Unicode noncharacter) only when they occur, so ordinary data
is stored byte for byte as the reference stores it, and the escape is reversed on read:

- U+FFFF itself      -> U+FFFF ``!``
- U+0000             -> U+FFFF ``0``
- a lone surrogate   -> U+FFFF ``s`` + 4 hex digits

Filters encode their values the same way, so equality and containment still match.
"""

from __future__ import annotations

import functools
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

import attrs
import orjson
from mastra_core.backend import fastjson
from mastra_core.backend.codec import decode_json
from mastra_core.backend.reference_schema import Table
from mastra_core.clock import parse_datetime, to_ms
from mastra_core.codegen import define
from mastra_core.serde import camel, make_converter, wire_names
from psycopg import sql
from psycopg.types.json import Jsonb

R = TypeVar("R")

ESC = "\uffff"
_ESC_BYTES = ESC.encode()
_ESC_LEAD = _ESC_BYTES[:1]
_NEEDS = re.compile("[\x00\ud800-\udfff\uffff]")
_TOKENS = re.compile(r'("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?[eE]\+\d+)')

#: How a column is stored: ``plain`` as is, ``text`` free text (NUL-safe), ``json`` nullable jsonb,
#: ``json_null`` jsonb with None stored as JSON null, ``json_text`` JSON in a text column, ``time`` a
#: naive timestamp plus its timestamptz twin.
PgKind = Literal["plain", "text", "json", "json_null", "json_text", "time"]

#: The one converter of this backend (records <-> wire dicts).
CONVERTER = make_converter()


def _unstructured(value: Any) -> Any:
    """``json.dumps``'s ``default``: a value that is not plain JSON (a mapping that is no dict, a record) as the
    converter writes it. Record fields holding JSON reach the encoder uncopied (see ``TableCodec.values``); this
    keeps their text what the converter's copy would have given."""
    out = CONVERTER.unstructure(value)
    if out is value:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    return out


#: One encoder, reused: ``json.dumps`` with options builds a new one per call. No circular-reference bookkeeping:
#: written values are validated first, and a cycle would exceed their depth limit.
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"), default=_unstructured)
_ASCII_ENCODER = json.JSONEncoder(check_circular=False, separators=(",", ":"), default=_unstructured)


# ------------------------------------------------------------------------ strings PostgreSQL refuses


def esc_str(s: str) -> str:
    """Escape one string (a no-op for ordinary strings)."""
    if s.isascii():  # (both tests run in C over the whole string; the regular expression steps per character)
        if "\x00" not in s:
            return s
    elif not _NEEDS.search(s):
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


def esc_text(value: str | None) -> str | None:
    """:func:`esc_str` for a nullable text value."""
    return None if value is None else esc_str(value)


def unesc_text(value: str | None) -> str | None:
    """:func:`unesc_str` for a nullable text value."""
    return None if value is None else unesc_str(value)


def esc_obj(value: Any) -> Any:
    """Escape every string (keys included) of a JSON value."""
    if isinstance(value, str):
        return esc_str(value)
    if isinstance(value, Mapping):
        return {esc_str(k) if isinstance(k, str) else k: esc_obj(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [esc_obj(v) for v in value]
    if attrs.has(type(value)):  # a record inside a JSON value: escaped as the converter writes it
        return esc_obj(CONVERTER.unstructure(value))
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


def _plain_float(m: re.Match[str]) -> str:
    if m[1] is not None:
        return m[1]
    return format(Decimal(m[2]), "f") + ".0"


def dumps(value: Any) -> str:
    """JSON text for a ``jsonb`` parameter, escaped only when it must be.

    Floats with a positive exponent (``1e+16``) are written as ``10000000000000000.0``: jsonb keeps a
    number's scale but not its exponent, so this is what makes them read back as floats, not ints.
    """
    text = _ENCODER.encode(value)
    # JSON text never holds a raw NUL (it is escaped), and ASCII text holds none of the other characters: the
    # regular expression's scan of every character is for the rest only
    if "\\u0000" in text or (not text.isascii() and _NEEDS.search(text)):
        text = _ENCODER.encode(esc_obj(value))
    if "e+" in text:  # a float's repr writes its exponent with a lower-case e
        text = _TOKENS.sub(_plain_float, text)
    return text


#: orjson's options: datetimes and dataclasses go to ``default`` (the converter), as the standard encoder sends them.
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def jsonb_dumps(value: Any) -> bytes | str:
    """:func:`dumps` for the driver's ``jsonb`` parameters, through orjson when that writes the same JSON value.

    orjson encodes a 2.6 KB snapshot in about an eighth of the standard encoder's instructions and hands psycopg
    bytes (no re-encoding). PostgreSQL parses the text into jsonb, so the stored value is the same as from
    :func:`dumps` whenever the two texts are the same JSON value. They are unless the text needs :func:`dumps`'s
    care, and then :func:`dumps` writes it: orjson refuses a lone surrogate, a non-string key or an integer beyond
    64 bits (as does ``default`` for what it cannot convert); ``\\u0000`` and U+FFFF need the escape; a float with a
    positive exponent needs its plain form. (Other floats differ only in how an exponent is written, ``1e-7`` for
    ``1e-07``: the same number.)
    """
    try:
        data = orjson.dumps(value, default=_unstructured, option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return dumps(value)
    # (find, not ``in``: ``bytes in bytes`` first tries the needle as an int and formats a TypeError for it, which
    # cost more than the three scans together)
    if data.find(b"\\u0000") >= 0 or data.find(_ESC_BYTES) >= 0 or data.find(b"e+") >= 0:
        return dumps(value)
    return data


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """The loader registered for ``json``/``jsonb`` on our connections.

    Bytes go to orjson as they are (it checks UTF-8 itself): decoding them to text first only for
    :func:`fastjson.loads` to encode the text back cost a tenth of a 2.6 KB snapshot's read. Text that orjson
    does not read as ``json.loads`` does, or that is not UTF-8, takes ``json.loads`` there.
    """
    if isinstance(data, str):
        value = fastjson.loads(data)
        return unesc_obj(value) if ESC in data else value
    raw = data if type(data) is bytes else bytes(data)
    value = fastjson.loads(raw)  # orjson where it reads the same values as json.loads
    # ESC's first byte by memchr, then ESC itself: a three-byte search over a 2.6 KB snapshot cost ~1.6 us
    return unesc_obj(value) if raw.find(_ESC_LEAD) >= 0 and raw.find(_ESC_BYTES) >= 0 else value


def json_copy(value: Any) -> Any:
    """A JSON value as writing it to a ``jsonb`` column and reading it back gives it (a fresh copy, mappings as dicts,
    tuples as lists, strings PostgreSQL refuses through their escape and back), but for the key order jsonb imposes.
    An empty dict, the usual metadata, is copied without the round trip."""
    if type(value) is dict and not value:
        return {}
    return loads(jsonb_dumps(value))


def text_json(value: Any) -> str:
    """JSON text for a ``text`` column (message content): lone surrogates as ``\\uXXXX`` escapes, which JSON allows.

    Through orjson when it can write the value (a message's content in about a fifth of the standard encoder's
    time: 4.4 -> 0.9 us here, ten of them in every ``save_messages(10)``); what it refuses (a lone surrogate, a
    non-string key, an integer beyond 64 bits) and text holding ``ESC`` take :func:`_standard_text_json`. The two
    texts are the same JSON value (``tests/test_pg_jsonb_dumps.py`` compares them on Hypothesis-drawn values); they
    differ at most in how a float's exponent is written (``1e-7`` for ``1e-07``), the same number to every reader.
    """
    try:
        data = orjson.dumps(value, default=_unstructured, option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _standard_text_json(value)
    if data.find(_ESC_BYTES) >= 0:
        return _standard_text_json(value)
    return data.decode()


def _standard_text_json(value: Any) -> str:
    text = _ENCODER.encode(value)
    if not text.isascii() and _NEEDS.search(text):
        text = _ASCII_ENCODER.encode(value)
    return text


# ------------------------------------------------------------------------ scalar conversions


#: The epoch, aware and naive: ``naive + (aware - _EPOCH)`` is ``aware.replace(tzinfo=None)`` for a UTC value (and the
#: reverse), at a twentieth of the CPU of ``replace``, whose keyword parsing made it a tenth of a save_thread's.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)


def naive(value: datetime | None) -> datetime | None:
    """UTC wall-clock time for a ``timestamp`` column."""
    if value is None:
        return None
    return _NAIVE_EPOCH + ((value if value.tzinfo is UTC else value.astimezone(UTC)) - _EPOCH)


def aware(value: datetime | None) -> datetime | None:
    """An aware UTC instant (to the millisecond) from a ``timestamp``/``timestamptz`` value."""
    if value is None:
        return None
    tz = value.tzinfo
    if tz is UTC:  # a timestamptz read in our pool's UTC sessions
        return to_ms(value)
    return to_ms(value.astimezone(UTC) if tz else _EPOCH + (value - _NAIVE_EPOCH))


def jsonb(value: Any) -> Jsonb | None:
    """A ``jsonb`` parameter (None stays SQL NULL)."""
    return None if value is None else Jsonb(value)


def jsonb_column(value: Any) -> Jsonb | None:
    """A ``jsonb`` column's parameter: a top-level string goes in as its JSON text (see :func:`read_jsonb`)."""
    return jsonb(json.dumps(value, ensure_ascii=False) if isinstance(value, str) else value)


def read_jsonb(value: Any) -> Any:
    """A ``jsonb`` column's value as the reference means it.

    The reference hands JSONB parameters in as ``JSON.stringify`` text, and some of its writes stringify
    twice (resource metadata, every JSON field of a score), leaving a JSONB *string* that holds JSON text;
    it parses any string it reads back. We do the same (:func:`decode_json`: text that is not JSON stays
    text), and write a top-level string as its JSON text (:func:`jsonb`) so it reads back as itself on
    both sides.
    """
    if isinstance(value, str):
        decoded = decode_json(value)
        return unesc_obj(decoded) if isinstance(decoded, dict | list | str) and ESC in value else decoded
    return value


def jsonb_null() -> Jsonb:
    """JSON ``null`` as a ``jsonb`` parameter."""
    return Jsonb(None)


@functools.lru_cache(maxsize=1024)
def ident(name: str) -> str:
    """A quoted SQL identifier (cached: statements are rebuilt from the same few names on every op)."""
    return sql.Identifier(name).as_string(None)


def twin(column: str) -> str:
    """The timestamptz twin of a timestamp column."""
    return column + "Z"


def utc_time(column: str, alias: str = "") -> str:
    """The read expression of a timestamp column: its twin, else the naive column taken as UTC."""
    p = f"{alias}." if alias else ""
    return f"COALESCE({p}{ident(twin(column))}, {p}{ident(column)} AT TIME ZONE 'UTC')"


def _parse_json_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# ------------------------------------------------------------------------ table codecs


@attrs.define(frozen=True)
class PgColumn:
    """One column a codec reads and writes: its name, the record's wire key and how it is stored."""

    name: str
    key: str
    kind: PgKind


class TableCodec(Generic[R]):
    """Converts one record class to rows of one table and back, with SQL fragments rendered once.

    ``kinds`` overrides the kind derived from the reference column (``text`` -> plain, ``json`` ->
    nullable jsonb, ``timestamp`` -> time); columns with no field of the record are left out.
    """

    def __init__(self, schema: str, table: Table, record: type[R], kinds: Mapping[str, PgKind]) -> None:
        self.record = record
        self.qname = sql.Identifier(schema, table.name).as_string(None)
        by_column: dict[str, str] = {}
        hashable: Any = record  # the record classes are hashable; type[R] is not known to be
        names: dict[str, str] = wire_names(hashable)
        for field, key in names.items():
            for name in (key, field, camel(field)):
                if name in table.names:
                    by_column[name] = key
                    break
        self.columns: list[PgColumn] = []
        for ref in table.columns:
            if ref.name not in by_column:
                continue
            default: PgKind = "time" if ref.kind == "timestamp" else "json" if ref.kind == "json" else "plain"
            self.columns.append(PgColumn(ref.name, by_column[ref.name], kinds.get(ref.name, default)))
        self.names = [c.name for c in self.columns]
        self.by_key = {c.key: c for c in self.columns}
        #: Every written column (timestamps with their twin), in the order of :meth:`values`.
        self.insert_cols: list[str] = []
        for c in self.columns:
            self.insert_cols += [ident(c.name), ident(twin(c.name))] if c.kind == "time" else [ident(c.name)]
        self.select = self.select_as("")
        self._param_names = [f"c{i}" for i in range(len(self.insert_cols))]
        self._plan = _direct_plan(record, self.columns, {key: field for field, key in names.items()})
        read = _read_plan(record, self.columns, {key: field for field, key in names.items()})
        self._decoder: Callable[[Sequence[Any], int], R] | None = None
        if read is not None:
            self._decoder = _compile_decode(record, read)
        self._cls: Callable[..., R] = record
        self._named = None if self._plan is None else _compile_named(self._plan)

    def select_as(self, alias: str) -> str:
        """The select list (one expression per column, in :attr:`names` order) with an optional table alias."""
        p = f"{alias}." if alias else ""
        return ", ".join(utc_time(c.name, alias) if c.kind == "time" else f"{p}{ident(c.name)}" for c in self.columns)

    def values(self, record: R) -> list[Any]:
        """The record's parameters for :attr:`insert_cols`, in that order.

        Read from the record's attributes (see :func:`_direct_plan`), not from its wire dict: that copied every
        JSON value (a 2.6 KB snapshot is ~50 dicts) only for the copy to be serialised, and wrote every datetime
        as ISO text only for :meth:`encode` to parse it back.
        """
        out: list[Any] = []
        if self._plan is None:
            wire: dict[str, Any] = CONVERTER.unstructure(record, self.record)
            for c in self.columns:
                out += self.encode(c, wire.get(c.key))
            return out
        for c, attr, hook in self._plan:
            value = getattr(record, attr)
            if hook is not None and value is not None:
                value = hook(value)
            out += self.encode(c, value)
        return out

    def encode(self, column: PgColumn, value: Any) -> list[Any]:
        """One wire value as the parameter(s) of its column (two for a timestamp: naive and twin)."""
        if column.kind == "time":
            at = None if value is None else parse_datetime(value)
            return [naive(at), at]
        if column.kind == "json":
            return [jsonb_column(value)]
        if column.kind == "json_null":
            return [Jsonb(value) if value is None else jsonb_column(value)]
        if column.kind == "json_text":
            return [None if value is None else text_json(value)]
        if column.kind == "text":
            return [esc_text(value)]
        return [value]

    def decode(self, row: Sequence[Any], offset: int = 0) -> R:
        """The record from a row whose columns from ``offset`` on are :attr:`select`'s.

        Built directly (see :func:`_compile_decode`): a value already of its field's type is taken as it is,
        anything else goes through the converter's hook for the field, and a NULL leaves the field's default, as
        structuring the row's wire dict did.
        """
        decoder = self._decoder
        if decoder is None:
            return self._decode_wire(row, offset)
        return decoder(row, offset)

    def _decode_wire(self, row: Sequence[Any], offset: int) -> R:
        wire: dict[str, Any] = {}
        for i, c in enumerate(self.columns):
            value = row[offset + i]
            if value is None:
                continue
            if c.kind == "time":
                value = aware(value)
            elif c.kind == "json_text":
                value = _parse_json_text(value)
            elif c.kind in ("json", "json_null"):
                value = read_jsonb(value)
            elif c.kind == "text" and isinstance(value, str):
                value = unesc_str(value)
            wire[c.key] = value
        return CONVERTER.structure(wire, self.record)

    def decode_all(self, rows: Iterable[Sequence[Any]]) -> list[R]:
        """:meth:`decode` over many rows."""
        return [self.decode(row) for row in rows]

    def named(self, record: R, **extra: Any) -> dict[str, Any]:
        """The record's parameters as ``c0``, ``c1``... (the placeholders of :meth:`placeholders`) plus ``extra``."""
        if self._named is not None:
            return self._named(record, extra)
        out = dict(zip(self._param_names, self.values(record), strict=True))
        out.update(extra)
        return out

    def assignments(self) -> str:
        """``"col" = %(c0)s, ...`` for :attr:`insert_cols` (an UPDATE of every column from :meth:`named`)."""
        return ", ".join(f"{c} = %(c{i})s" for i, c in enumerate(self.insert_cols))

    def placeholders(self) -> str:
        """``%(c0)s, %(c1)s, ...`` for :attr:`insert_cols`."""
        return ", ".join(f"%(c{i})s" for i in range(len(self.insert_cols)))


def _direct_plan(record: Any, columns: list[PgColumn], fields: dict[str, str]) -> list[
        tuple[PgColumn, str, Callable[[Any], Any] | None]] | None:
    """Per column: the record attribute it is read from and the converter hook its value needs (None: the value
    as it is). None when the record needs its whole wire form (message parts, ``extra`` keys).

    As is: text, numbers, booleans, datetimes (``encode`` takes them) and JSON-valued fields (``Any``, ``dict``,
    ``list``): those are validated plain JSON, which the converter would only have copied; ``dumps`` turns
    anything else in them (a mapping that is no dict, a record) into what the converter writes.
    """
    if "extra" in attrs.fields_dict(record) or "parts" in attrs.fields_dict(record):
        return None
    hints = typing.get_type_hints(record)
    plan: list[tuple[PgColumn, str, Callable[[Any], Any] | None]] = []
    for c in columns:
        attr = fields[c.key]
        tp = hints.get(attr, Any)
        hook = None if _as_is(tp) else functools.partial(CONVERTER.unstructure, unstructure_as=tp)
        plan.append((c, attr, hook))
    return plan


def _time_params(value: Any) -> tuple[datetime | None, datetime | None]:
    """A time column's two parameters (naive, aware) as :meth:`TableCodec.encode` makes them."""
    if value is None:
        return None, None
    at = parse_datetime(value)
    return naive(at), at


#: What the compiled :meth:`TableCodec.named` calls, per column kind (``{v}``: the value, after its hook).
_NAMED_EXPR: dict[str, str] = {
    "plain": "{v}",
    "text": "esc_text({v})",
    "json": "jsonb_column({v})",
    "json_null": "(Jsonb(None) if {v} is None else jsonb_column({v}))",
    "json_text": "(None if {v} is None else text_json({v}))",
}


def _compile_named(plan: list[tuple[PgColumn, str, Callable[[Any], Any] | None]]) -> Callable[
        [Any, dict[str, Any]], dict[str, Any]]:
    """:meth:`TableCodec.named` as one generated function for the codec's columns: the same values as
    :meth:`TableCodec.values` and :meth:`TableCodec.encode` give, without their loop, per-column calls and the
    zip into a dict (together a sixth of a one-row write's client CPU). Only fixed names go into the source."""
    lines = ["def named(record, extra):"]
    items: list[str] = []
    env: dict[str, Any] = {"esc_text": esc_text, "jsonb_column": jsonb_column, "Jsonb": Jsonb,
                           "text_json": text_json, "_time_params": _time_params, "datetime": datetime, "UTC": UTC,
                           "_NAIVE_EPOCH": _NAIVE_EPOCH, "_EPOCH": _EPOCH}
    n = 0
    for i, (c, attr, hook) in enumerate(plan):
        if not attr.isidentifier():  # pragma: no cover - attrs field names are identifiers
            raise ValueError(attr)
        v = f"v{i}"
        lines.append(f"    {v} = record.{attr}")
        if hook is not None:
            env[f"h{i}"] = hook
            lines.append(f"    if {v} is not None: {v} = h{i}({v})")
        if c.kind == "time":  # a UTC millisecond datetime (every validated record's) inline, anything else by call
            lines.append(f"    if type({v}) is datetime and {v}.tzinfo is UTC and not {v}.microsecond % 1000: "
                         f"n{i}, a{i} = _NAIVE_EPOCH + ({v} - _EPOCH), {v}")
            lines.append(f"    else: n{i}, a{i} = _time_params({v})")
            items += [f"'c{n}': n{i}", f"'c{n + 1}': a{i}"]
            n += 2
        else:
            items.append(f"'c{n}': " + _NAMED_EXPR[c.kind].format(v=v))
            n += 1
    lines.append("    out = {" + ", ".join(items) + "}")
    lines.append("    if extra: out.update(extra)")
    lines.append("    return out")
    fn: Callable[[Any, dict[str, Any]], dict[str, Any]] = define("named", lines, env, what="pg row encoder")
    return fn


def _as_is(tp: Any) -> bool:
    """Whether a value declared ``tp`` goes to :meth:`TableCodec.encode` as it is (see :func:`_direct_plan`)."""
    if tp in (str, int, float, bool, datetime, type(None), Any):
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return all(_as_is(a) for a in typing.get_args(tp))
    return origin in (dict, list) and typing.get_args(tp) in ((str, Any), (Any,))


def _read_plan(record: Any, columns: list[PgColumn], fields: dict[str, str]) -> list[
        tuple[int, PgKind, str, Any, Callable[[Any, Any], Any], Any]] | None:
    """Per column: its index, kind, the record attribute, the exact class a value taken as it is must have
    (``object``: any value, as for ``Any``), the converter's structure hook and the declared type. None when the
    record needs its wire form (message parts, ``extra`` keys)."""
    if "extra" in attrs.fields_dict(record) or "parts" in attrs.fields_dict(record):
        return None
    hints = typing.get_type_hints(record)
    get_hook: Any = getattr(CONVERTER, "get_structure_hook", None) or CONVERTER._structure_func.dispatch
    plan: list[tuple[int, PgKind, str, Any, Callable[[Any, Any], Any], Any]] = []
    for i, c in enumerate(columns):
        attr = fields[c.key]
        tp = hints.get(attr, Any)
        plan.append((i, c.kind, attr, _exact(tp), get_hook(tp), tp))
    return plan


def _compile_decode(record: Any, plan: list[tuple[int, PgKind, str, Any, Callable[[Any, Any], Any], Any]]) -> Callable[
        [Sequence[Any], int], Any]:
    """:meth:`TableCodec.decode` as one generated function for the codec's columns (see :func:`_read_plan`):
    per column, a NULL is left out (the field keeps its default), a timestamp becomes an aware UTC millisecond
    instant, JSON and escaped text are read back, and a value not of its field's exact class goes through the
    converter's hook. Generated, not looped over the plan: the same steps without the loop's per-column tuple
    unpacking and kind tests (a 20-row runs page: 4.32M -> 3.85M instructions with the jsonb and time zone changes
    beside it). Only attribute names and fixed fragments go into the source."""
    lines = ["def decode(row, offset):", "    kw = {}"]
    env: dict[str, Any] = {"cls": record, "aware": aware, "ESC": ESC,
                           "_parse_json_text": _parse_json_text, "read_jsonb": read_jsonb, "unesc_str": unesc_str}
    for i, kind, attr, exact, hook, tp in plan:
        if not attr.isidentifier():  # pragma: no cover - attrs field names are identifiers
            raise ValueError(attr)
        lines += [f"    v = row[offset + {i}]", "    if v is not None:"]
        if kind == "time":  # (aware() takes a UTC millisecond instant, what our UTC sessions read, as it is)
            lines.append("        v = aware(v)")
        elif kind == "json_text":
            lines.append("        v = _parse_json_text(v)")
        elif kind in ("json", "json_null"):
            lines.append("        if type(v) is str: v = read_jsonb(v)")  # JSON text of null: None, not the default
        elif kind == "text":
            lines.append("        if type(v) is str and ESC in v: v = unesc_str(v)")
        if exact is not object:
            env[f"x{i}"], env[f"h{i}"], env[f"t{i}"] = exact, hook, tp
            lines.append(f"        if v is not None and type(v) is not x{i}: v = h{i}(v, t{i})")
        lines.append(f"        kw['{attr}'] = v")
    lines.append("    return cls(**kw)")
    fn: Callable[[Sequence[Any], int], Any] = define("decode", lines, env, what="pg row decoder")
    return fn


def _exact(tp: Any) -> Any:
    """The one class whose values a field declared ``tp`` takes as they are (``object``: any; None: none)."""
    if tp is Any:
        return object
    if tp in (str, int, float, bool, datetime):
        return tp
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _exact(args[0]) if len(args) == 1 else None
    if origin in (dict, list) and typing.get_args(tp) in ((str, Any), (Any,)):
        return origin  # a JSON value just parsed: nobody else holds it, no copy needed
    return None
