"""Core's own ``mastra`` sub-commands (the skeleton): ``backends``, ``init URL``, ``prune URL``.

A built-in plugin (listed in :data:`mastra_core.plugins.BUILTIN_PLUGINS`): the commands are registered
through ``mastra_register_commands`` like any plugin's, so a plugin cannot silently take their names.
Each handler parses its own arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import asyncio

from .hookspecs import Register, hookimpl
from .plugins import registry
from .tables import table


def backends_command(argv: list[str]) -> int:
    """``mastra backends``: installed backends (id, distribution, version, domains, capabilities), vector stores
    and embedders."""
    argparse.ArgumentParser(prog="mastra backends", description=BACKENDS_HELP).parse_args(argv)
    reg = registry()
    rows = []
    for info in sorted(reg.backends.values(), key=lambda i: i.id):
        # a class may declare its domains; otherwise they are what was registered for it through the domain hooks
        domains = info.cls.declared_domains or reg.domains_of(info.id)
        rows.append([info.id, info.distribution, info.version, ", ".join(domains),
                     ", ".join(sorted(info.cls.extra_capabilities)), ", ".join(info.cls.url_schemes)])
    print(table("installed storage backends", ["id", "distribution", "version", "domains", "capabilities", "url schemes"],
                rows))
    if reg.vector_stores or reg.embedders:
        extra = [["vector store", k, d] for k, (_, d) in sorted(reg.vector_stores.items())]
        extra += [["embedder", k, d] for k, (_, d) in sorted(reg.embedders.items())]
        print("\n" + table("vector stores and embedders", ["kind", "id", "distribution"], extra))
    return 0


def _url_argument(prog: str, description: str, argv: list[str]) -> str:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("url", help="storage URL (memory:, file:..., postgresql://..., redis://...)")
    url: str = parser.parse_args(argv).url
    return url


async def _init(url: str) -> None:
    from .registry import open_storage

    storage = open_storage(url)
    try:
        await storage.init()
        print(f"initialised {storage!r}: domains {', '.join(storage.domains)}")
    finally:
        await storage.close()


def init_command(argv: list[str]) -> int:
    """``mastra init URL``: create or migrate the schema of the storage at URL."""
    asyncio.run(_init(_url_argument("mastra init", INIT_HELP, argv)))
    return 0


async def _prune(url: str) -> None:
    from .registry import open_storage

    storage = open_storage(url)
    try:
        counts = await storage.prune()
        print(table("pruned expired records", ["domain", "deleted"], sorted(counts.items())))
    finally:
        await storage.close()


def prune_command(argv: list[str]) -> int:
    """``mastra prune URL``: delete the records whose TTL has passed."""
    asyncio.run(_prune(_url_argument("mastra prune", PRUNE_HELP, argv)))
    return 0


BACKENDS_HELP = "list installed backends, their domains and capabilities"
INIT_HELP = "create or migrate the schema at URL"
PRUNE_HELP = "delete records whose TTL has passed"


@hookimpl
def mastra_register_commands(register: Register) -> None:
    """The skeleton commands every installation has."""
    register("backends", BACKENDS_HELP, backends_command)
    register("init", INIT_HELP, init_command)
    register("prune", PRUNE_HELP, prune_command)
