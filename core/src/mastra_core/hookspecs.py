"""Hook specifications of the ``mastra`` plugin system.

Plugins are distributions with an entry point in the ``mastra.storage`` group whose name is the
distribution name (``mastra-pg = "mastra_pg.plugin"``). Registration hooks are called once, when
the registry is first built, and must do no I/O: they hand classes or factories to ``register``.
Lifecycle hooks are notifications: they return None and must not raise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .errors import StorageError
    from .storage import Storage

PROJECT = "mastra"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[..., None]


@hookspec
def mastra_register_backends(register: Register) -> None:
    """Register storage backend classes.

    Called once per process when the registry is built. Call ``register(backend_cls)`` for each
    :class:`~mastra_core.storage.BackendStorage` subclass the plugin provides; the backend id is
    ``backend_cls.backend_id``. Two plugins registering one id raise ``DuplicateBackendError``.
    Returns nothing.
    """


def _domain_spec(domain: str) -> Any:
    def spec(register: Register) -> None:
        pass

    spec.__name__ = f"mastra_register_{domain}_stores"
    spec.__doc__ = f"""Register {domain} domain stores for a backend.

    Called once when the registry is built. Call ``register(backend_id, factory)`` where
    ``factory(storage) -> {domain} store`` builds the domain store for an instance of that backend
    (sharing its connection). A backend that already has a built-in {domain} store keeps it; this is
    how a third-party distribution adds the domain to a backend that lacks it. Returns nothing.
    """
    return hookspec(spec)


mastra_register_memory_stores = _domain_spec("memory")
mastra_register_workflows_stores = _domain_spec("workflows")
mastra_register_scores_stores = _domain_spec("scores")
mastra_register_observability_stores = _domain_spec("observability")
mastra_register_agents_stores = _domain_spec("agents")
mastra_register_evals_stores = _domain_spec("evals")
mastra_register_traces_stores = _domain_spec("traces")


@hookspec
def mastra_register_vector_stores(register: Register) -> None:
    """Register vector store classes.

    Called once when the registry is built. Call ``register(vector_id, factory)`` where
    ``factory(**config)`` returns a :class:`~mastra_core.vector.VectorStore`. Returns nothing.
    """


@hookspec
def mastra_register_embedders(register: Register) -> None:
    """Register embedders.

    Called once when the registry is built. Call ``register(embedder_id, factory)`` where
    ``factory(**config)`` returns an :class:`~mastra_core.vector.Embedder`. Returns nothing.
    """


@hookspec
def mastra_storage_opened(storage: Storage) -> None:
    """Notification: a storage object was constructed (no I/O has happened yet). Returns None."""


@hookspec
def mastra_storage_initialized(storage: Storage) -> None:
    """Notification: ``storage.init()`` finished for the first time (tables exist). Returns None."""


@hookspec
def mastra_storage_closing(storage: Storage) -> None:
    """Notification: ``storage.close()`` is about to release connections. Returns None."""


@hookspec
def mastra_storage_error(storage: Storage, domain: str, operation: str, error: StorageError) -> None:
    """Notification: an operation of ``domain`` failed with ``error`` (already a StorageError).

    Called before the error propagates to the caller. Returns None; exceptions raised here are logged
    and ignored.
    """


#: Registration hook name per domain.
DOMAIN_HOOKS = {
    d: f"mastra_register_{d}_stores" for d in ("memory", "workflows", "scores", "observability", "agents", "evals", "traces")
}
