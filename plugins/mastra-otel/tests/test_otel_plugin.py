"""The distribution is a mastra plugin: its entry point loads cleanly (and imports nothing heavy)."""

from __future__ import annotations

import subprocess
import sys

from mastra_core.plugins import plugin_manager, registry


def test_the_entry_point_loads() -> None:
    plugin_manager.cache_clear()
    pm = plugin_manager()
    assert pm.get_plugin("mastra-otel") is not None
    registry()  # building the registry with the plugin installed raises nothing


def test_importing_the_package_is_light() -> None:
    code = ("import sys, mastra_otel, mastra_otel.plugin; "
            "print(sorted(m for m in ('agents', 'opentelemetry.sdk') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
