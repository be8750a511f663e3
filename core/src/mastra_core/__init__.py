"""mastra-core: storage for AI-agent memory and state.

Importing this package loads no plugin and no driver; backends are discovered on first use of
:func:`create_storage`, :func:`open_storage` or :func:`get_backend`.
"""

from importlib.metadata import version as _version

from .domains import (
    AgentsStore,
    CloneResult,
    DomainStore,
    EvalsStore,
    MemoryStore,
    MessageUpdate,
    ObservabilityStore,
    ScoresStore,
    TracesStore,
    WorkflowsStore,
)
from .errors import (
    CapabilityError,
    ConfigError,
    DuplicateBackendError,
    ErrorCategory,
    NotFoundError,
    PluginLoadError,
    StorageError,
    UnknownBackendError,
    ValidationError,
)
from .pagination import DateRange, OrderBy, Page
from .records import (
    Agent,
    EvalRow,
    Message,
    MessageContent,
    MessageInclude,
    Resource,
    Score,
    ScorePayload,
    Span,
    TextPart,
    Thread,
    Trace,
    TraceFilter,
    TraceRow,
    WorkflowRun,
)
from .registry import create_storage, get_backend, open_storage
from .retention import TtlRule
from .storage import BackendStorage, Storage

__version__ = _version("mastra-core")  # the one place is pyproject.toml

__all__ = [
    "Agent",
    "AgentsStore",
    "BackendStorage",
    "CapabilityError",
    "CloneResult",
    "ConfigError",
    "DateRange",
    "DomainStore",
    "DuplicateBackendError",
    "ErrorCategory",
    "EvalRow",
    "EvalsStore",
    "MemoryStore",
    "Message",
    "MessageContent",
    "MessageInclude",
    "MessageUpdate",
    "NotFoundError",
    "ObservabilityStore",
    "OrderBy",
    "Page",
    "PluginLoadError",
    "Resource",
    "Score",
    "ScorePayload",
    "ScoresStore",
    "Span",
    "Storage",
    "StorageError",
    "TextPart",
    "Thread",
    "Trace",
    "TraceFilter",
    "TraceRow",
    "TracesStore",
    "TtlRule",
    "UnknownBackendError",
    "ValidationError",
    "WorkflowRun",
    "WorkflowsStore",
    "create_storage",
    "get_backend",
    "open_storage",
]
