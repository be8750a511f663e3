"""``mastra inspect URL WHAT ...``: what is in a storage, as tables for people or ``--json`` for scripts.

``WHAT`` is one of ``resources``, ``threads [--resource R]``, ``messages THREAD_ID``, ``working-memory RESOURCE_ID``,
``runs [--workflow W] [--resource R]``, ``scores [--scorer S | --run R]``, ``trace TRACE_ID``. Lists are paged
(``--page``, ``--per-page``); ``--json`` prints the records in the reference wire form (camelCase).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from mastra_core import Storage, open_storage
from mastra_core import records as r
from mastra_core.serde import to_wire

from .cli import parse_options

INSPECT_HELP = "show resources, threads, messages, working memory, workflow runs, scores or a trace"
WHATS = ("resources", "threads", "messages", "working-memory", "runs", "scores", "trace")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}" if value is not None else ""


def part_text(part: Any) -> str:
    """One message part as a line a person reads."""
    if isinstance(part, r.TextPart):
        return part.text
    if isinstance(part, r.ToolInvocationPart):
        call = part.tool_invocation
        shown = f"[tool {call.tool_name}({json.dumps(call.args, default=str)[:80]})"
        return shown + (f" -> {json.dumps(call.result, default=str)[:80]}]" if call.state == "result" else "]")
    kind = getattr(part, "type", type(part).__name__)
    if kind == "reasoning":
        return f"[reasoning] {getattr(part, 'reasoning', '')}"
    return f"[{kind}]"


def _emit(as_json: bool, title: str, headers: list[str], rows: list[list[Any]], records: list[Any],
          footer: str = "") -> None:
    if as_json:
        print(json.dumps([to_wire(x) if not isinstance(x, dict) else x for x in records], indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, caption=footer or None, show_lines=False)
    for h in headers:
        table.add_column(h, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console().print(table)


def _page_footer(page: Any) -> str:
    return f"page {page.page} · {len(page.items)} of {page.total}" + (" · more: --page N" if page.has_more else "")


async def _resources(s: Storage, a: argparse.Namespace) -> int:
    counts: dict[str, int] = {}
    page_no = 0
    while True:  # resources are reached through their threads
        page = await s.memory.list_threads(page=page_no, per_page=500)
        for t in page.items:
            counts[t.resource_id] = counts.get(t.resource_id, 0) + 1
        if not page.has_more:
            break
        page_no += 1
    ids = sorted(counts)[a.page * a.per_page:(a.page + 1) * a.per_page]
    found = [(rid, await s.memory.get_resource_by_id(resource_id=rid)) for rid in ids]
    rows = [[rid, counts[rid], (res.working_memory or "").strip().splitlines()[0][:60] if res and res.working_memory
             else "", _when(res.updated_at) if res else "(no record)"] for rid, res in found]
    records = [{"id": rid, "threads": counts[rid], "resource": to_wire(res) if res else None} for rid, res in found]
    _emit(a.json, "resources", ["resource", "threads", "working memory", "updated"], rows, records,
          f"{len(ids)} of {len(counts)} resources")
    return 0


async def _threads(s: Storage, a: argparse.Namespace) -> int:
    flt = {"resource_id": a.resource} if a.resource else None
    page = await s.memory.list_threads(filter=flt, page=a.page, per_page=a.per_page)
    rows = []
    for t in page.items:
        n = (await s.memory.list_messages(thread_id=t.id, per_page=1)).total
        rows.append([t.id, t.resource_id, t.title, n, _when(t.created_at), _when(t.updated_at)])
    _emit(a.json, "threads" + (f" of {a.resource}" if a.resource else ""),
          ["thread", "resource", "title", "messages", "created", "updated"], rows, page.items, _page_footer(page))
    return 0


async def _messages(s: Storage, a: argparse.Namespace) -> int:
    if not a.id:
        raise SystemExit("error: inspect messages needs a THREAD_ID")
    page = await s.memory.list_messages(thread_id=a.id, page=a.page, per_page=a.per_page)
    rows = [[_when(m.created_at), m.role, m.id, "\n".join(part_text(p) for p in m.content.parts)] for m in page.items]
    _emit(a.json, f"messages of {a.id}", ["created", "role", "id", "parts"], rows, page.items, _page_footer(page))
    return 0


async def _working_memory(s: Storage, a: argparse.Namespace) -> int:
    if not a.id:
        raise SystemExit("error: inspect working-memory needs a RESOURCE_ID")
    res = await s.memory.get_resource_by_id(resource_id=a.id)
    if res is None:
        print(f"no resource {a.id!r}")
        return 1
    if a.json:
        print(json.dumps(to_wire(res), indent=2, default=str))
    else:
        print(f"resource {res.id} (updated {_when(res.updated_at)})\n")
        print(res.working_memory or "(no working memory)")
    return 0


async def _runs(s: Storage, a: argparse.Namespace) -> int:
    page = await s.workflows.list_workflow_runs(workflow_name=a.workflow, resource_id=a.resource, page=a.page,
                                                per_page=a.per_page)
    rows = [[run.workflow_name, run.run_id, run.snapshot.get("status", ""), run.resource_id, _when(run.created_at),
             _when(run.updated_at)] for run in page.items]
    _emit(a.json, "workflow runs", ["workflow", "run", "status", "resource", "created", "updated"], rows, page.items,
          _page_footer(page))
    return 0


async def _scores(s: Storage, a: argparse.Namespace) -> int:
    if a.scorer:
        page = await s.scores.list_scores_by_scorer_id(scorer_id=a.scorer, page=a.page, per_page=a.per_page)
    elif a.run:
        page = await s.scores.list_scores_by_run_id(run_id=a.run, page=a.page, per_page=a.per_page)
    else:
        page = await s.scores.list_all_scores(page=a.page, per_page=a.per_page)
    rows = [[sc.id, sc.scorer_id, sc.score, sc.entity_id, sc.run_id, sc.source, _when(sc.created_at)]
            for sc in page.items]
    _emit(a.json, "scores", ["id", "scorer", "score", "entity", "run", "source", "created"], rows, page.items,
          _page_footer(page))
    return 0


def trace_lines(spans: list[r.Span]) -> list[str]:
    """The spans of a trace as an indented tree (children under their parent, by start time)."""
    children: dict[str | None, list[r.Span]] = {}
    ids = {sp.span_id for sp in spans}
    for sp in sorted(spans, key=lambda x: x.started_at):
        parent = sp.parent_span_id if sp.parent_span_id in ids else None  # orphans show at the top
        children.setdefault(parent, []).append(sp)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for sp in children.get(parent, []):
            took = f"{(sp.ended_at - sp.started_at).total_seconds() * 1000:.0f} ms" if sp.ended_at else "running"
            err = " ERROR" if sp.error else ""
            lines.append(f"{'  ' * depth}{'└─ ' if depth else ''}{sp.name} [{sp.span_type}] {took}{err} ({sp.span_id})")
            walk(sp.span_id, depth + 1)

    walk(None, 0)
    return lines


async def _trace(s: Storage, a: argparse.Namespace) -> int:
    if not a.id:
        raise SystemExit("error: inspect trace needs a TRACE_ID")
    trace = await s.observability.get_trace(trace_id=a.id)
    if trace is None:
        print(f"no trace {a.id!r}")
        return 1
    if a.json:
        print(json.dumps({"traceId": trace.trace_id, "spans": [to_wire(sp) for sp in trace.spans]}, indent=2,
                         default=str))
    else:
        print(f"trace {a.id}: {len(trace.spans)} spans")
        print("\n".join(trace_lines(trace.spans)))
    return 0


HANDLERS: dict[str, Callable[[Storage, argparse.Namespace], Awaitable[int]]] = {
    "resources": _resources, "threads": _threads, "messages": _messages, "working-memory": _working_memory,
    "runs": _runs, "scores": _scores, "trace": _trace,
}


def inspect_command(argv: list[str]) -> int:
    """``mastra inspect URL WHAT [ID] [options]``."""
    parser = argparse.ArgumentParser(prog="mastra inspect", description=INSPECT_HELP)
    parser.add_argument("url", help="storage URL (file:, postgresql:, mongodb:, dynamodb:, redis:...)")
    parser.add_argument("what", choices=WHATS, help="what to show")
    parser.add_argument("id", nargs="?", help="THREAD_ID (messages), RESOURCE_ID (working-memory), TRACE_ID (trace)")
    parser.add_argument("--resource", help="threads / runs of this resource")
    parser.add_argument("--workflow", help="runs of this workflow")
    parser.add_argument("--scorer", help="scores of this scorer")
    parser.add_argument("--run", help="scores of this run")
    parser.add_argument("--page", type=int, default=0, help="page number, from 0")
    parser.add_argument("--per-page", type=int, default=20, help="rows per page")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a config option")
    parser.add_argument("--json", action="store_true", help="records as JSON (wire form) instead of a table")
    args = parser.parse_args(argv)

    async def go() -> int:
        storage = open_storage(args.url, **parse_options(args.option))
        try:
            return await HANDLERS[args.what](storage, args)
        finally:
            await storage.close()

    return asyncio.run(go())
