"""Backend lookup by id and URL scheme, and the constructors ``create_storage`` / ``open_storage``.

What plugins registered is gathered in :mod:`mastra_core.plugins`; this module only reads it.
"""

from __future__ import annotations

import importlib
import os
import re
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, PluginLoadError
from .log import redact
from .plugins import (
    CORE_DISTRIBUTION,
    DISABLE_ENV,
    ENTRY_POINT_GROUP,
    BackendInfo,
    Registry,
    cache_clear,
    domain_factory,
    notify,
    plugin_manager,
    registry,
)

if TYPE_CHECKING:
    from .storage import BackendStorage

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")

__all__ = [
    "CORE_DISTRIBUTION",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "BackendInfo",
    "Registry",
    "backend_info",
    "backend_for_url",
    "cache_clear",
    "create_storage",
    "domain_factory",
    "get_backend",
    "import_optional",
    "notify",
    "open_storage",
    "plugin_manager",
    "registry",
]


def backend_info(backend_id: str) -> BackendInfo:
    """The installed backend ``backend_id``; an error listing the installed ids otherwise."""
    return registry().backend(backend_id)


def backend_for_url(url: str) -> BackendInfo:
    """The installed backend whose class lists the URL's scheme."""
    return registry().backend_for_url(normalise_url(url))


#: The environment variable ``open_storage()`` and the CLI read when no URL is given.
URL_ENV = "MASTRA_STORAGE_URL"
_PATH_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".libsql")


def normalise_url(url: str) -> str:
    """``url`` with a scheme: a path (``./agent.db``, ``/data/agent.db``, ``agent.db``) becomes ``file:<path>``.

    A bare word (``foo``) is refused rather than silently becoming a database file called ``foo``.
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(
            f"a storage URL is required (or set {URL_ENV}); got {url!r}", id="MASTRA_STORAGE_URL_REQUIRED"
        )
    text = url.strip()
    if text == ":memory:" or _SCHEME.match(text):
        return text
    if text.startswith(("/", "./", "../", "~")) or text.endswith(_PATH_SUFFIXES):
        return "file:" + text
    raise ConfigError(
        f"{redact(text)!r} is not a storage URL: give a scheme (file:./agent.db, postgresql://..., "
        "mongodb://..., dynamodb://..., redis://..., memory:) or a path (./agent.db)",
        id="MASTRA_STORAGE_URL_INVALID",
        details={"url": redact(text)},
    )


def get_backend(backend_id: str) -> type[BackendStorage]:
    """The backend class registered under ``backend_id``."""
    return backend_info(backend_id).cls


def create_storage(backend_id: str, /, **config: Any) -> BackendStorage:
    """Build a storage of an installed backend: ``create_storage("pg", id="pg-storage", connection_string=...)``.

    ``id`` defaults to ``"<backend>-storage"``. Unknown config keys are errors.
    """
    cls = get_backend(backend_id)
    config.setdefault("id", f"{backend_id}-storage")
    return cls(**config)


def open_storage(url: str | None = None, /, **config: Any) -> BackendStorage:
    """Build a storage from a URL, choosing the backend by its scheme (``file:``, ``postgresql:``, ``redis:``...).

    Without a URL, ``MASTRA_STORAGE_URL`` is read; a path (``./agent.db``) means the embedded ``file:`` backend.
    """
    if url is None:
        url = os.environ.get(URL_ENV, "")
    url = normalise_url(url)
    info = registry().backend_for_url(url)
    config.setdefault("id", f"{info.id}-storage")
    return info.cls.from_url(url, **config)


def import_optional(module: str, distribution: str) -> Any:
    """Import a driver lazily with an error that says which package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise PluginLoadError(
            f"{module} is not installed: `pip install {distribution}`", details={"module": module}
        ) from exc
