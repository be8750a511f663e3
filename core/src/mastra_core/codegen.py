"""Functions generated from source text: the per-record value checkers (:mod:`mastra_core.values`) and a backend's
per-table row codecs (``mastra_pg.codec``) are built this way, one straight-line function per record class instead
of a loop over a field plan on every call (see each builder for what it saves).

One place defines them so that each gets a file name of its own and its source in :mod:`linecache`, as attrs does
for the methods it generates: a traceback through generated code then shows the line that failed, not ``<string>``.
The builders put only attribute names (checked with ``str.isidentifier``) and fixed fragments into the text; every
value reaches the function through ``env``, never through the source.
"""

from __future__ import annotations

import itertools
import linecache
from typing import Any

_serial = itertools.count(1)


def define(name: str, lines: list[str], env: dict[str, Any], *, what: str) -> Any:
    """The function ``name`` that ``lines`` define, run with the globals ``env`` (which it is added to).

    ``what`` names it in tracebacks: ``<mastra generated {what} #n>``, its source kept in :mod:`linecache` for as
    long as the process runs (generated once per record class, so a handful).
    """
    source = "\n".join(lines) + "\n"
    filename = f"<mastra generated {what} #{next(_serial)}>"
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(code, env)  # (see the module docstring: names and fixed fragments only)
    return env[name]
