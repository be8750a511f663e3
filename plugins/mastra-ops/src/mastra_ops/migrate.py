"""``mastra migrate URL [--dry-run]``: show, then apply, the schema changes a storage needs, explicitly.

For teams that run migrations in a deploy step and start the application with ``disable_init=True``. The
plan comes from the backend's :meth:`~mastra_core.storage.Storage.migration_plan` (read on a storage built
with ``disable_init=True``, so showing it changes nothing); applying is the backend's
:meth:`~mastra_core.storage.Storage.apply_migrations` (its ``init()``; on DynamoDB also the table and its TTL), after
which the plan is read again and must be empty (comment lines, changes no tool applies, may remain).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from mastra_core import open_storage

MIGRATE_HELP = "show (--dry-run) or apply the schema migrations URL needs"


async def plan_of(url: str, options: dict[str, Any]) -> list[str] | None:
    """The pending changes of the storage at ``url`` (None: the backend does not describe them)."""
    storage = open_storage(url, disable_init=True, **options)
    try:
        return await storage.migration_plan()
    finally:
        await storage.close()


async def apply(url: str, options: dict[str, Any]) -> None:
    """Run the backend's migrations (:meth:`~mastra_core.storage.Storage.apply_migrations`)."""
    storage = open_storage(url, disable_init=False, **options)
    try:
        await storage.apply_migrations()
    finally:
        await storage.close()


def migrate_command(argv: list[str]) -> int:
    """``mastra migrate URL [--dry-run]``: 0 when the schema is (now) current, 1 when changes remain after applying."""
    parser = argparse.ArgumentParser(prog="mastra migrate", description=MIGRATE_HELP)
    parser.add_argument("url", help="storage URL (file:, postgresql:, mongodb:, dynamodb:, redis:...)")
    parser.add_argument("--dry-run", action="store_true", help="print the pending changes, apply nothing")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a config option")
    args = parser.parse_args(argv)
    from .cli import parse_options

    options = parse_options(args.option)
    pending = asyncio.run(plan_of(args.url, options))
    if pending is None:
        print("this backend does not list its migrations; " + (
            "`mastra migrate URL` (without --dry-run) applies them" if args.dry_run else "applying them"))
    elif not pending:
        print("the schema is current: nothing to do")
        return 0
    else:
        print(f"-- {len(pending)} pending change(s)")
        print("\n".join(stmt if stmt.startswith("--") else stmt.rstrip(";") + ";" for stmt in pending))
    if args.dry_run:
        return 0
    asyncio.run(apply(args.url, options))
    after = asyncio.run(plan_of(args.url, options))
    if after:
        print("\n".join(after), file=sys.stderr)
        print(f"error: {len(after)} change(s) still pending after migrating", file=sys.stderr)
        return 1
    print("-- migrated: the schema is current", file=sys.stderr)
    return 0
