"""Reprs of backend configs that never show a secret (passwords, tokens, keys, the password in a URL)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, cast

import attrs

from .log import redact

#: Fields holding a secret outright: shown as ``'***'`` when set.
SECRET_FIELDS = frozenset({"password", "auth_token", "token", "credentials", "sslpassword", "secret_access_key",
                           "aws_secret_access_key", "aws_session_token", "session_token"})
#: Fields holding a URL or connection string: shown with the password and token parameters redacted.
URL_FIELDS = frozenset({"url", "uri", "connection_string", "dsn"})
#: Fields holding live clients or pools: shown by type only (their own reprs may carry credentials).
OPAQUE_FIELDS = frozenset({"client", "pool", "http_client"})
#: Keys of a mapping option (driver options, ssl settings) whose values are secrets.
_SECRET_KEY = re.compile(r"pass|secret|token|credential|private|auth", re.IGNORECASE)


def shown(name: str, value: Any) -> str:
    """How the config field ``name`` holding ``value`` appears in a repr."""
    if value is None:
        return "None"
    if name in SECRET_FIELDS:
        return "'***'"
    if name in OPAQUE_FIELDS:
        return f"<{type(value).__name__}>"
    if name in URL_FIELDS and isinstance(value, str):
        return repr(redact(value))
    if isinstance(value, Mapping):
        inner = (f"{k!r}: {'***' if _SECRET_KEY.search(str(k)) else redact(repr(v))}" for k, v in value.items())
        return "{" + ", ".join(inner) + "}"
    return redact(repr(value))


class MaskedRepr:
    """Mixin for an attrs config class (declared with ``repr=False``): ``repr``/``str`` mask every secret."""

    __slots__ = ()
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    def __repr__(self) -> str:
        fields = attrs.fields(cast(Any, type(self)))  # the subclass is an attrs class
        extra = type(self).secret_fields
        parts = []
        for f in fields:
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            parts.append(f"{f.name}={'***' if f.name in extra and value is not None else shown(f.name, value)}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__
