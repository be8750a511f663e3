"""One abstract base class per storage domain; backends implement their ``_``-prefixed hooks."""

from .agents import AgentsStore
from .base import DomainStore
from .legacy import EvalsStore, TracesStore
from .memory import CloneResult, MemoryStore, MessageUpdate
from .observability import ObservabilityStore
from .scores import ScoresStore
from .workflows import WorkflowsStore

#: Domain name -> base class, in the order stores are initialised and listed.
DOMAINS: dict[str, type[DomainStore]] = {
    "memory": MemoryStore,
    "workflows": WorkflowsStore,
    "scores": ScoresStore,
    "observability": ObservabilityStore,
    "agents": AgentsStore,
    "evals": EvalsStore,
    "traces": TracesStore,
}

__all__ = [
    "DOMAINS", "AgentsStore", "CloneResult", "DomainStore", "EvalsStore", "MemoryStore", "MessageUpdate",
    "ObservabilityStore", "ScoresStore", "TracesStore", "WorkflowsStore",
]
