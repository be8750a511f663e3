"""Only StorageErrors leave a public coroutine of a store, whatever the caller passes or the driver raises.

Domain stores, storages (and every plugin extra on them, such as the pg index API) and vector stores call
:func:`guard_public_coroutines` from ``__init_subclass__``: each public ``async def`` of the class is wrapped
so that an argument error (``TypeError``, ``ValueError``, ``AttributeError``, ``LookupError``) becomes a
ValidationError (category USER) and any other exception a StorageError (category THIRD_PARTY), both with the
original as ``__cause__``.

Those four types are also what a driver raises for its own bugs or a server's odd reply (a ``KeyError`` deep in
botocore, a ``ValueError`` from a wire decoder). Blaming the caller for those would send users hunting for a bad
argument that is not there, so the error is USER only when it was raised by our own code or by the record layer
(attrs/cattrs) reading the caller's values: the innermost frame of the traceback that is not in the standard
library decides (a ``json.dumps`` or ``int()`` failing on a value our code passed counts as ours, and so does
the code of the package that defines the op).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .errors import ErrorCategory, StorageError, ValidationError, error_id

T = TypeVar("T")
#: Raw errors raised while reading the arguments: the caller passed something unusable.
INPUT_ERRORS = (TypeError, ValueError, AttributeError, LookupError)
#: Top-level packages whose input errors are the caller's: ours and the record layer that reads the caller's values.
CALLER_FACING_PACKAGES = frozenset({"attr", "attrs", "cattrs"})


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
            if not raised_reading_input(exc, fn.__module__):
                raise _third_party(self, fn.__name__, exc, token, what) from exc
            op = fn.__name__.upper()
            raise ValidationError(
                f"invalid input to {what(self)} {fn.__name__}: {type(exc).__name__}: {_safe(exc)}",
                id=error_id(token(self), op, "INVALID_INPUT"),
                details={"operation": op},
            ) from exc
        except Exception as exc:
            raise _third_party(self, fn.__name__, exc, token, what) from exc

    guarded.__guarded__ = True  # type: ignore[attr-defined]
    return guarded


def _third_party(
    self: Any, name: str, exc: Exception, token: Callable[[Any], str], what: Callable[[Any], str]
) -> StorageError:
    op = name.upper()
    return StorageError(
        f"{what(self)} {name} failed: {type(exc).__name__}: {_safe(exc)}",
        id=error_id(token(self), op, "FAILED"),
        category=ErrorCategory.THIRD_PARTY,
        details={"operation": op},
    )


def raised_reading_input(exc: BaseException, owner_module: str) -> bool:
    """Whether ``exc`` was raised by mastra code, the package defining the op (``owner_module``) or attrs/cattrs,
    judged by the innermost frame outside the standard library."""
    owner = owner_module.partition(".")[0]
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        package = str(frame.f_globals.get("__name__", "")).partition(".")[0]
        if package in sys.stdlib_module_names or package == "__main__":
            continue
        return package.startswith("mastra") or package == owner or package in CALLER_FACING_PACKAGES
    return True


def _safe(exc: BaseException) -> str:
    from .log import redact

    return redact(str(exc))[:500]
