"""mastra-otel: OpenTelemetry spans into the observability domain of any mastra storage, and back as trees.

``provider.add_span_processor(BatchSpanProcessor(MastraSpanExporter(storage)))`` stores every span an
instrumented app ends, with the GenAI semantic conventions mapped to the domain's span types (agent run,
model generation, tool call); :func:`get_trace_tree` reads a stored trace back as a tree.
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .exporter import MastraSpanExporter
    from .mapping import span_record
    from .tree import SpanNode, build_tree, get_trace_tree, get_trace_tree_sync

__version__ = _version("mastra-otel")  # the one place is pyproject.toml

__all__ = ["MastraSpanExporter", "SpanNode", "build_tree", "get_trace_tree", "get_trace_tree_sync", "span_record"]

_WHERE = {"MastraSpanExporter": "exporter", "span_record": "mapping", "SpanNode": "tree", "build_tree": "tree",
          "get_trace_tree": "tree", "get_trace_tree_sync": "tree"}


def __getattr__(name: str) -> Any:
    """Import the public names lazily: importing the package loads neither the OpenTelemetry SDK nor a backend."""
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
