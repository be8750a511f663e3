"""The ``mastra`` command: a dispatcher over the sub-commands registered through ``mastra_register_commands``.

Core registers the skeleton (``backends``, ``init``, ``prune``: :mod:`mastra_core.commands`); installed
plugins add theirs (mastra-memory ``demo``, mastra-dynamodb ``dynamodb``...). ``mastra --help`` lists
every registered command with its help; ``mastra <name> ARGS...`` hands ``ARGS`` to its handler.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata

from .connect import ConnectionFailedError
from .errors import ErrorCategory, StorageError
from .log import redact
from .plugins import CORE_DISTRIBUTION, ENTRY_POINT_GROUP, Command, registry

DESCRIPTION = "Storage for AI-agent memory and state."


def _parser(commands: Mapping[str, Command]) -> argparse.ArgumentParser:
    """The top-level parser, used for ``--help`` and usage only: each handler parses its own arguments."""
    parser = argparse.ArgumentParser(prog="mastra", description=DESCRIPTION,
                                     epilog="`mastra <command> --help` shows the options of one command. "
                                     + EXIT_CODES_HELP)
    parser.add_argument("-V", "--version", action="store_true",
                        help="print the versions of mastra-core and of every installed plugin")
    sub = parser.add_subparsers(title="commands", metavar="<command>")
    for name in sorted(commands):
        sub.add_parser(name, help=commands[name].help)
    return parser


#: Exit codes, one per kind of failure (also listed in ``mastra --help``).
EXIT_OK = 0
EXIT_USAGE = 2  # a wrong command line (argparse uses 2 too)
EXIT_CONFIG = 3  # a wrong URL or option, an unknown backend, missing credentials: fix the call
EXIT_CONNECT = 4  # the database could not be reached or refused the login
EXIT_DATABASE = 5  # the database or its driver failed an operation
EXIT_INTERNAL = 6  # a broken plugin or a bug
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES_HELP = (f"exit codes: {EXIT_OK} ok, 1 the command's own failure, {EXIT_USAGE} usage, {EXIT_CONFIG} "
                   f"configuration, {EXIT_CONNECT} cannot connect, {EXIT_DATABASE} database error, {EXIT_INTERNAL} "
                   f"plugin or internal error, {EXIT_INTERRUPTED} interrupted")


def exit_code(error: StorageError) -> int:
    """The exit code for ``error``: its kind decides (see :data:`EXIT_CODES_HELP`)."""
    if isinstance(error, ConnectionFailedError):
        return EXIT_CONNECT
    if error.category is ErrorCategory.USER:
        return EXIT_CONFIG
    if error.category is ErrorCategory.THIRD_PARTY:
        return EXIT_DATABASE
    return EXIT_INTERNAL


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"error: {redact(message)}", file=sys.stderr)
    return code


def versions() -> list[tuple[str, str]]:
    """``(distribution, version)`` of mastra-core and of every installed plugin distribution."""
    try:
        found = {CORE_DISTRIBUTION: metadata.version(CORE_DISTRIBUTION)}
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        found = {CORE_DISTRIBUTION: "0+unknown"}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.dist is not None:
            found.setdefault(ep.dist.name, ep.dist.version)
    return [(CORE_DISTRIBUTION, found.pop(CORE_DISTRIBUTION)), *sorted(found.items())]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mastra ARGS``; returns the exit code (see :data:`EXIT_CODES_HELP`); never a traceback for a
    storage error or Ctrl-C."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(args: list[str]) -> int:
    if args and args[0] in {"-V", "--version"}:
        print("\n".join(f"{dist} {version}" for dist, version in versions()))
        return EXIT_OK
    try:
        commands = registry().commands
    except StorageError as exc:  # a broken plugin: say which, and how to skip it
        return _fail(str(exc), exit_code(exc))
    if not args or args[0] in {"-h", "--help"}:
        parser = _parser(commands)
        if not args:
            parser.print_usage(sys.stderr)
            return _fail("a command is required; `mastra --help` lists them")
        parser.print_help()
        return EXIT_OK
    name, rest = args[0], args[1:]
    command = commands.get(name)
    if command is None:
        return _fail(f"unknown command {name!r}; commands: {', '.join(sorted(commands))} "
                     "(plugins add theirs: `pip install mastra-memory` adds `mastra demo`; from a checkout of this "
                     "repository: `pip install -e plugins/mastra-memory`)")
    try:
        return int(command.handler(rest) or 0)
    except StorageError as exc:
        return _fail(str(exc), exit_code(exc))


if __name__ == "__main__":
    raise SystemExit(main())
