"""Workflow runs and their snapshots.

Storage treats a snapshot as an opaque JSON document (a ``dict``), filtering only on its
``status``; :class:`WorkflowRunState` is a typed view for callers who want one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import attrs

from ..clock import utc_now

WorkflowStatus = Literal[
    "running", "success", "failed", "tripwire", "suspended", "waiting", "pending", "canceled", "bailed", "paused"
]


@attrs.define(kw_only=True)
class WorkflowRun:
    """One stored run: the snapshot plus its keys and timestamps."""

    workflow_name: str
    run_id: str
    snapshot: dict[str, Any]
    resource_id: str | None = None
    created_at: datetime = attrs.field(factory=utc_now)
    updated_at: datetime = attrs.field(factory=utc_now)


@attrs.define(kw_only=True)
class WorkflowRunState:
    """Typed view of a snapshot document (``WorkflowRunState`` in the reference)."""

    run_id: str
    status: WorkflowStatus
    value: dict[str, Any] = attrs.field(factory=dict)
    context: dict[str, Any] = attrs.field(factory=dict)
    serialized_step_graph: list[Any] = attrs.field(factory=list)
    active_paths: list[int] = attrs.field(factory=list)
    active_steps_path: dict[str, list[int]] = attrs.field(factory=dict)
    suspended_paths: dict[str, list[int]] = attrs.field(factory=dict)
    resume_labels: dict[str, Any] = attrs.field(factory=dict)
    waiting_paths: dict[str, list[int]] = attrs.field(factory=dict)
    timestamp: int = 0
    result: Any = None
    error: Any = None
    request_context: dict[str, Any] | None = None
    tripwire: Any = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class WorkflowStateUpdate:
    """The options of ``update_workflow_state``: merged over the snapshot."""

    status: WorkflowStatus
    result: Any = None
    error: Any = None
    suspended_paths: dict[str, list[int]] | None = None
    waiting_paths: dict[str, list[int]] | None = None
