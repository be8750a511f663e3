"""One data set covering every domain both sides have, in the reference's (wire) shape, and the comparison.

Both sides are handed the same values; what each reads back is normalised (dates to epoch milliseconds,
absent and null alike) and compared field by field. ``diff`` returns readable paths of every difference.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def at(ms: int) -> datetime:
    """``T0`` plus ``ms`` milliseconds."""
    return T0 + timedelta(milliseconds=ms)


def thread(tid: str, rid: str, *, ms: int = 0, title: str = "a thread") -> dict[str, Any]:
    """A thread with nested metadata."""
    return {"id": tid, "resourceId": rid, "title": title,
            "metadata": {"topic": "interop", "n": 3, "ratio": 0.5, "flags": [True, False], "nested": {"k": "v"}},
            "createdAt": at(ms), "updatedAt": at(ms)}


ATTACHMENTS = [{"name": "a.png", "contentType": "image/png", "url": "https://example.com/a.png"}]


def rich_content(text: str) -> dict[str, Any]:
    """v2 content with every part type: text, tool invocation and result, reasoning, source, file, step-start,
    a data part, an unknown part, and attachments."""
    return {
        "format": 2,
        "parts": [
            {"type": "step-start"},
            {"type": "reasoning", "reasoning": "thinking", "details": [{"type": "text", "text": "thinking"}]},
            {"type": "tool-invocation", "toolInvocation": {"state": "call", "toolCallId": "c1", "toolName": "search",
                                                          "args": {"q": "x"}, "step": 0}},
            {"type": "tool-invocation", "toolInvocation": {"state": "result", "toolCallId": "c2", "toolName": "calc",
                                                          "args": {"a": 1, "b": 2.5}, "result": {"sum": 3.5},
                                                          "step": 1}},
            {"type": "source", "source": {"sourceType": "url", "id": "s1", "url": "https://example.com",
                                          "title": "Example"}},
            {"type": "file", "data": "aGVsbG8=", "mimeType": "text/plain"},
            {"type": "data-progress", "id": "d1", "data": {"pct": 50}},
            {"type": "x-unknown-part", "payload": {"keep": ["me", 1]}},
            {"type": "text", "text": text, "providerMetadata": {"openai": {"id": "r1"}}},
        ],
        "content": text,
        "experimental_attachments": ATTACHMENTS,
        "toolInvocations": [{"state": "result", "toolCallId": "c2", "toolName": "calc", "args": {"a": 1, "b": 2.5},
                             "result": {"sum": 3.5}}],
        "reasoning": "thinking",
        "annotations": [{"kind": "note"}],
        "metadata": {"source": "interop", "n": 1},
    }


def message(mid: str, tid: str, rid: str, *, ms: int = 0, role: str = "user", text: str | None = None,
            rich: bool = False) -> dict[str, Any]:
    """A v2 message (``rich``: every part type)."""
    body = text or f"message {mid}"
    content = rich_content(body) if rich else {"format": 2, "parts": [{"type": "text", "text": body}], "content": body}
    return {"id": mid, "threadId": tid, "resourceId": rid, "role": role, "type": "v2", "content": content,
            "createdAt": at(ms)}


def resource(rid: str, *, ms: int = 0) -> dict[str, Any]:
    """A resource with working memory and metadata."""
    return {"id": rid, "workingMemory": "# Notes\n- likes tea", "metadata": {"plan": "pro", "seats": 3, "x": 1.5},
            "createdAt": at(ms), "updatedAt": at(ms)}


def snapshot(run_id: str, status: str = "suspended") -> dict[str, Any]:
    """A workflow run state as the reference persists it."""
    return {
        "runId": run_id, "status": status, "value": {"step1": "done"},
        "context": {"input": {"q": 1}, "step1": {"status": "success", "output": {"x": 1, "y": 2.5},
                                                  "startedAt": 1767323045678, "endedAt": 1767323045999}},
        "serializedStepGraph": [{"type": "step", "step": {"id": "step1"}}],
        "activePaths": [0], "activeStepsPath": {"step1": [0]}, "suspendedPaths": {"step2": [1]},
        "waitingPaths": {}, "resumeLabels": {}, "timestamp": 1767323045678,
    }


def score_payload(run_id: str) -> dict[str, Any]:
    """A score with every JSON field set."""
    return {
        "scorerId": "relevance", "entityId": "agent-1", "entityType": "AGENT", "runId": run_id,
        "traceId": "trace-s", "spanId": "span-s", "score": 0.75, "reason": "good",
        "scorer": {"id": "relevance", "name": "Relevance", "description": "d"},
        "entity": {"id": "agent-1", "name": "Agent One"},
        "input": [{"role": "user", "content": "q"}], "output": {"text": "a"},
        "metadata": {"m": 1}, "additionalContext": {"ctx": [1, 2]}, "requestContext": {"user": "u1"},
        "analyzeStepResult": {"verdicts": [{"ok": True}]}, "preprocessStepResult": {"pre": 1},
        "extractStepResult": {"claims": ["c"]}, "preprocessPrompt": "pp", "extractPrompt": "ep",
        "generateScorePrompt": "gs", "generateReasonPrompt": "gr", "analyzePrompt": "ap", "reasonPrompt": "rp",
        "source": "LIVE", "resourceId": "res-s", "threadId": "thread-s",
    }


def span(trace: str, sid: str, *, parent: str | None = None, ms: int = 0) -> dict[str, Any]:
    """An AI span with its JSON fields set."""
    return {
        "traceId": trace, "spanId": sid, "parentSpanId": parent, "name": f"span {sid}", "spanType": "agent_run",
        "isEvent": False, "startedAt": at(ms), "endedAt": at(ms + 250),
        "attributes": {"model": "m", "tokens": 12}, "metadata": {"k": "v"}, "links": [{"traceId": "other"}],
        "input": {"messages": ["hi"]}, "output": {"text": "ok"}, "error": None,
        "scope": {"core": "1.0.4"}, "entityType": "agent", "entityId": "agent-1", "entityName": "Agent One",
        "userId": "u1", "organizationId": "o1", "resourceId": "r1", "runId": "run-1", "sessionId": "s1",
        "threadId": "t1", "requestId": "q1", "environment": "test", "source": "local", "serviceName": "svc",
        "tags": ["a", "b"],
    }


def agent(aid: str) -> dict[str, Any]:
    """A stored agent with every JSON field and ``memory`` set."""
    return {
        "id": aid, "name": "Agent One", "description": "desc", "instructions": "be brief",
        "model": {"provider": "openai", "name": "gpt-4o"}, "tools": ["search"], "defaultOptions": {"maxSteps": 3},
        "workflows": ["wf"], "agents": ["helper"], "inputProcessors": [{"id": "ip"}],
        "outputProcessors": [{"id": "op"}], "memory": "mem-1", "scorers": {"relevance": {"sampling": {"rate": 1}}},
        "metadata": {"team": "x"},
    }


# ---------------------------------------------------------------- comparison


def ms(value: Any) -> int | None:
    """An instant (datetime, ``{"$date"}``, ISO text) as epoch milliseconds."""
    if isinstance(value, dict) and "$date" in value:
        value = value["$date"]
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000 + (0.5 if value.timestamp() >= 0 else -0.5))
    return None


#: Record fields that hold instants (Python's wire form writes them as ISO text, the driver as ``{"$date"}``).
DATE_KEYS = frozenset({"createdAt", "updatedAt", "startedAt", "endedAt"})


def norm(value: Any) -> Any:
    """Dates as milliseconds, null-valued keys dropped (absent and null read alike), recursively."""
    if isinstance(value, datetime) or (isinstance(value, dict) and set(value) == {"$date"}):
        return ms(value)
    if isinstance(value, dict):
        return {k: (ms(v) if k in DATE_KEYS and isinstance(v, str) else norm(v)) for k, v in value.items()
                if v is not None}
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    return value


def diff(expected: Any, actual: Any, path: str = "", *, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Every difference between two normalised values as ``path: expected != actual`` (types count: 1 != 1.0)."""
    out: list[str] = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in sorted(set(expected) | set(actual)):
            if k in ignore:
                continue
            p = f"{path}.{k}" if path else k
            if k not in actual:
                out.append(f"{p}: missing")
            elif k not in expected:
                out.append(f"{p}: unexpected {actual[k]!r:.60}")
            else:
                out += diff(expected[k], actual[k], p, ignore=ignore)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out += diff(e, a, f"{path}[{i}]", ignore=ignore)
    elif expected != actual or type(expected) is not type(actual):
        out.append(f"{path}: {expected!r:.60} != {actual!r:.60}")
    return out
