"""The entry point loads cleanly, registers nothing, and loading it imports neither LangChain nor a driver."""

from __future__ import annotations

import subprocess
import sys


def test_entry_point_loads_without_importing_langchain() -> None:
    code = (
        "import sys\n"
        "from mastra_core.plugins import plugin_manager\n"
        "pm = plugin_manager()\n"
        "plugin = pm.get_plugin('mastra-langchain')\n"
        "assert plugin is not None and plugin.__name__ == 'mastra_langchain.plugin', plugin\n"
        "assert not pm.get_hookcallers(plugin), 'registers nothing'\n"
        "assert 'langchain_core' not in sys.modules\n"
        "import mastra_langchain\n"
        "assert 'langchain_core' not in sys.modules\n"
        "assert mastra_langchain.MastraChatMessageHistory.__module__ == 'mastra_langchain.history'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
