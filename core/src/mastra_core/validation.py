"""Input checks shared by every backend; each raises ValidationError before anything is written."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .clock import parse_datetime
from .errors import ValidationError, error_id
from .pagination import MAX_OFFSET, Direction, OrderBy, PerPage
from .values import check_field, check_value, date_problem, id_problem

_METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORBIDDEN_KEYS = frozenset({"__proto__", "prototype", "constructor"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Checks:
    """Validation bound to one backend and operation, so error ids read ``MASTRA_STORAGE_<BACKEND>_<OP>_<STATUS>``."""

    __slots__ = ("backend", "op")

    def __init__(self, backend: str, op: str) -> None:
        self.backend = backend
        self.op = op

    def fail(self, status: str, message: str, **details: Any) -> ValidationError:
        return ValidationError(message, id=error_id(self.backend, self.op, status), details=details)

    def id(self, value: Any, name: str) -> str:
        """A non-blank string id (kept exactly as given: ids are case- and space-sensitive)."""
        problem = id_problem(value)
        if problem:
            raise self.fail(f"INVALID_{name}", f"{name} {problem}", field=name)
        return str(value)

    def optional_id(self, value: Any, name: str) -> str | None:
        return None if value is None else self.id(value, name)

    def ids(self, values: Any, name: str, *, allow_empty: bool = True) -> tuple[str, ...]:
        """A list of non-blank ids (a lone string is refused: it is almost always a bug)."""
        if isinstance(values, str | Mapping) or not isinstance(values, Iterable):
            raise self.fail(f"INVALID_{name}", f"{name} must be a list of strings, got {values!r}", field=name)
        out = tuple(self.id(v, name) for v in values)
        if not out and not allow_empty:
            raise self.fail(f"INVALID_{name}", f"{name} must not be empty", field=name)
        return out

    def page(self, page: Any) -> int:
        if isinstance(page, bool) or not isinstance(page, int) or not 0 <= page <= MAX_OFFSET:
            raise self.fail("INVALID_PAGE", f"page must be an integer >= 0, got {page!r}", page=page)
        return page

    def per_page(self, per_page: Any, page: int) -> PerPage:
        """``False`` = everything (then page must be 0), ``0`` = empty page, else a positive integer."""
        if per_page is False:
            if page != 0:
                raise self.fail("INVALID_PAGE", "page must be 0 when per_page is False", page=page)
            return False
        if isinstance(per_page, bool) or not isinstance(per_page, int) or per_page < 0:
            raise self.fail(
                "INVALID_PER_PAGE", f"per_page must be False or an integer >= 0, got {per_page!r}", per_page=per_page
            )
        if per_page > MAX_OFFSET or page * per_page > MAX_OFFSET:
            raise self.fail("INVALID_PAGE", "page value too large", page=page, per_page=per_page)
        return per_page

    def order_by(
        self, order_by: Any, allowed: Iterable[str], default_field: str, default_direction: Direction
    ) -> OrderBy:
        """An OrderBy or a mapping ``{field, direction}``; unknown fields and directions are errors (the reference
        silently replaced them)."""
        if order_by is None:
            return OrderBy(field=default_field, direction=default_direction)
        if isinstance(order_by, Mapping):
            field = order_by.get("field", default_field)
            direction = order_by.get("direction", default_direction)
        elif isinstance(order_by, OrderBy):
            field, direction = order_by.field, order_by.direction
        else:
            raise self.fail("INVALID_ORDER_BY", f"order_by must be an OrderBy or a mapping, got {order_by!r}")
        aliases = {
            "createdAt": "created_at",
            "updatedAt": "updated_at",
            "startedAt": "started_at",
            "endedAt": "ended_at",
        }
        field = aliases.get(field, field)
        allowed = tuple(allowed)
        if field not in allowed:
            raise self.fail(
                "INVALID_ORDER_BY", f"order_by field must be one of {list(allowed)}, got {field!r}", field=field
            )
        direction = str(direction).upper()
        if direction not in ("ASC", "DESC"):
            raise self.fail("INVALID_ORDER_BY", f"order_by direction must be ASC or DESC, got {direction!r}")
        return OrderBy(field=field, direction=direction)  # type: ignore[arg-type]

    def metadata_filter(self, metadata: Any) -> dict[str, Any] | None:
        """Metadata filter keys: identifiers of at most 128 characters, never prototype names."""
        if metadata is None:
            return None
        if not isinstance(metadata, Mapping):
            raise self.fail("INVALID_METADATA", f"metadata filter must be a mapping, got {metadata!r}")
        for key in metadata:
            if not isinstance(key, str) or len(key) > 128 or not _METADATA_KEY.fullmatch(key) or key in _FORBIDDEN_KEYS:
                raise self.fail(
                    "INVALID_METADATA_KEY",
                    f"invalid metadata key {key!r}: keys must match [A-Za-z_][A-Za-z0-9_]* "
                    "and be at most 128 characters",
                    key=key,
                )
        return dict(metadata)

    def mapping(self, value: Any, name: str) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(f"INVALID_{name}", f"{name} must be a mapping, got {type(value).__name__}")
        self.value(value, name)
        return dict(value)

    def value(self, value: Any, name: str) -> Any:
        """``value`` (a JSON value or a record) inside the storable value domain (see :mod:`mastra_core.values`)."""
        check_value(value, name.lower(), self._value_error, f"INVALID_{name}")
        return value

    def field(self, cls: type, name: str, value: Any, status: str) -> Any:
        """``value`` as field ``name`` of record class ``cls``: its declared type, and storable."""
        check_field(cls, name, value, self._value_error, status)
        return value

    def _value_error(self, status: str, message: str, field: str) -> ValidationError:
        return self.fail(status, message, field=field)

    def date(self, value: Any, name: str) -> datetime | None:
        if value is None:
            return None
        try:
            parsed = parse_datetime(value)
        except (TypeError, ValueError, OverflowError, OSError):
            raise self.fail(
                f"INVALID_{name}", f"{name} must be a datetime or ISO-8601 string, got {value!r}", field=name
            ) from None
        problem = date_problem(parsed)
        if problem:
            raise self.fail(f"INVALID_{name}", f"{name} {problem}", field=name)
        return parsed

    def number(self, value: Any, name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(f"INVALID_{name}", f"{name} must be a finite number, got {value!r}")
        return float(value)

    def count(self, value: Any, name: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"INVALID_{name}", f"{name} must be an integer >= 0, got {value!r}")
        return value

    def one_of(self, value: Any, name: str, allowed: Iterable[str]) -> str:
        allowed = tuple(allowed)
        if value not in allowed:
            raise self.fail(f"INVALID_{name}", f"{name} must be one of {list(allowed)}, got {value!r}")
        return str(value)


def check_identifier(value: Any, what: str, *, max_length: int = 63) -> str:
    """A SQL identifier (schema, table or index name): ``[A-Za-z_][A-Za-z0-9_]*``, at most ``max_length``."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value) or len(value) > max_length:
        raise ValidationError(
            f"invalid {what} {value!r}: must match [A-Za-z_][A-Za-z0-9_]* and be at most {max_length} characters",
            id="MASTRA_STORAGE_INVALID_IDENTIFIER",
            details={"what": what, "value": value},
        )
    return value
