"""The ``mastra`` command: list backends, create or migrate a schema, prune, and run the demo.

``mastra <backend> ...`` hands the rest of the command line to the plugin's own ``cli(argv)`` (for
example ``mastra dynamodb create-table``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from .errors import StorageError
from .log import redact
from .tables import table

DEFAULT_URL = "file:./mastra.db"


def _backends(_: argparse.Namespace) -> int:
    from .registry import registry

    rows = []
    for info in sorted(registry().backends.values(), key=lambda i: i.id):
        domains = getattr(info.cls, "declared_domains", None) or _probe_domains(info.cls)
        rows.append([info.id, info.distribution, info.version, ", ".join(domains),
                     ", ".join(sorted(info.cls.extra_capabilities)), ", ".join(info.cls.url_schemes)])
    print(table("installed storage backends", ["id", "distribution", "version", "domains", "capabilities", "url schemes"], rows))
    reg = registry()
    if reg.vector_stores or reg.embedders:
        extra = [["vector store", k, d] for k, (_, d) in sorted(reg.vector_stores.items())]
        extra += [["embedder", k, d] for k, (_, d) in sorted(reg.embedders.items())]
        print("\n" + table("vector stores and embedders", ["kind", "id", "distribution"], extra))
    return 0


def _probe_domains(cls: Any) -> tuple[str, ...]:
    """Domains of a backend, read from an unconnected instance (construction does no I/O)."""
    import warnings

    for attempt in ({}, {"url": ":memory:"}):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return tuple(cls(id="probe", **attempt).domains)
        except Exception:  # needs real configuration: report nothing rather than guess
            continue
    return ()


async def _init(url: str) -> None:
    from .registry import open_storage

    storage = open_storage(url)
    try:
        await storage.init()
        print(f"initialised {storage!r}: domains {', '.join(storage.domains)}")
    finally:
        await storage.close()


async def _prune(url: str) -> None:
    from .registry import open_storage

    storage = open_storage(url)
    try:
        counts = await storage.prune()
        print(table("pruned expired records", ["domain", "deleted"], sorted(counts.items())))
    finally:
        await storage.close()


async def _demo(url: str) -> None:
    from .demo import run_demo
    from .registry import open_storage

    storage = open_storage(url)
    try:
        await run_demo(storage)
    finally:
        await storage.close()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mastra", description="Storage for AI-agent memory and state.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("backends", help="list installed backends, their domains and capabilities").set_defaults(fn=_backends)
    i = sub.add_parser("init", help="create or migrate the schema at URL")
    i.add_argument("url")
    i.set_defaults(fn=lambda a: asyncio.run(_init(a.url)) or 0)
    pr = sub.add_parser("prune", help="delete records whose TTL has passed")
    pr.add_argument("url")
    pr.set_defaults(fn=lambda a: asyncio.run(_prune(a.url)) or 0)
    d = sub.add_parser("demo", help=f"run the demo (default {DEFAULT_URL})")
    d.add_argument("--url", default=DEFAULT_URL, help="storage URL (file:, memory:, postgresql:, redis:, ...)")
    d.set_defaults(fn=lambda a: asyncio.run(_demo(a.url)) or 0)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] not in {"backends", "init", "prune", "demo", "-h", "--help"}:
        return _plugin_cli(args[0], args[1:])
    ns = _parser().parse_args(args)
    try:
        result: Any = ns.fn(ns)
        return int(result or 0)
    except StorageError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 2


def _plugin_cli(backend: str, argv: list[str]) -> int:
    """``mastra <backend> ...``: the plugin module ``mastra_<backend>.cli`` handles it."""
    try:
        module = importlib.import_module(f"mastra_{backend.replace('-', '_')}.cli")
    except ImportError:
        print(f"error: unknown command {backend!r}; commands: backends, init, prune, demo "
              f"(or a backend with its own commands, e.g. `mastra dynamodb create-table`)", file=sys.stderr)
        return 2
    try:
        return int(module.cli(argv) or 0)
    except StorageError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
