"""``mastra doctor URL``: is this storage healthy? Each finding has a severity and a fix; the exit code follows the
worst severity (0 ok/info, 1 warning, 2 error); ``--json`` for scripts.

Generic checks live here (connectivity, round-trip latency, the schema answering, record counts per domain,
TTL rules); server-specific ones come from the backend's :meth:`~mastra_core.storage.Storage.diagnose`
(server version and features, keys and indexes, eviction policy, topology, the table's TTL attribute).
The storage is opened with ``disable_init=True``: a doctor looks, it never creates or migrates anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import attrs
from mastra_core import Storage, open_storage
from mastra_core.diagnostics import SEVERITIES, Finding
from mastra_core.errors import SchemaNotReadyError, StorageError
from mastra_core.storage import BackendStorage

from .copy import count
from .stream import Selection

DOCTOR_HELP = "check a storage: connectivity, latency, server features, schema, indexes, TTL, counts"
PROBE_ID = "__mastra_doctor_probe__"


@attrs.define
class Report:
    """Everything ``doctor`` found."""

    findings: list[Finding]
    latency_ms: float | None = None
    counts: dict[str, int | None] = attrs.field(factory=dict)

    @property
    def worst(self) -> str:
        """The most serious severity found."""
        return max((f.severity for f in self.findings), key=SEVERITIES.index, default="ok")

    @property
    def exit_code(self) -> int:
        """0 for ok/info, 1 for a warning, 2 for an error."""
        return {"ok": 0, "info": 0, "warning": 1, "error": 2}[self.worst]

    def as_json(self) -> dict[str, Any]:
        """The report as plain data."""
        return {
            "worst": self.worst,
            "latencyMs": self.latency_ms,
            "counts": self.counts,
            "findings": [attrs.asdict(f) for f in self.findings],
        }


async def diagnose(storage: Storage, *, counts: bool = True, samples: int = 5) -> Report:
    """Run every check against an open (not yet initialised) storage."""
    findings: list[Finding] = []
    started = time.perf_counter()
    try:
        await storage.init()
    except SchemaNotReadyError as exc:  # connected (or a file that is not there yet): the schema is the finding
        findings.append(Finding(check="schema.pending", severity="error", message=_first_line(exc),
                                fix="mastra migrate URL (--dry-run shows the changes)"))
        backend = await _backend(storage)
        return Report(findings + backend + await _schema(storage, backend, ready=False))
    except Exception as exc:  # any failure to connect is the finding
        return Report(
            [
                Finding(
                    check="connect",
                    severity="error",
                    message=f"cannot connect: {_first_line(exc)}",
                    fix="check the URL, credentials, network and that the server is running",
                )
            ]
        )
    findings.append(
        Finding(check="connect", severity="ok", message=f"connected in {(time.perf_counter() - started) * 1000:.0f} ms")
    )
    latency: float | None = None
    try:
        times = []
        for _ in range(samples):
            t = time.perf_counter()
            await storage.memory.get_thread_by_id(thread_id=PROBE_ID)
            times.append((time.perf_counter() - t) * 1000)
        latency = statistics.median(times)
        findings.append(
            Finding(
                check="latency",
                severity="ok" if latency < 50 else "warning",
                message=f"round trip (get_thread_by_id) p50 {latency:.1f} ms over {samples}",
                fix="" if latency < 50 else "run the application close to the database",
            )
        )
    except StorageError as exc:
        findings.append(
            Finding(
                check="schema.reachable",
                severity="error",
                message=f"the memory tables do not answer: {_first_line(exc)}",
                fix="create the schema: mastra migrate URL (or mastra init URL)",
            )
        )
        return Report(findings + await _backend(storage))
    backend = await _backend(storage)
    findings += backend + await _schema(storage, backend, ready=True) + await _expired(storage)
    retention = getattr(storage, "retention", None)  # a BackendStorage's TTL rules (a composed Storage has none)
    for entity, rule in sorted(retention.rules.items() if retention is not None else []):
        if rule.active:
            findings.append(
                Finding(
                    check="ttl.rule",
                    severity="info",
                    message=f"{entity} records expire {rule.default_ttl_seconds}s after their last write",
                )
            )
    report = Report(findings, latency)
    if counts:
        try:
            report.counts = await count(storage, Selection())
        except StorageError as exc:
            findings.append(Finding(check="counts", severity="warning", message=f"counting failed: {exc}"))
    return report


async def _schema(storage: Storage, backend: list[Finding], *, ready: bool) -> list[Finding]:
    """Schema version and pending migrations, for every backend (where its own checks did not say already)."""
    out: list[Finding] = []
    said = {f.check for f in backend}
    try:
        pending = await storage.migration_plan()
        version = await storage.schema_version() if isinstance(storage, BackendStorage) else None
    except Exception as exc:  # reported, the rest of the report still shows
        return [Finding(check="schema.version", severity="warning",
                        message=f"cannot read the schema: {_first_line(exc)}")]
    if "schema.version" not in said:
        if version is None:
            out.append(Finding(check="schema.version", severity="info",
                               message="this backend records no schema version"))
        elif version == 0:
            out.append(Finding(check="schema.version", severity="error", message="no mastra schema here yet",
                               fix="mastra migrate URL"))
        else:
            out.append(Finding(check="schema.version", severity="ok", message=f"schema version {version}"))
    if pending is None:
        out.append(Finding(check="schema.migrations", severity="info",
                           message="this backend does not list migrations"))
    elif not pending:
        out.append(Finding(check="schema.migrations", severity="ok", message="no pending migrations"))
    elif ready:  # (not ready: schema.pending says it already)
        shown = "; ".join(p.splitlines()[0][:120] for p in pending[:3]) + (" ..." if len(pending) > 3 else "")
        out.append(Finding(check="schema.migrations", severity="warning",
                           message=f"{len(pending)} pending change(s): {shown}",
                           fix="mastra migrate URL (--dry-run shows the changes)"))
    return out


async def _expired(storage: Storage) -> list[Finding]:
    """Expired records still stored (backends that delete them only on ``prune``)."""
    try:
        counts = await storage.count_expired()
    except Exception as exc:  # advice only
        return [Finding(check="ttl.prune", severity="info",
                        message=f"cannot count expired records: {_first_line(exc)}")]
    waiting = sum(n for n in counts.values() if n)
    unknown = sorted(d for d, n in counts.items() if n is None)
    if not waiting and unknown:
        return [Finding(check="ttl.prune", severity="info",
                        message=f"this backend cannot count expired records of {', '.join(unknown)} without deleting "
                        "them", fix="mastra prune URL regularly where the backend does not expire records itself")]
    if not waiting:
        return [Finding(check="ttl.prune", severity="ok", message="no expired records waiting to be pruned")]
    per = ", ".join(f"{d} {n}" for d, n in sorted(counts.items()) if n)
    return [Finding(check="ttl.prune", severity="warning",
                    message=f"{waiting} expired record(s) still stored ({per}); reads hide them",
                    fix="mastra prune URL (schedule it: this backend does not delete expired records itself)")]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def _backend(storage: Storage) -> list[Finding]:
    try:
        return await storage.diagnose()
    except Exception as exc:  # a probe that fails is reported, the rest of the report still shows
        return [
            Finding(
                check="backend.probe", severity="warning", message=f"the backend's checks failed: {_first_line(exc)}"
            )
        ]


def doctor_command(argv: list[str]) -> int:
    """``mastra doctor URL [--json] [--no-counts]``; the exit code is the worst severity's."""
    parser = argparse.ArgumentParser(prog="mastra doctor", description=DOCTOR_HELP)
    parser.add_argument("url", help="storage URL (file:, postgresql:, mongodb:, dynamodb:, redis:...)")
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    parser.add_argument("--no-counts", action="store_true", help="skip counting records (large stores)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a config option")
    args = parser.parse_args(argv)
    from .cli import parse_options

    async def go() -> Report:
        storage = open_storage(args.url, disable_init=True, **parse_options(args.option))
        try:
            return await diagnose(storage, counts=not args.no_counts)
        finally:
            await storage.close()

    report = asyncio.run(go())
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
        return report.exit_code
    from rich.console import Console
    from rich.table import Table

    style = {"ok": "green", "info": "blue", "warning": "yellow", "error": "bold red"}
    table = Table(title=f"mastra doctor: {report.worst}")
    for h in ("severity", "check", "finding", "fix"):
        table.add_column(h, overflow="fold")
    for f in sorted(report.findings, key=lambda f: -SEVERITIES.index(f.severity)):
        table.add_row(f"[{style[f.severity]}]{f.severity}[/]", f.check, f.message, f.fix)
    console = Console()
    console.print(table)
    if report.counts:
        console.print("records: " + ", ".join(f"{k} {'?' if v is None else v}" for k, v in report.counts.items()))
    return report.exit_code
