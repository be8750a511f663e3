"""The StorageError hierarchy.

Every error the framework raises on purpose is a :class:`StorageError` with a stable ``id``
(``MASTRA_STORAGE_<BACKEND>_<OP>_<STATUS>``), a category saying whose fault it is, and details that
never contain secrets. A driver failure is wrapped with ``category=THIRD_PARTY`` and the driver error
as ``__cause__``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any


class ErrorCategory(enum.StrEnum):
    """Whose fault an error is."""

    USER = "USER"  # bad input or configuration: fix the call
    THIRD_PARTY = "THIRD_PARTY"  # the database or driver failed
    SYSTEM = "SYSTEM"  # a bug or an environment problem


_TOKEN = re.compile(r"[^A-Z0-9]+")


def error_id(backend: str, op: str, status: str) -> str:
    """Build ``MASTRA_STORAGE_{BACKEND}_{OP}_{STATUS}`` in upper snake case."""
    parts = [backend, op, status]
    return "MASTRA_STORAGE_" + "_".join(_TOKEN.sub("_", p.upper()).strip("_") for p in parts if p)


class StorageError(Exception):
    """Base of every error raised by mastra storage.

    ``id`` is stable and machine-readable; ``category`` says whose fault it is; ``details`` carries
    the offending values (never secrets).
    """

    domain = "STORAGE"

    def __init__(
        self,
        message: str,
        *,
        id: str = "MASTRA_STORAGE_ERROR",
        category: ErrorCategory = ErrorCategory.SYSTEM,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.id = id
        self.category = ErrorCategory(category)
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return f"{self.message} [{self.id}]"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, category={self.category.value!r}, message={self.message!r})"


class ValidationError(StorageError):
    """Invalid input: raised before anything is written (category USER)."""

    def __init__(self, message: str, *, id: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, id=id, category=ErrorCategory.USER, details=details)


class NotFoundError(StorageError):
    """The record an update needs does not exist (category USER)."""

    def __init__(self, message: str, *, id: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, id=id, category=ErrorCategory.USER, details={"status": 404, **(details or {})})


class ConfigError(StorageError):
    """A backend was configured wrongly: unknown key, wrong type, missing connection (category USER)."""

    def __init__(
        self, message: str, *, id: str = "MASTRA_STORAGE_CONFIG_INVALID", details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message, id=id, category=ErrorCategory.USER, details=details)


class UnknownBackendError(StorageError):
    """No installed plugin provides the requested backend id or URL scheme."""

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, id="MASTRA_STORAGE_BACKEND_UNKNOWN", category=ErrorCategory.USER, details=details)


class DuplicateBackendError(StorageError):
    """Two distributions claim the same backend id (or the same domain of one backend)."""

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, id="MASTRA_STORAGE_BACKEND_DUPLICATE", category=ErrorCategory.SYSTEM, details=details)


class PluginLoadError(StorageError):
    """A plugin's entry point failed to import."""

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(
            message, id="MASTRA_STORAGE_PLUGIN_LOAD_FAILED", category=ErrorCategory.SYSTEM, details=details
        )


class CapabilityError(StorageError):
    """The backend does not support the requested operation (a declared capability gap)."""

    def __init__(self, message: str, *, id: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, id=id, category=ErrorCategory.USER, details=details)


class SchemaNotReadyError(StorageError):
    """A storage built with ``disable_init`` found its schema missing or older than this release needs (it creates
    and migrates nothing itself): apply the migrations with ``mastra migrate URL``."""

    def __init__(self, message: str, *, id: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, id=id, category=ErrorCategory.USER, details=details)
