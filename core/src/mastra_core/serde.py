"""Private cattrs converters between records and their wire form.

The wire form is what the reference implementation stores and exchanges: JSON-compatible dicts
with camelCase keys (``resourceId``, ``createdAt``, ``toolInvocation``...) and ISO-8601 dates.
Records carry no serialisation; a backend layers its own converter on top with
``make_converter(base)`` (e.g. keeping datetimes native for a driver that maps them itself).

Unknown keys of message content and parts land in ``extra`` and are written back verbatim,
so content written by a newer client survives a round trip.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import attrs
import cattrs

from . import records as r
from .clock import iso, parse_datetime

T = TypeVar("T")

#: Records whose wire names are snake_case (the legacy evals table was written that way).
_SNAKE_CASE = {r.EvalRow}

_PART_TYPES: dict[str, type[Any]] = {
    "text": r.TextPart,
    "reasoning": r.ReasoningPart,
    "tool-invocation": r.ToolInvocationPart,
    "source": r.SourcePart,
    "file": r.FilePart,
    "step-start": r.StepStartPart,
}

_RECORDS: tuple[type[Any], ...] = (
    r.Thread,
    r.Resource,
    r.Message,
    r.MessageContent,
    r.ToolInvocation,
    r.TextPart,
    r.ReasoningPart,
    r.ToolInvocationPart,
    r.SourcePart,
    r.FilePart,
    r.StepStartPart,
    r.DataPart,
    r.WorkflowRun,
    r.WorkflowRunState,
    r.WorkflowStateUpdate,
    r.ScorePayload,
    r.Score,
    r.Span,
    r.Agent,
    r.EvalRow,
    r.TraceRow,
    r.MessageInclude,
    r.SpanUpdate,
)


def camel(name: str) -> str:
    """``resource_id`` -> ``resourceId``."""
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


#: Fields whose reference key is not the camelCase of their name: the reference (AI SDK v4 ``UIMessage``)
#: names message attachments ``experimental_attachments``; storing them as ``experimentalAttachments``
#: would hide them from the reference. The camelCase form is still read (rows written before the fix).
_WIRE_KEYS: dict[tuple[type[Any], str], str] = {
    (r.MessageContent, "experimental_attachments"): "experimental_attachments"
}


@cache
def wire_names(cls: Any) -> dict[str, str]:
    """Attribute name -> wire key for a record class (``extra`` excluded)."""
    style = (lambda n: n) if cls in _SNAKE_CASE else camel
    return {f.name: _WIRE_KEYS.get((cls, f.name), style(f.name)) for f in attrs.fields(cls) if f.name != "extra"}


def _record_hooks(conv: cattrs.Converter, cls: type[Any]) -> None:
    """Register hook factories so a copied converter's own hooks apply to nested values too."""
    attrs.resolve_types(cls)
    conv.register_unstructure_hook_factory(lambda t: t is cls, lambda t, c: _unstructurer(c, t))
    conv.register_structure_hook_factory(lambda t: t is cls, lambda t, c: _structurer(c, t))


def _hook(conv: cattrs.Converter, t: Any, structure: bool) -> Callable[..., Any]:
    """The converter's hook for ``t`` (resolved once per record class, not once per value)."""
    # get_*_hook is public from cattrs 24.1; the dispatch behind it is what 23.2 (our floor) offers
    get: Any
    if structure:
        get = getattr(conv, "get_structure_hook", None) or conv._structure_func.dispatch
    else:
        get = getattr(conv, "get_unstructure_hook", None) or conv._unstructure_func.dispatch
    hook: Callable[..., Any] = get(t)
    return hook


def _unstructurer(conv: cattrs.Converter, cls: Any) -> Callable[[Any], dict[str, Any]]:
    names = wire_names(cls)
    keeps_extra = "extra" in attrs.fields_dict(cls)
    # (attribute, wire key, optional-and-omitted-when-None, hook); hooks resolved on first use, when the converter
    # (possibly a backend's copy with its own hooks) is complete
    plans: list[list[tuple[str, str, bool, Callable[..., Any] | None]]] = []

    def build() -> list[tuple[str, str, bool, Callable[..., Any] | None]]:
        plan = [
            (f.name, names[f.name], f.default is None, None if f.name == "parts" else _value_unstructurer(conv, f.type))
            for f in attrs.fields(cls)
            if f.name != "extra"
        ]
        plans.append(plan)  # built whole, then published: threads racing here build equal plans
        return plan

    def unstructure(obj: Any) -> dict[str, Any]:
        plan = plans[0] if plans else build()
        out: dict[str, Any] = {}
        for name, key, optional, hook in plan:
            value = getattr(obj, name)
            if value is None and optional:
                continue  # optional and unset: omitted, as the reference omits undefined keys
            if hook is None:  # parts: a list of a union of part records, dispatched on each item's type
                out["parts"] = [_unstructure_part(conv, p) for p in value]
            elif type(value) in _PLAIN:
                out[key] = value
            else:
                out[key] = hook(value)
        if keeps_extra:
            for key, value in obj.extra.items():
                out.setdefault(key, value)
        return out

    return unstructure


#: Values every unstructure hook returns as they are (no copy, no conversion).
_PLAIN = frozenset({str, int, float, bool})
_JSON_TYPES = (Any, dict[str, Any], list[Any], dict[str, Any] | None, list[Any] | None)


def _value_unstructurer(conv: cattrs.Converter, t: Any) -> Callable[[Any], Any]:
    """The unstructure function of a field declared as ``t``.

    JSON-valued fields (metadata, snapshots, tool args: ``Any``, ``dict[str, Any]``, ``list[Any]``) are walked
    directly; cattrs would dispatch on the runtime type of every nested value (a 2.6 KB snapshot is ~250 such
    calls). The result is the same: new dicts and lists, plain values as they are, anything else (a datetime,
    a record) through the converter's own hook for its type.
    """
    if t in _JSON_TYPES:
        return lambda value: _json_value(conv, value)
    return _hook(conv, t, structure=False)


def _json_value(conv: cattrs.Converter, value: Any) -> Any:
    cls = type(value)
    if cls in _PLAIN or value is None:
        return value
    if cls is dict:
        return {k: v if type(v) in _PLAIN else _json_value(conv, v) for k, v in value.items()}
    if cls is list:
        return [v if type(v) in _PLAIN else _json_value(conv, v) for v in value]
    return conv.unstructure(value)


def _structurer(conv: cattrs.Converter, cls: Any) -> Callable[[Any, Any], Any]:
    names = wire_names(cls)
    keeps_extra = "extra" in attrs.fields_dict(cls)
    # (attribute, wire key, older camelCase key or None, hook); hooks resolved on first use (see _unstructurer)
    plans: list[list[tuple[str, str, str | None, Callable[..., Any] | None, Any]]] = []

    def build() -> list[tuple[str, str, str | None, Callable[..., Any] | None, Any]]:
        plan = [
            (
                f.name,
                names[f.name],
                camel(f.name) if names[f.name] != camel(f.name) else None,
                None if f.name == "parts" else _hook(conv, f.type, True),
                f.type,
            )
            for f in attrs.fields(cls)
            if f.name != "extra"
        ]
        plans.append(plan)  # built whole, then published: threads racing here build equal plans
        return plan

    def structure(data: Mapping[str, Any], _: Any) -> Any:
        if isinstance(data, cls):
            return data
        if cls is r.MessageContent and isinstance(data, str):
            # a reference-shaped message pasted with `content: "hello"` (the v1 / AI SDK short form)
            return r.MessageContent(parts=[r.TextPart(text=data)], content=data)
        if cls is r.MessageContent and isinstance(data, list):
            # the v1 / AI SDK parts form: `content: [{"type": "text", "text": "hello"}, ...]`
            return r.MessageContent(parts=[_structure_part(conv, p) for p in data])
        if type(data) is not dict and not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__} must be a mapping, got {type(data).__name__}")
        plan = plans[0] if plans else build()
        rest = dict(data)
        kwargs: dict[str, Any] = {}
        for name, key, old, hook, ftype in plan:
            if not rest:
                break  # every key is taken: the remaining fields keep their defaults
            if key in rest:
                value = rest.pop(key)
            elif name in rest:  # tolerate snake_case input from Python callers
                value = rest.pop(name)
            elif old is not None and old in rest:  # a renamed key as older versions stored it
                value = rest.pop(old)
            else:
                continue
            if hook is None:
                kwargs["parts"] = [_structure_part(conv, p) for p in value or []]
            else:
                kwargs[name] = None if value is None else hook(value, ftype)
        if keeps_extra:
            kwargs["extra"] = rest
        return cls(**kwargs)

    return structure


def _structure_part(conv: cattrs.Converter, data: Any) -> r.Part:
    if isinstance(
        data,
        r.UnknownPart
        | r.TextPart
        | r.ReasoningPart
        | r.ToolInvocationPart
        | r.SourcePart
        | r.FilePart
        | r.StepStartPart
        | r.DataPart,
    ):
        return data
    if not isinstance(data, Mapping):
        return r.UnknownPart(raw={"value": data})
    kind = data.get("type")
    cls = _PART_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None and isinstance(kind, str) and kind.startswith("data-"):
        cls = r.DataPart
    if cls is None:
        return r.UnknownPart(raw=dict(data))
    try:
        part: r.Part = conv.structure(data, cls)
    except (cattrs.BaseValidationError, TypeError, KeyError, ValueError):
        return r.UnknownPart(raw=dict(data))  # malformed known part: keep it verbatim rather than fail the read
    return part


def _unstructure_part(conv: cattrs.Converter, part: Any) -> Any:
    if isinstance(part, r.UnknownPart):
        return dict(part.raw)
    return conv.unstructure(part, type(part))


def _base_converter() -> cattrs.Converter:
    conv = cattrs.Converter(omit_if_default=False)
    conv.register_unstructure_hook(datetime, iso)
    conv.register_structure_hook(datetime, lambda v, _: parse_datetime(v))
    conv.register_structure_hook(Any, lambda v, _: v)
    for cls in _RECORDS:
        _record_hooks(conv, cls)
    conv.register_unstructure_hook(r.UnknownPart, lambda p: dict(p.raw))
    return conv


def make_converter(base: cattrs.Converter | None = None) -> cattrs.Converter:
    """A private converter: a copy of ``base``, or a fresh wire-form converter.

    Backends call ``conv = make_converter()`` then register their own hooks on ``conv``; the shared
    default is never mutated.
    """
    return (base or _DEFAULT).copy()


_DEFAULT = _base_converter()


def to_wire(record: Any, conv: cattrs.Converter | None = None) -> dict[str, Any]:
    """A record as its wire dict."""
    out: dict[str, Any] = (conv or _DEFAULT).unstructure(record, type(record))
    return out


def from_wire(data: Mapping[str, Any], cls: type[T], conv: cattrs.Converter | None = None) -> T:
    """A record from its wire dict (snake_case keys are accepted too)."""
    return (conv or _DEFAULT).structure(data, cls)


def content_to_json(content: r.MessageContent) -> str:
    """Message content as the JSON text stored in the ``content`` column."""
    return json.dumps(content_wire(content), ensure_ascii=False, separators=(",", ":"))


def content_wire(content: r.MessageContent) -> dict[str, Any]:
    """``to_wire(content)``: the usual ``{format: 2, parts: [text parts], content?}`` built directly, anything else
    through the converter.

    The converter's way (the field plan, each part's dispatch) cost 2.2-3.5 us a message against 0.5 (a tenth of a
    libSQL save_messages(10)); this shape is most messages. Keys in the converter's order (a record's fields, then its
    ``extra``); ``tests/core/test_serde.py`` compares both ways' JSON text on Hypothesis-drawn contents.
    """
    if (type(content) is r.MessageContent and content.format == 2 and type(content.format) is int
            and not content.extra and content.experimental_attachments is None and content.tool_invocations is None
            and content.reasoning is None and content.annotations is None and content.metadata is None
            and content.provider_metadata is None and (content.content is None or type(content.content) is str)):
        parts: list[dict[str, Any]] = []
        for part in content.parts:
            if (type(part) is not r.TextPart or type(part.text) is not str or part.provider_metadata is not None
                    or part.extra or part.type != "text"):
                return to_wire(content)
            parts.append({"text": part.text, "type": "text"})
        if content.content is None:
            return {"format": 2, "parts": parts}
        return {"format": 2, "parts": parts, "content": content.content}
    return to_wire(content)


#: ``backend.fastjson.loads`` (``json.loads``' values and errors, through orjson when installed: a message's content
#: parsed in a third of the time), imported on first use (``backend`` imports this module).
_fast_loads: Callable[[str], Any] | None = None


def _load_fast_loads() -> Callable[[str], Any]:
    global _fast_loads
    from .backend.fastjson import loads

    _fast_loads = loads
    return loads


def _plain_text_content(data: dict[str, Any]) -> r.MessageContent | None:
    """``{format: 2, parts: [{type: 'text', text}...], content?}`` built directly, else None.

    Most stored messages are this shape, and reading one through the converter (the field plan, each part's
    dispatch, ABC ``isinstance`` checks) cost about three times the JSON parse. The result is what
    :func:`from_wire` gives for the same data; any other key, type or value takes that general path. (Keys are
    counted, not compared as sets: with ``format`` and ``parts`` present, two keys are those two and three are
    those and ``content``; a part with ``type`` and ``text`` and two keys has no other.)
    """
    if data.get("format") != 2:
        return None
    text = data.get("content")
    raw_parts = data.get("parts")
    if type(raw_parts) is not list or len(data) != 2 + ("content" in data) or (
            text is not None and type(text) is not str):
        return None
    parts: list[r.Part] = []
    for part in raw_parts:
        if type(part) is not dict or len(part) != 2 or part.get("type") != "text":
            return None
        part_text = part.get("text")
        if type(part_text) is not str:
            return None
        parts.append(r.TextPart(text=part_text))
    return r.MessageContent(format=2, parts=parts, content=text)


def content_from_json(value: Any) -> r.MessageContent:
    """Message content from a stored value, upgrading legacy forms.

    A dict (or JSON text of one) with ``format == 2`` is read as is; a plain string, a JSON list of
    v1 parts, or anything else becomes v2 content with text parts.
    """
    data: Any = value
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        try:
            data = (_fast_loads or _load_fast_loads())(value)
        except ValueError:
            return r.MessageContent(parts=[r.TextPart(text=value)], content=value)
    if type(data) is dict:
        plain = _plain_text_content(data)
        if plain is not None:
            return plain
    if isinstance(data, Mapping):
        if data.get("format") == 2 or "parts" in data:
            return from_wire(data, r.MessageContent)
        return r.MessageContent(parts=[], content=None, extra=dict(data))
    if isinstance(data, list):  # v1: a list of AI-SDK core parts
        parts: list[r.Part] = []
        for item in data:
            if isinstance(item, Mapping) and item.get("type") == "text":
                parts.append(r.TextPart(text=str(item.get("text", ""))))
            else:
                parts.append(_structure_part(_DEFAULT, item))
        return r.MessageContent(parts=parts)
    if isinstance(data, str):  # JSON text of a string
        return r.MessageContent(parts=[r.TextPart(text=data)], content=data)
    return r.MessageContent(parts=[], extra={"value": data})


def json_dumps(value: Any) -> str:
    """Compact JSON text (non-ASCII kept) for JSON columns."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


Structurer = Callable[[Any, Any], Any]
