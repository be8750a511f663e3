"""Plain attrs records for every domain; they carry no serialisation (see :mod:`mastra_core.serde`)."""

from .agents import AGENT_UPDATABLE_FIELDS, Agent
from .legacy import EvalRow, TraceRow
from .messages import (
    DataPart,
    FilePart,
    Message,
    MessageContent,
    MessageInclude,
    Part,
    ReasoningPart,
    Role,
    SourcePart,
    StepStartPart,
    TextPart,
    ToolInvocation,
    ToolInvocationPart,
    UnknownPart,
)
from .scores import Score, ScorePayload, ScoreSource
from .spans import SPAN_UPDATABLE_FIELDS, Span, SpanUpdate, Trace, TraceFilter, TraceStatus
from .threads import Resource, Thread
from .workflows import WorkflowRun, WorkflowRunState, WorkflowStateUpdate, WorkflowStatus

__all__ = [
    "AGENT_UPDATABLE_FIELDS", "SPAN_UPDATABLE_FIELDS", "Agent", "DataPart", "EvalRow", "FilePart", "Message",
    "MessageContent", "MessageInclude", "Part", "ReasoningPart", "Resource", "Role", "Score", "ScorePayload",
    "ScoreSource", "SourcePart", "Span", "SpanUpdate", "StepStartPart", "TextPart", "Thread", "ToolInvocation",
    "ToolInvocationPart", "Trace", "TraceFilter", "TraceRow", "TraceStatus", "UnknownPart", "WorkflowRun",
    "WorkflowRunState", "WorkflowStateUpdate", "WorkflowStatus",
]
