"""Core's own ``mastra`` sub-commands (the skeleton): ``backends``, ``init URL``, ``prune URL``.

A built-in plugin (listed in :data:`mastra_core.plugins.BUILTIN_PLUGINS`): the commands are registered
through ``mastra_register_commands`` like any plugin's, so a plugin cannot silently take their names.
Each handler parses its own arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import TYPE_CHECKING, Any

from .hookspecs import Register, hookimpl
from .log import redact
from .plugins import registry
from .registry import URL_ENV
from .tables import table

if TYPE_CHECKING:
    from .storage import BackendStorage


def backends_command(argv: list[str]) -> int:
    """``mastra backends``: installed backends (id, distribution, version, domains, capabilities), vector stores
    and embedders."""
    argparse.ArgumentParser(
        prog="mastra backends",
        description=BACKENDS_HELP,
        epilog="install more: pip install mastra-<id> (from a checkout: pip install -e plugins/mastra-<id>)",
    ).parse_args(argv)
    reg = registry()
    rows = []
    for info in sorted(reg.backends.values(), key=lambda i: i.id):
        # a class may declare its domains; otherwise they are what was registered for it through the domain hooks
        domains = info.cls.declared_domains or reg.domains_of(info.id)
        rows.append(
            [
                info.id,
                info.distribution,
                info.version,
                ", ".join(domains),
                ", ".join(sorted(info.cls.extra_capabilities)),
                ", ".join(info.cls.url_schemes),
            ]
        )
    print(
        table(
            "installed storage backends",
            ["id", "distribution", "version", "domains", "capabilities", "url schemes"],
            rows,
        )
    )
    if reg.vector_stores or reg.embedders:
        extra = [["vector store", k, d] for k, (_, d) in sorted(reg.vector_stores.items())]
        extra += [["embedder", k, d] for k, (_, d) in sorted(reg.embedders.items())]
        print("\n" + table("vector stores and embedders", ["kind", "id", "distribution"], extra))
    return 0


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "url",
        nargs="?",
        default=None,
        help=f"storage URL: memory:, file:./agent.db (or a path), postgresql://user@host/db, "
        f"mongodb://host/db, dynamodb://host:port/table, redis://host:port/0; default: ${URL_ENV}",
    )
    return parser


def _open(url: str | None, **config: Any) -> BackendStorage:
    from .registry import open_storage

    return open_storage(url, **config)


def _where(storage: BackendStorage, url: str | None) -> str:
    return redact(url or os.environ.get(URL_ENV, "")) or storage.backend_id


async def _schema_before(url: str | None) -> tuple[int | None, list[str] | None]:
    """The recorded schema version and the changes ``init()`` is about to make, read without creating or migrating
    anything (None: the backend keeps no version / does not list its changes)."""
    from .connect import ConnectionFailedError
    from .storage import BackendStorage

    storage = _open(url, disable_init=True)
    try:
        plan = await storage.migration_plan()
        if type(storage).schema_version is BackendStorage.schema_version:
            return None, plan  # the backend keeps no version
        return await storage.schema_version(), plan
    except ConnectionFailedError as exc:
        if exc.reason == "database_missing":  # init creates it
            return 0, None
        raise
    finally:
        await storage.close()


def schema_report(before: int | None, after: int | None) -> str:
    """What ``init`` did to the schema, in words."""
    if after is None:
        return "schema: not versioned by this backend; init created whatever was missing"
    if not before:
        return f"schema: created at version {after}"
    if before < after:
        return f"schema: migrated from version {before} to {after}"
    return f"schema: version {after}, already current; nothing changed"


async def _init(url: str | None) -> None:
    before, changes = await _schema_before(url)
    storage = _open(url)
    try:
        await storage.init()
        after = await storage.schema_version()
        print(
            f"initialised {storage.backend_id} storage ({_where(storage, url)}): domains {', '.join(storage.domains)}"
        )
        print(schema_report(before, after))
        if changes:
            print(f"applied {len(changes)} change(s):")
            print("\n".join(f"  {line.splitlines()[0][:160]}" for line in changes))
    finally:
        await storage.close()


def init_command(argv: list[str]) -> int:
    """``mastra init [URL]``: connect (failing fast with the reason), then create or migrate the schema at URL."""
    asyncio.run(_init(_parser("mastra init", INIT_HELP).parse_args(argv).url))
    return 0


async def _prune(url: str | None, dry_run: bool) -> None:
    storage = _open(url)
    try:
        if dry_run:
            counts = await storage.count_expired()
            rows = [[d, "?" if n is None else n] for d, n in sorted(counts.items())]
            print(table("expired records (dry run: nothing deleted)", ["domain", "would delete"], rows))
            if any(n is None for n in counts.values()):
                print("?: this backend cannot count expired records without deleting them (or expires them itself)")
        else:
            deleted = await storage.prune()
            print(table("pruned expired records", ["domain", "deleted"], sorted(deleted.items())))
    finally:
        await storage.close()


def prune_command(argv: list[str]) -> int:
    """``mastra prune [URL] [--dry-run]``: delete the records whose TTL has passed (or count them)."""
    parser = _parser("mastra prune", PRUNE_HELP)
    parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
    args = parser.parse_args(argv)
    asyncio.run(_prune(args.url, args.dry_run))
    return 0


BACKENDS_HELP = "list installed backends, their domains and capabilities"
INIT_HELP = "connect to the storage at URL and create or migrate its schema (reports the schema version)"
PRUNE_HELP = "delete records whose TTL has passed (--dry-run counts them)"


@hookimpl
def mastra_register_commands(register: Register) -> None:
    """The skeleton commands every installation has."""
    register("backends", BACKENDS_HELP, backends_command)
    register("init", INIT_HELP, init_command)
    register("prune", PRUNE_HELP, prune_command)
