"""The ``mastra`` command: a dispatcher over the sub-commands registered through ``mastra_register_commands``.

Core registers the skeleton (``backends``, ``init``, ``prune``: :mod:`mastra_core.commands`); installed
plugins add theirs (mastra-memory ``demo``, mastra-dynamodb ``dynamodb``...). ``mastra --help`` lists
every registered command with its help; ``mastra <name> ARGS...`` hands ``ARGS`` to its handler.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from .errors import StorageError
from .log import redact
from .plugins import Command, registry

DESCRIPTION = "Storage for AI-agent memory and state."


def _parser(commands: Mapping[str, Command]) -> argparse.ArgumentParser:
    """The top-level parser, used for ``--help`` and usage only: each handler parses its own arguments."""
    parser = argparse.ArgumentParser(prog="mastra", description=DESCRIPTION,
                                     epilog="`mastra <command> --help` shows the options of one command.")
    sub = parser.add_subparsers(title="commands", metavar="<command>")
    for name in sorted(commands):
        sub.add_parser(name, help=commands[name].help)
    return parser


def _fail(message: str) -> int:
    print(f"error: {redact(message)}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mastra ARGS``; returns the exit code (2 for an unknown command or a storage error)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        commands = registry().commands
    except StorageError as exc:  # a broken plugin: say which, and how to skip it
        return _fail(str(exc))
    if not args or args[0] in {"-h", "--help"}:
        parser = _parser(commands)
        if not args:
            parser.print_usage(sys.stderr)
            return _fail("a command is required; `mastra --help` lists them")
        parser.print_help()
        return 0
    name, rest = args[0], args[1:]
    command = commands.get(name)
    if command is None:
        return _fail(f"unknown command {name!r}; commands: {', '.join(sorted(commands))} "
                     "(plugins add theirs: `pip install mastra-memory` adds `mastra demo`)")
    try:
        return int(command.handler(rest) or 0)
    except StorageError as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    raise SystemExit(main())
