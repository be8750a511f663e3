"""rich is for the terminal only: the library (core, every backend, mastra-ops' library modules, the registry with
every command registered) never imports it."""

from __future__ import annotations

import subprocess
import sys

LIBRARY = ["mastra_core", "mastra_core.sync", "mastra_ops", "mastra_ops.copy", "mastra_ops.dump", "mastra_ops.stream",
           "mastra_ops.plugin", "mastra_ops.cli"]
BACKENDS = ["mastra_libsql", "mastra_pg", "mastra_mongodb", "mastra_dynamodb", "mastra_upstash", "mastra_mysql"]


def test_importing_the_library_and_every_backend_does_not_import_rich() -> None:
    code = (
        "import importlib, importlib.util, sys\n"
        f"for m in {LIBRARY + BACKENDS!r}:\n"
        "    if importlib.util.find_spec(m) is not None:\n"
        "        importlib.import_module(m)\n"
        "from mastra_core.plugins import registry\n"
        "reg = registry()\n"
        "assert 'copy' in reg.commands, sorted(reg.commands)\n"
        "for info in reg.backends.values():\n"
        "    info.cls\n"
        "bad = sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_commands_are_listed_with_their_help() -> None:
    out = subprocess.run([sys.executable, "-m", "mastra_core.cli", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for name in ("copy", "export", "import"):
        assert name in out
