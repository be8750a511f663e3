"""The ``mastra copy | export | import`` handlers: argument parsing, progress bars (rich) and exit codes.

This is the only place (with the other ``*_cli`` modules) that imports rich: the library modules report
progress through plain callbacks.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mastra_core import Storage, open_storage
from mastra_core.log import redact

from .copy import Checkpoint, copy, count
from .dump import ImportLineError, export, import_lines
from .lanes import WORKERS
from .stream import DOMAINS, Selection, Source

COPY_HELP = "copy every record from SRC_URL to DST_URL (resumable, verified)"
EXPORT_HELP = "write every record of URL to stdout (or --output) as JSON Lines"
IMPORT_HELP = "import a JSON Lines dump into URL"


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs (values read as JSON when they parse: numbers, booleans, objects for ``ttl``)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: option {pair!r} is not key=value")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def selection_of(args: argparse.Namespace) -> Selection:
    """The domains (``--domains a,b``) and resource (``--resource``) chosen."""
    domains = tuple(d.strip() for d in args.domains.split(",") if d.strip()) if args.domains else DOMAINS
    try:
        Selection(domains=domains)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    return Selection(domains=tuple(d for d in DOMAINS if d in domains), resource_id=args.resource)


def _selection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--domains", help=f"comma-separated domains (default all: {','.join(DOMAINS)})")
    parser.add_argument("--resource", help="only this resource: its record, threads and messages")
    parser.add_argument("--page-size", type=int, default=1000, help="records per page read and written (1000)")


@contextmanager
def progress_bar(title: str, totals: dict[str, int | None], enabled: bool) -> Iterator[Callable[[str, int], None]]:
    """A rich progress display, one bar per record kind with its rate; a no-op callback when disabled."""
    if not enabled:
        yield lambda kind, n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    class Rate(TextColumn):
        """Records per second of a task."""

        def __init__(self) -> None:
            super().__init__("")

        def render(self, task: Any) -> Any:
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "", style="cyan")

    with Progress(TextColumn(f"{title} [bold]{{task.description}}"), BarColumn(), MofNCompleteColumn(), Rate(),
                  TimeElapsedColumn(), console=_console(), transient=False) as bar:
        tasks: dict[str, Any] = {}

        def advance(kind: str, n: int) -> None:
            if kind not in tasks:
                tasks[kind] = bar.add_task(kind, total=totals.get(kind))
            bar.advance(tasks[kind], n)

        yield advance


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _open(url: str, options: dict[str, Any]) -> Storage:
    return open_storage(url, **options)


def _open_source(url: str, options: dict[str, Any]) -> Source:
    """A storage, or for a ``mastra-ts+...`` URL the reference layout it names (read-only; see ``sources``)."""
    from .sources import is_source_url, open_source

    return open_source(url, options) if is_source_url(url) else _open(url, options)


def default_checkpoint(src: str, dst: str, selection: Selection) -> Path:
    """``.mastra-copy-<hash>.json`` in the working directory, one per (source, target, selection)."""
    key = json.dumps([src, dst, list(selection.domains), selection.resource_id])
    return Path(f".mastra-copy-{hashlib.sha256(key.encode()).hexdigest()[:12]}.json")


def copy_command(argv: list[str]) -> int:
    """``mastra copy SRC_URL DST_URL``: exit 0 when verified equal, 1 when a kind differs, 2 on errors."""
    parser = argparse.ArgumentParser(prog="mastra copy", description=COPY_HELP)
    parser.add_argument("src", help="storage URL to copy from (file:, postgresql:, mongodb:, dynamodb:, redis:...; "
                        "mastra-ts+dynamodb:, mastra-ts+upstash: for data written by Mastra TS)")
    parser.add_argument("dst", help="storage URL to copy into (any installed backend)")
    _selection_arguments(parser)
    parser.add_argument("--checkpoint", type=Path, help="checkpoint file (default .mastra-copy-<hash>.json)")
    parser.add_argument("--restart", action="store_true", help="ignore an existing checkpoint: start over")
    parser.add_argument("--no-verify", action="store_true", help="skip the count and checksum comparison")
    parser.add_argument("--src-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a config option of the source storage (e.g. schema_name=app, prefix=app:)")
    parser.add_argument("--dst-option", action="append", default=[], metavar="KEY=VALUE",
                        help='a config option of the target (e.g. ttl={"message":{"default_ttl_seconds":86400}})')
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help=f"threads whose messages are copied at once ({WORKERS}; each thread stays in order)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    selection = selection_of(args)
    path = args.checkpoint or default_checkpoint(args.src, args.dst, selection)
    try:
        checkpoint = Checkpoint.load_or_new(path, args.src, args.dst, selection, restart=args.restart)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_copy(args, selection, checkpoint))


async def _copy(args: argparse.Namespace, selection: Selection, checkpoint: Checkpoint) -> int:
    src = _open_source(args.src, parse_options(args.src_option))
    dst_options = parse_options(args.dst_option)
    retention = getattr(src, "retention", None)
    if "ttl" not in dst_options and retention is not None:
        # the target enforces expiry like the source (its TTL index, table attribute...); each record's own expiry
        # instant is then copied exactly
        dst_options["ttl"] = retention
    dst = _open(args.dst, dst_options)
    try:
        if checkpoint.finished and not args.restart:
            print(f"checkpoint {checkpoint.path} says this copy is finished; verifying (--restart copies again)",
                  file=sys.stderr)
        totals = await count(src, selection) if not args.quiet else {}
        started = time.perf_counter()
        with progress_bar("copy", totals, not args.quiet) as advance:
            result = await copy(src, dst, checkpoint, page_size=args.page_size, verify=not args.no_verify,
                                progress=advance, workers=args.workers)
        elapsed = time.perf_counter() - started
    finally:
        await src.close()
        await dst.close()
    messages = result.copied.get("message", 0)
    print(f"copied {sum(result.copied.values())} records ({messages} messages) from {redact(args.src)} to "
          f"{redact(args.dst)} in {elapsed:.1f}s ({messages / elapsed if elapsed else 0:,.0f} messages/s)"
          + (" (resumed)" if result.resumed else ""), file=sys.stderr)
    if result.source is None or result.target is None:
        return 0
    from mastra_core.tables import table

    rows = []
    for kind, s in result.source.items():
        t = result.target.get(kind)
        rows.append([kind, s.count, t.count if t else "-", s.as_json()["checksum"][:12],
                     t.as_json()["checksum"][:12] if t else "-", "ok" if s == t else "DIFFERENT"])
    print(table("verification", ["kind", "source", "target", "source checksum", "target checksum", ""], rows))
    if result.expiry_verified:
        print("checksums include each record's expiry (TTLs preserved)", file=sys.stderr)
    if result.mismatches:
        print(f"error: {', '.join(result.mismatches)} differ between source and target", file=sys.stderr)
        return 1
    return 0


def export_command(argv: list[str]) -> int:
    """``mastra export URL > dump.jsonl``."""
    parser = argparse.ArgumentParser(prog="mastra export", description=EXPORT_HELP)
    parser.add_argument("url", help="storage URL (file:, postgresql:, mongodb:, dynamodb:, redis:...)")
    _selection_arguments(parser)
    parser.add_argument("--output", "-O", type=Path, help="write here instead of stdout")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a config option")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    selection = selection_of(args)

    async def go() -> dict[str, int]:
        storage = _open_source(args.url, parse_options(args.option))
        try:
            with progress_bar("export", {}, not args.quiet) as advance:
                if args.output is None:
                    return await export(storage, sys.stdout, selection, args.page_size, advance)
                with args.output.open("w", encoding="utf-8") as fh:
                    return await export(storage, fh, selection, args.page_size, advance)
        finally:
            await storage.close()

    counts = asyncio.run(go())
    print("exported " + ", ".join(f"{n} {k}" for k, n in counts.items()), file=sys.stderr)
    return 0


def import_command(argv: list[str]) -> int:
    """``mastra import URL dump.jsonl`` (``-`` reads stdin); exit 1 on a malformed line."""
    parser = argparse.ArgumentParser(prog="mastra import", description=IMPORT_HELP)
    parser.add_argument("url", help="storage URL (file:, postgresql:, mongodb:, dynamodb:, redis:...)")
    parser.add_argument("file", help="the dump (JSON Lines; - for stdin)")
    parser.add_argument("--batch-size", type=int, default=1000, help="lines validated together before writing")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a config option")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    async def go(lines: Iterable[str]) -> dict[str, int]:
        storage = _open(args.url, parse_options(args.option))
        try:
            with progress_bar("import", {}, not args.quiet) as advance:
                return await import_lines(storage, lines, args.batch_size, advance)
        finally:
            await storage.close()

    try:
        if args.file == "-":
            counts = asyncio.run(go(sys.stdin))
        else:
            with open(args.file, encoding="utf-8") as fh:
                counts = asyncio.run(go(fh))
    except ImportLineError as exc:
        print(f"error: {args.file}: {exc} (nothing of its batch was written)", file=sys.stderr)
        return 1
    print("imported " + ", ".join(f"{n} {k}" for k, n in counts.items()), file=sys.stderr)
    return 0
