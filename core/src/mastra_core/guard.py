"""Only StorageErrors leave a public coroutine of a store, whatever the caller passes or the driver raises.

Domain stores, storages (and every plugin extra on them, such as the pg index API) and vector stores call
:func:`guard_public_coroutines` from ``__init_subclass__``: each public ``async def`` of the class is wrapped
so that an argument error (``TypeError``, ``ValueError``, ``AttributeError``, ``LookupError``) becomes a
ValidationError (category USER) and any other exception a StorageError (category THIRD_PARTY), both with the
original as ``__cause__``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .errors import ErrorCategory, StorageError, ValidationError, error_id

T = TypeVar("T")
#: Raw errors raised while reading the arguments: the caller passed something unusable.
INPUT_ERRORS = (TypeError, ValueError, AttributeError, LookupError)


def guard_public_coroutines(cls: type, token: Callable[[Any], str], what: Callable[[Any], str]) -> None:
    """Wrap the public coroutines defined on ``cls``; ``token(self)`` names the backend in error ids and
    ``what(self)`` the store in messages."""
    for name, fn in list(vars(cls).items()):
        if not name.startswith("_") and inspect.iscoroutinefunction(fn) and not hasattr(fn, "__guarded__"):
            setattr(cls, name, _guarded(fn, token, what))


def _guarded(
    fn: Callable[..., Awaitable[T]], token: Callable[[Any], str], what: Callable[[Any], str]
) -> Callable[..., Awaitable[T]]:
    @functools.wraps(fn)
    async def guarded(self: Any, *args: Any, **kwargs: Any) -> T:
        try:
            return await fn(self, *args, **kwargs)
        except (StorageError, asyncio.CancelledError):
            raise
        except INPUT_ERRORS as exc:
            op = fn.__name__.upper()
            raise ValidationError(
                f"invalid input to {what(self)} {fn.__name__}: {type(exc).__name__}: {_safe(exc)}",
                id=error_id(token(self), op, "INVALID_INPUT"),
                details={"operation": op},
            ) from exc
        except Exception as exc:
            op = fn.__name__.upper()
            raise StorageError(
                f"{what(self)} {fn.__name__} failed: {type(exc).__name__}: {_safe(exc)}",
                id=error_id(token(self), op, "FAILED"),
                category=ErrorCategory.THIRD_PARTY,
                details={"operation": op},
            ) from exc

    guarded.__guarded__ = True  # type: ignore[attr-defined]
    return guarded


def _safe(exc: BaseException) -> str:
    from .log import redact

    return redact(str(exc))[:500]
