"""``MemoryConfig``: what a :class:`~mastra_memory.Memory` remembers and recalls, with per-call overrides.

Accepted as the attrs classes or as plain mappings in snake_case or the reference's camelCase
(``{"last_messages": 5, "semantic_recall": {"top_k": 3, "message_range": 2}}``). Unknown keys are
errors. A per-call override is deep-merged over the instance config: only the keys it names change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs
from mastra_core.errors import ValidationError
from mastra_core.vector import METRICS, Metric

Scope = Literal["resource", "thread"]
_TOKEN = re.compile(r"[^A-Z0-9]+")


def memory_error_id(op: str, status: str) -> str:
    """``MASTRA_MEMORY_{OP}_{STATUS}``."""
    return "MASTRA_MEMORY_" + "_".join(_TOKEN.sub("_", p.upper()).strip("_") for p in (op, status) if p)


def config_error(message: str, **details: Any) -> ValidationError:
    """A ``MASTRA_MEMORY_CONFIG_INVALID`` validation error."""
    return ValidationError(message, id=memory_error_id("CONFIG", "INVALID"), details=details)


@attrs.frozen(kw_only=True)
class MessageRange:
    """How many neighbours of a semantic hit to return, before and after it, in the hit's own thread."""

    before: int = 1
    after: int = 1


@attrs.frozen(kw_only=True)
class SemanticRecall:
    """Vector search over past messages. ``scope``: ``resource`` (every thread of the user) or ``thread``.

    ``threshold`` drops hits whose score is below it. ``index_name`` replaces the default
    ``memory_messages_<dim>`` (it is then used as is, for writes and reads alike).
    """

    top_k: int = 4
    message_range: MessageRange = MessageRange()
    scope: Scope = "resource"
    threshold: float | None = None
    index_name: str | None = None
    metric: Metric = "cosine"
    index_config: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class WorkingMemoryConfig:
    """Persistent notes about the user (``resource`` scope) or the conversation (``thread`` scope).

    Markdown ``template`` (default: :data:`~mastra_memory.working_memory.DEFAULT_TEMPLATE`), whose
    updates replace the whole text, or a JSON ``schema``, whose updates deep-merge.
    """

    enabled: bool = False
    scope: Scope = "resource"
    template: str | None = None
    schema: dict[str, Any] | None = None


TitleGenerator = Callable[..., Any]


@attrs.frozen(kw_only=True)
class TitleConfig:
    """``generate_title`` as an object: which generator, and what it is told.

    ``generator``: a callable ``text -> title`` (sync or async) or the name of a registered generator
    (:func:`~mastra_memory.titles.register_title_generator`); ``None`` means the Memory's own
    ``title_generator``. ``model`` and ``instructions`` are handed to the generator as keyword arguments
    (a generator that does not take them is an error); a ``model`` with no generator to use it is an
    error too: nothing in this package calls a model by itself.
    """

    generator: TitleGenerator | str | None = None
    model: Any = None
    instructions: str | None = None


@attrs.frozen(kw_only=True)
class MemoryConfig:
    """Everything a Memory does (defaults as the reference: last 10 messages, nothing else).

    ``last_messages``: how many recent messages ``recall`` returns (``False``: all, ``0``: none).
    ``semantic_recall``: ``None`` (off) or :class:`SemanticRecall`. ``generate_title``: ``True`` (use
    the Memory's title generator), a callable ``text -> title``, a registered generator's name, or a
    :class:`TitleConfig` (``{"generator", "model", "instructions"}``). ``read_only``: recall and context
    building work, nothing is written (messages, working memory, titles) and no update tool is offered.
    """

    last_messages: int | Literal[False] = 10
    semantic_recall: SemanticRecall | None = None
    working_memory: WorkingMemoryConfig = WorkingMemoryConfig()
    generate_title: bool | TitleGenerator | str | TitleConfig = False
    read_only: bool = False


_ALIASES = {
    "lastMessages": "last_messages",
    "semanticRecall": "semantic_recall",
    "workingMemory": "working_memory",
    "generateTitle": "generate_title",
    "readOnly": "read_only",
    "topK": "top_k",
    "messageRange": "message_range",
    "indexName": "index_name",
    "indexConfig": "index_config",
}


def _keys(raw: Mapping[str, Any], allowed: set[str], where: str) -> dict[str, Any]:
    out = {_ALIASES.get(k, k): v for k, v in raw.items()}
    unknown = set(out) - allowed
    if unknown:
        raise config_error(f"unknown {where} option(s) {sorted(unknown)} (allowed: {sorted(allowed)})")
    return out


def _count(value: Any, name: str, *, allow_false: bool = False) -> Any:
    if allow_false and value is False:
        return False
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise config_error(f"{name} must be a non-negative integer{' or False' if allow_false else ''}, got {value!r}")
    return value


def _message_range(value: Any, base: MessageRange) -> MessageRange:
    if isinstance(value, MessageRange):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        n = _count(value, "message_range")
        return MessageRange(before=n, after=n)
    if isinstance(value, Mapping):
        raw = _keys(value, {"before", "after"}, "message_range")
        return MessageRange(
            before=_count(raw.get("before", base.before), "message_range.before"),
            after=_count(raw.get("after", base.after), "message_range.after"),
        )
    raise config_error(f"message_range must be a number or {{before, after}}, got {value!r}")


def _scope(value: Any, name: str) -> Scope:
    if value == "resource":
        return "resource"
    if value == "thread":
        return "thread"
    raise config_error(f"{name} must be 'resource' or 'thread', got {value!r}")


def _semantic(value: Any, base: SemanticRecall | None) -> SemanticRecall | None:
    if value is None or value is False:
        return None
    if value is True:
        return base or SemanticRecall()
    if isinstance(value, SemanticRecall):
        return value
    if not isinstance(value, Mapping):
        raise config_error(f"semantic_recall must be a bool, a mapping or SemanticRecall, got {value!r}")
    b = base or SemanticRecall()
    raw = _keys(value, {f.name for f in attrs.fields(SemanticRecall)}, "semantic_recall")
    top_k = raw.get("top_k", b.top_k)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k <= 0:
        raise config_error(f"semantic_recall.top_k must be a positive integer, got {top_k!r}")
    threshold = raw.get("threshold", b.threshold)
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)):
        raise config_error(f"semantic_recall.threshold must be a number, got {threshold!r}")
    metric = raw.get("metric", b.metric)
    if metric not in METRICS:
        raise config_error(f"semantic_recall.metric must be one of {METRICS}, got {metric!r}")
    index_name = raw.get("index_name", b.index_name)
    if index_name is not None and not isinstance(index_name, str):
        raise config_error("semantic_recall.index_name must be a string")
    index_config = raw.get("index_config", b.index_config)
    return SemanticRecall(
        top_k=top_k,
        message_range=_message_range(raw["message_range"], b.message_range)
        if "message_range" in raw
        else b.message_range,
        scope=_scope(raw.get("scope", b.scope), "semantic_recall.scope"),
        threshold=None if threshold is None else float(threshold),
        index_name=index_name,
        metric=metric,
        index_config=dict(index_config) if index_config is not None else None,
    )


def _working(value: Any, base: WorkingMemoryConfig) -> WorkingMemoryConfig:
    if isinstance(value, WorkingMemoryConfig):
        wm = value
    elif isinstance(value, bool):
        wm = attrs.evolve(base, enabled=value)
    elif isinstance(value, Mapping):
        raw = _keys(value, {"enabled", "scope", "template", "schema"}, "working_memory")
        if "template" in raw and "schema" in raw and raw["template"] is not None and raw["schema"] is not None:
            raise config_error("working_memory takes a template or a schema, not both")
        template = raw.get("template", base.template if "schema" not in raw else None)
        schema = raw.get("schema", base.schema if "template" not in raw else None)
        if template is not None and not isinstance(template, str):
            raise config_error("working_memory.template must be a string")
        if schema is not None:
            schema = _json_schema(schema)
        enabled = raw.get("enabled", base.enabled)
        if not isinstance(enabled, bool):
            raise config_error("working_memory.enabled must be a bool")
        wm = WorkingMemoryConfig(
            enabled=enabled,
            scope=_scope(raw.get("scope", base.scope), "working_memory.scope"),
            template=template,
            schema=schema,
        )
    else:
        raise config_error(f"working_memory must be a bool, a mapping or WorkingMemoryConfig, got {value!r}")
    if wm.template is not None and wm.schema is not None:
        raise config_error("working_memory takes a template or a schema, not both")
    return wm


def _json_schema(schema: Any) -> dict[str, Any]:
    """A JSON Schema mapping, or anything with ``model_json_schema()`` (pydantic models)."""
    if hasattr(schema, "model_json_schema"):
        schema = schema.model_json_schema()
    if not isinstance(schema, Mapping):
        raise config_error("working_memory.schema must be a JSON Schema mapping")
    return dict(schema)


def _title(value: Any) -> bool | TitleGenerator | str | TitleConfig:
    """``generate_title``: a bool, a callable, a registered name, a TitleConfig or the reference's mapping."""
    if isinstance(value, bool | TitleConfig | str):
        return value
    if callable(value):
        fn: TitleGenerator = value
        return fn
    if isinstance(value, Mapping):  # the reference's {model, instructions}, plus the generator that uses the model
        raw = _keys(value, {"generator", "model", "instructions"}, "generate_title")
        generator = raw.get("generator")
        if generator is not None and not isinstance(generator, str) and not callable(generator):
            raise config_error("generate_title.generator must be a callable or a registered generator's name")
        instructions = raw.get("instructions")
        if instructions is not None and not isinstance(instructions, str):
            raise config_error("generate_title.instructions must be a string")
        return TitleConfig(generator=generator, model=raw.get("model"), instructions=instructions)
    raise config_error(
        "generate_title must be a bool, a callable text -> title, a registered generator's name "
        "or {generator, model, instructions}"
    )


def merge_config(base: MemoryConfig, override: MemoryConfig | Mapping[str, Any] | None) -> MemoryConfig:
    """``base`` with ``override`` deep-merged over it (a MemoryConfig override replaces ``base`` whole)."""
    if override is None:
        return base
    if isinstance(override, MemoryConfig):
        return override
    if not isinstance(override, Mapping):
        raise config_error(f"memory config must be a MemoryConfig or a mapping, got {type(override).__name__}")
    raw = _keys(override, {f.name for f in attrs.fields(MemoryConfig)}, "memory")
    changes: dict[str, Any] = {}
    if "last_messages" in raw:
        changes["last_messages"] = _count(raw["last_messages"], "last_messages", allow_false=True)
    if "semantic_recall" in raw:
        changes["semantic_recall"] = _semantic(raw["semantic_recall"], base.semantic_recall)
    if "working_memory" in raw:
        changes["working_memory"] = _working(raw["working_memory"], base.working_memory)
    if "generate_title" in raw:
        changes["generate_title"] = _title(raw["generate_title"])
    if "read_only" in raw:
        if not isinstance(raw["read_only"], bool):
            raise config_error(f"read_only must be a bool, got {raw['read_only']!r}")
        changes["read_only"] = raw["read_only"]
    return attrs.evolve(base, **changes)


def parse_config(value: MemoryConfig | Mapping[str, Any] | None) -> MemoryConfig:
    """A full config from a MemoryConfig, a mapping (over the defaults) or None (the defaults)."""
    return merge_config(MemoryConfig(), value)
