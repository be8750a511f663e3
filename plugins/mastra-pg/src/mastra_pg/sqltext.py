"""Statement templates rendered once per store: names come from identifiers, values always from parameters."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from .schema import idents


class Sql:
    """Renders ``{threads}``-style templates for one schema; ``parts`` are trusted fragments built from identifiers."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self._idents = idents(schema)
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}

    def __call__(self, template: str, **parts: Any) -> str:
        key = (template, tuple(sorted((k, str(v)) for k, v in parts.items())))
        hit = self._cache.get(key)
        if hit is None:
            extra = {k: v if isinstance(v, sql.Composable) else sql.SQL(str(v)) for k, v in parts.items()}
            hit = sql.SQL(template).format(**self._idents, **extra).as_string(None)  # type: ignore[arg-type]
            if len(self._cache) < 4096:
                self._cache[key] = hit
        return hit
