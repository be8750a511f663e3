"""Hook specifications of the ``mastra`` plugin system, written out one by one.

Plugins are distributions with an entry point in the ``mastra.storage`` group whose name is the
distribution name (``mastra-pg = "mastra_pg.plugin"``); core's own plugins are listed in
:data:`mastra_core.plugins.BUILTIN_PLUGINS`. Registration hooks are called once per process, when the
registry is first built (:func:`mastra_core.plugins.registry`); they must do no I/O and only hand
classes or factories to the ``register`` callback they receive; one collector in
:mod:`mastra_core.plugins` gathers what they registered. Lifecycle hooks are notifications: they
return None, and an exception raised in one is logged and ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .errors import StorageError
    from .storage import Storage

PROJECT = "mastra"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: The ``register`` callback a registration hook receives (its arguments are given per hook below).
Register = Callable[..., None]

# ---------------------------------------------------------------------------------- backends


@hookspec
def mastra_register_backends(register: Register) -> None:
    """Register storage backend classes.

    Called once per process when the registry is built, before any domain hook. Call
    ``register(backend_cls)`` for each :class:`~mastra_core.storage.BackendStorage` subclass the plugin
    provides; the backend id is ``backend_cls.backend_id``. Two plugins registering one id raise
    ``DuplicateBackendError`` naming both distributions. Returns nothing.
    """


# ------------------------------------------------------------------------- storage domains
# A backend is assembled from what these hooks registered: ``register(backend_id, factory)`` where
# ``factory(storage)`` builds the domain store for one instance of that backend (sharing its
# connection; no I/O). ``register(backend_id, factory, replace=True)`` replaces the store another
# distribution registered for that backend (at most one replacement per domain and backend).


@hookspec
def mastra_register_memory_stores(register: Register) -> None:
    """Register memory domain stores (threads, messages, resources).

    Called once when the registry is built. Call ``register(backend_id, factory)`` where
    ``factory(storage) -> MemoryStore`` builds the store for an instance of that backend, or
    ``register(backend_id, factory, replace=True)`` to replace another distribution's memory store
    of that backend. Returns nothing.
    """


@hookspec
def mastra_register_workflows_stores(register: Register) -> None:
    """Register workflows domain stores (snapshots and runs).

    Called once when the registry is built. Call ``register(backend_id, factory)`` where
    ``factory(storage) -> WorkflowsStore`` builds the store for an instance of that backend, or with
    ``replace=True`` to replace another distribution's. Returns nothing.
    """


@hookspec
def mastra_register_scores_stores(register: Register) -> None:
    """Register scores domain stores (eval scores).

    Called once when the registry is built. Call ``register(backend_id, factory)`` where
    ``factory(storage) -> ScoresStore`` builds the store for an instance of that backend, or with
    ``replace=True`` to replace another distribution's. Returns nothing.
    """


@hookspec
def mastra_register_observability_stores(register: Register) -> None:
    """Register observability domain stores (AI spans and traces).

    Called once when the registry is built. Call ``register(backend_id, factory)`` where
    ``factory(storage) -> ObservabilityStore`` builds the store for an instance of that backend, or
    with ``replace=True`` to replace another distribution's. Returns nothing.
    """


@hookspec
def mastra_register_agents_stores(register: Register) -> None:
    """Register agents domain stores (stored agent definitions).

    Called once when the registry is built. Call ``register(backend_id, factory)`` where
    ``factory(storage) -> AgentsStore`` builds the store for an instance of that backend, or with
    ``replace=True`` to replace another distribution's. Returns nothing.
    """


@hookspec
def mastra_register_evals_stores(register: Register) -> None:
    """Register legacy evals domain stores (the ``mastra_evals`` table).

    Called once when the registry is built. Call ``register(backend_id, factory)`` where
    ``factory(storage) -> EvalsStore`` builds the store for an instance of that backend, or with
    ``replace=True`` to replace another distribution's. Returns nothing.
    """


@hookspec
def mastra_register_traces_stores(register: Register) -> None:
    """Register legacy traces domain stores (the ``mastra_traces`` table).

    Called once when the registry is built. Call ``register(backend_id, factory)`` where
    ``factory(storage) -> TracesStore`` builds the store for an instance of that backend, or with
    ``replace=True`` to replace another distribution's. Returns nothing.
    """


# ------------------------------------------------------------------ vectors, embedders, tools


@hookspec
def mastra_register_vector_stores(register: Register) -> None:
    """Register vector store factories.

    Called once when the registry is built. Call ``register(vector_id, factory)`` where
    ``factory(**config)`` returns a :class:`~mastra_core.vector.VectorStore`, and
    ``factory.from_storage(storage)`` (optional) one that shares a storage's connection. Returns nothing.
    """


@hookspec
def mastra_register_embedders(register: Register) -> None:
    """Register embedder factories.

    Called once when the registry is built. Call ``register(embedder_id, factory)`` where
    ``factory(**config)`` returns an :class:`~mastra_core.vector.Embedder`. Returns nothing.
    """


@hookspec
def mastra_register_commands(register: Register) -> None:
    """Register sub-commands of the ``mastra`` command line.

    Called once when the registry is built (when ``mastra`` starts). Call
    ``register(name, help, handler)`` where ``name`` is the sub-command (``"dynamodb"`` gives
    ``mastra dynamodb ...``), ``help`` its one-line description shown by ``mastra --help``, and
    ``handler(argv: list[str]) -> int`` runs it with the remaining arguments and returns the exit
    code. A name taken by core or by another plugin raises ``DuplicateBackendError``. Returns nothing.
    """


@hookspec
def mastra_register_test_harnesses(register: Register) -> None:
    """Register harnesses of the contract suite (``pytest --pyargs mastra_core.testing --mastra-backend=NAME``).

    Called once when the registry is built. Call ``register(name, harness)`` where ``harness`` is the
    dotted name of a module (imported only by the test run, so no test code loads in production), or a
    module or object, with ``BACKEND_ID``,
    ``async make_storage(namespace, **overrides) -> Storage`` (an un-initialised storage on a fresh,
    empty namespace of a real service), optional ``async cleanup(namespace)``, optional
    ``PROBE_CONFIG`` (options that build an unconnected instance) and optional
    ``probe_capabilities()``. Import test-only code lazily inside the harness. Returns nothing.
    """


# ------------------------------------------------------------------------------- lifecycle


@hookspec
def mastra_storage_opened(storage: Storage) -> None:
    """Notification: a storage object was constructed (no I/O has happened yet).

    Called at the end of the storage's constructor, with the storage. Returns None.
    """


@hookspec
def mastra_storage_initialized(storage: Storage) -> None:
    """Notification: ``storage.init()`` finished for the first time (tables exist).

    Called once per successful first ``init()``, with the storage. Returns None.
    """


@hookspec
def mastra_storage_closing(storage: Storage) -> None:
    """Notification: ``storage.close()`` is about to release connections.

    Called once per ``close()`` of an open storage, with the storage. Returns None.
    """


@hookspec
def mastra_storage_error(storage: Storage, domain: str, operation: str, error: StorageError) -> None:
    """Notification: an operation of ``domain`` failed with ``error`` (already a StorageError).

    Called before the error propagates to the caller, with the storage, the domain name, the
    operation token (``SAVE_THREAD``...) and the error. Returns None; exceptions raised here are
    logged and ignored.
    """


#: Registration hook name per domain, for the collector.
DOMAIN_HOOKS: dict[str, str] = {
    "memory": "mastra_register_memory_stores",
    "workflows": "mastra_register_workflows_stores",
    "scores": "mastra_register_scores_stores",
    "observability": "mastra_register_observability_stores",
    "agents": "mastra_register_agents_stores",
    "evals": "mastra_register_evals_stores",
    "traces": "mastra_register_traces_stores",
}
