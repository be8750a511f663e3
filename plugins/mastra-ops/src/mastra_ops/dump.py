"""``export`` / ``import``: JSON Lines in the reference wire format, streamed both ways.

One record per line: ``{"domain": "memory", "kind": "message", "record": {...camelCase wire form...}}``.
A thread's line comes before its messages' lines (the reader's order), so an import writes a thread, its
messages, and the thread again (its ``updated_at`` as exported). Import reads a batch of lines, parses and
validates all of them, and writes the batch only when every line is good: a malformed line is an
:class:`ImportLineError` naming its line number, and nothing of its batch is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import IO, Any

from mastra_core import Storage
from mastra_core.serde import from_wire, to_wire

from .stream import KINDS, RECORD_TYPES, THREAD_END, Selection, Source, Writer, read_domain

_DOMAIN_OF = {kind: domain for domain, kinds in KINDS.items() for kind in kinds}


class ImportLineError(ValueError):
    """A line of a dump that is not a record: its 1-based number and why."""

    def __init__(self, line_no: int, reason: str) -> None:
        super().__init__(f"line {line_no}: {reason}")
        self.line_no = line_no
        self.reason = reason


async def export(
    storage: Source,
    out: IO[str],
    selection: Selection,
    page_size: int = 1000,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write every selected record to ``out`` as JSON Lines; returns the count per kind."""
    counts: dict[str, int] = {}
    for domain in selection.domains:
        async for chunk in read_domain(storage, domain, selection, None, page_size):
            if chunk.kind == THREAD_END:
                continue
            lines = [
                json.dumps(
                    {"domain": domain, "kind": chunk.kind, "record": to_wire(rec)},
                    ensure_ascii=False,
                    separators=(",", ":"),
                    default=str,
                )
                for rec in chunk.records
            ]
            out.write("".join(line + "\n" for line in lines))
            counts[chunk.kind] = counts.get(chunk.kind, 0) + len(lines)
            if progress is not None:
                progress(chunk.kind, len(lines))
    return counts


def parse_line(line_no: int, text: str) -> tuple[str, Any]:
    """``(kind, record)`` of one dump line, or :class:`ImportLineError`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportLineError(line_no, f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("record"), dict):
        raise ImportLineError(line_no, 'expected {"domain": ..., "kind": ..., "record": {...}}')
    kind = data.get("kind")
    if kind not in RECORD_TYPES:
        raise ImportLineError(line_no, f"unknown kind {kind!r}; kinds: {', '.join(RECORD_TYPES)}")
    if data.get("domain") != _DOMAIN_OF[kind]:
        raise ImportLineError(
            line_no, f"kind {kind!r} belongs to domain {_DOMAIN_OF[kind]!r}, not {data.get('domain')!r}"
        )
    try:
        record = from_wire(data["record"], RECORD_TYPES[kind])
    except Exception as exc:  # cattrs raises class groups of many kinds: each is a bad line
        detail = "; ".join(str(e) for e in getattr(exc, "exceptions", [exc]))
        raise ImportLineError(line_no, f"not a valid {kind}: {detail or type(exc).__name__}") from None
    return kind, record


async def import_lines(
    storage: Storage,
    lines: Iterable[str],
    batch_size: int = 1000,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Import a dump's lines into ``storage``; returns the count per kind written.

    Each batch of ``batch_size`` lines is parsed whole before any of it is written.
    """
    await storage.init()
    writer = Writer(storage)
    counts: dict[str, int] = {}
    batch: list[tuple[str, Any]] = []
    line_no = 0

    async def flush() -> None:
        run_kind: str | None = None
        run: list[Any] = []
        for kind, record in [*batch, ("", None)]:
            if kind != run_kind or kind == "thread":  # a thread opens a run of its own messages
                if run_kind is not None:
                    await writer.write(run_kind, run)
                    counts[run_kind] = counts.get(run_kind, 0) + len(run)
                    if progress is not None:
                        progress(run_kind, len(run))
                run_kind, run = kind, []
            run.append(record)
        batch.clear()

    for line_no, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        batch.append(parse_line(line_no, text))
        if len(batch) >= batch_size:
            await flush()
    await flush()
    await writer.finish()
    return counts
