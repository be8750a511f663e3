"""Storage options in a URL's query string, parsed the same way for every backend.

``postgresql://h/db?schema_name=agents&connect_timeout=3`` or ``redis://h?prefix=app:`` : a backend's
``from_url`` calls :func:`split_url_options` with its config class. A query parameter naming one of the
class's options (snake_case or camelCase) becomes that option, converted from the field's type (bool:
``true/false/1/0/yes/no/on/off``; int; float; str); one the driver understands stays in the URL; anything
else is a :class:`~mastra_core.errors.ConfigError` naming the valid parameters. Options given as keyword
arguments win over the URL's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from .errors import ConfigError

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def snake(name: str) -> str:
    """``connectTimeout`` -> ``connect_timeout`` (snake_case names are returned unchanged)."""
    return _CAMEL.sub("_", name).lower() if any(c.isupper() for c in name) else name


def _kind(field: attrs.Attribute[Any]) -> str:
    text = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
    for kind in ("bool", "int", "float", "str"):
        if re.search(rf"\b{kind}\b", str(text)):
            return kind
    return "str"


def convert(value: str, kind: str, name: str, backend: str) -> Any:
    """``value`` from a URL converted to ``kind`` (bool, int, float, str); a ConfigError naming ``name`` otherwise."""
    text = value.strip()
    try:
        if kind == "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError(value)
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise ConfigError(f"{backend} URL parameter {name}={value!r} is not a valid {kind}",
                          id=f"MASTRA_STORAGE_{backend.upper()}_CONFIG_INVALID", details={"parameter": name}) from None
    return text


def url_option_names(config_class: type[Any], exclude: Collection[str] = ()) -> dict[str, str]:
    """The options of ``config_class`` a URL may carry: name -> kind (bool, int, float, str).

    Only fields of a plain type qualify (no mappings, lists, clients or pools).
    """
    out: dict[str, str] = {}
    for field in attrs.fields(config_class):
        if field.name.startswith("_") or field.name in exclude or not field.init:
            continue
        text = str(field.type)
        if any(t in text for t in ("Any", "dict", "list", "tuple", "Mapping", "Sequence")):
            continue
        out[field.name] = _kind(field)
    return out


def split_url_options(
    url: str,
    config_class: type[Any],
    *,
    backend: str,
    exclude: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
    passthrough: Callable[[str], bool] | Iterable[str] = (),
) -> tuple[str, dict[str, Any]]:
    """``(url without the mastra options, the options)`` read from ``url``'s query string.

    ``exclude`` lists fields a URL must not set; ``aliases`` maps extra parameter names onto option
    names; ``passthrough`` says which parameters the driver understands (they stay in the URL).
    """
    parts = urlsplit(url)
    if not parts.query:
        return url, {}
    names = url_option_names(config_class, exclude)
    alias = dict(aliases or {})
    keep = passthrough if callable(passthrough) else set(passthrough).__contains__
    options: dict[str, Any] = {}
    kept: list[tuple[str, str]] = []
    unknown: list[str] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        name = alias.get(key) or alias.get(snake(key)) or snake(key)
        if name in names:
            options[name] = convert(value, names[name], key, backend)
        elif keep(key):
            kept.append((key, value))
        else:
            unknown.append(key)
    if unknown:
        raise ConfigError(
            f"unknown {backend} URL parameter(s) {sorted(unknown)}; storage options a URL may set: "
            f"{', '.join(sorted(names))}" + (" (plus the driver's own connection parameters)" if passthrough else ""),
            id=f"MASTRA_STORAGE_{backend.upper()}_CONFIG_UNKNOWN_KEY", details={"unknown": sorted(unknown)})
    return urlunsplit(parts._replace(query=urlencode(kept))), options


def merge(url_options: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """URL options overridden by keyword arguments."""
    return {**url_options, **config}
