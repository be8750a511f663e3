"""A stored trace as a tree of spans."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import attrs
from mastra_core import records as r

if TYPE_CHECKING:
    from mastra_core import Storage
    from mastra_core.sync import SyncStorage


@attrs.define
class SpanNode:
    """One span and its children, ordered by ``started_at``."""

    span: r.Span
    children: list[SpanNode] = attrs.field(factory=list)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, SpanNode]]:
        """Every node of this subtree with its depth, depth first, in order."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)

    def find(self, name: str) -> SpanNode | None:
        """The first node of this subtree whose span has this name."""
        return next((node for _, node in self.walk() if node.span.name == name), None)


def build_tree(spans: Iterable[r.Span]) -> list[SpanNode]:
    """The roots of a trace: spans without a parent, or whose parent is not stored (a remote or lost parent).

    Siblings are ordered by ``started_at``, then by the exact start time the exporter keeps in
    ``metadata["otel"]`` (spans started within one millisecond), then by span id.
    """
    ordered = sorted(spans, key=_order)
    nodes = {s.span_id: SpanNode(s) for s in ordered}
    roots: list[SpanNode] = []
    for span in ordered:
        parent = nodes.get(span.parent_span_id) if span.parent_span_id else None
        (parent.children if parent is not None and parent is not nodes[span.span_id] else roots).append(
            nodes[span.span_id]
        )
    return roots


def _order(span: r.Span) -> tuple[datetime, int, str]:
    otel = (span.metadata or {}).get("otel")
    exact = otel.get("startTimeUnixNano") if isinstance(otel, dict) else None
    # a decimal string (OTLP/JSON's form of a 64-bit field); an int from spans stored by older versions
    nanos = int(exact) if isinstance(exact, int) or (isinstance(exact, str) and exact.isdigit()) else 0
    return span.started_at, nanos, span.span_id


async def get_trace_tree(storage: Storage, trace_id: str) -> list[SpanNode] | None:
    """The stored trace as a tree (its roots; one for a complete trace), or None when nothing is stored."""
    trace = await storage.observability.get_trace(trace_id=trace_id)
    return None if trace is None else build_tree(trace.spans)


def get_trace_tree_sync(storage: SyncStorage, trace_id: str) -> list[SpanNode] | None:
    """:func:`get_trace_tree` for a blocking :class:`~mastra_core.sync.SyncStorage`."""
    trace = storage.observability.get_trace(trace_id=trace_id)
    return None if trace is None else build_tree(trace.spans)
