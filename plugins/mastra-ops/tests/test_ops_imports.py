"""rich is for the terminal only: the library (core, every backend, mastra-ops' library modules, the registry with
every command registered) never imports it."""

from __future__ import annotations

import subprocess
import sys

LIBRARY = ["mastra_core", "mastra_core.sync", "mastra_core.backend.expiry", "mastra_ops", "mastra_ops.copy",
           "mastra_ops.dump", "mastra_ops.stream", "mastra_ops.ttl", "mastra_ops.plugin", "mastra_ops.cli",
           "mastra_ops.doctor", "mastra_ops.migrate"]
BACKENDS = ["mastra_libsql", "mastra_pg", "mastra_mongodb", "mastra_dynamodb", "mastra_upstash", "mastra_mysql"]


def test_the_library_runs_without_importing_rich() -> None:
    """Importing core, every backend and the library modules, then copying and diagnosing through the library."""
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
        "import asyncio, tempfile, pathlib\n"
        "from mastra_core import open_storage\n"
        "from mastra_ops.copy import Checkpoint, copy\n"
        "from mastra_ops.doctor import diagnose\n"
        "from mastra_ops.seed import seed\n"
        "from mastra_ops.stream import Selection\n"
        "async def run():\n"
        "    src, dst = open_storage('memory:'), open_storage('memory:')\n"
        "    await seed(src, threads=1, messages=3)\n"
        "    cp = Checkpoint.load_or_new(pathlib.Path(tempfile.mkdtemp()) / 'cp.json', 'a', 'b', Selection())\n"
        "    assert (await copy(src, dst, cp)).mismatches == []\n"
        "    assert (await diagnose(dst)).findings\n"
        "    await src.migration_plan()\n"
        "asyncio.run(run())\n"
        "bad = sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_commands_are_listed_with_their_help() -> None:
    out = subprocess.run([sys.executable, "-m", "mastra_core.cli", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for name in ("copy", "export", "import"):
        assert name in out
