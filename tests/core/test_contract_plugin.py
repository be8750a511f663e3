"""The contract suite as an installed pytest plugin: run from an empty directory, inert without its option.

Each test runs pytest in a subprocess from a fresh temporary directory (no project configuration), the
way a backend published elsewhere runs ``pytest --pyargs mastra_core.testing --mastra-backend=NAME``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mastra_core.registry import cache_clear
from mastra_core.testing.harness import UnknownHarnessError, harness_names, load_harness

#: A third-party plugin in miniature: a backend lacking the agents domain, and its harness (``module:attr``).
GAPPED_PLUGIN = '''
from mastra_core import create_storage
from mastra_core.hookspecs import hookimpl
from mastra_core.inmemory import InMemoryStore
from mastra_core.inmemory.domains.memory import InMemoryMemory
from mastra_core.inmemory.domains.scores import InMemoryScores
from mastra_core.inmemory.domains.workflows import InMemoryWorkflows


class GappedStore(InMemoryStore):
    backend_id = "gapped"
    declared_domains = ("memory", "workflows", "scores")


class Harness:
    BACKEND_ID = "gapped"

    async def make_storage(self, namespace, **overrides):
        return create_storage("gapped", id=f"gapped-{namespace}", **overrides)


HARNESS = Harness()


@hookimpl
def mastra_register_backends(register):
    register(GappedStore)


@hookimpl
def mastra_register_memory_stores(register):
    register("gapped", InMemoryMemory.factory())


@hookimpl
def mastra_register_workflows_stores(register):
    register("gapped", InMemoryWorkflows.factory())


@hookimpl
def mastra_register_scores_stores(register):
    register("gapped", InMemoryScores.factory())


@hookimpl
def mastra_register_test_harnesses(register):
    register("gapped", "mastra_gapped_plugin:HARNESS")
'''


def run_pytest(cwd: Path, *args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(pythonpath), env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture
def gapped_plugin(tmp_path: Path) -> Path:
    """A directory holding an installed-looking distribution (dist-info + entry point) with the gapped harness."""
    site = tmp_path / "site"
    site.mkdir()
    dist = site / "mastra_gapped-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mastra-gapped\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[mastra.storage]\nmastra-gapped = mastra_gapped_plugin\n")
    (site / "mastra_gapped_plugin.py").write_text(GAPPED_PLUGIN)
    return site


def test_the_suite_runs_from_an_empty_directory(tmp_path: Path) -> None:
    out = run_pytest(tmp_path, "--pyargs", "mastra_core.testing", "--mastra-backend=inmemory", "-q",
                     "-k", "test_smoke or test_properties")
    assert out.returncode == 0, out.stdout + out.stderr
    assert " passed" in out.stdout and "warning" not in out.stdout.lower()


def test_declared_gaps_are_strict_xfails_for_a_harness_registered_by_a_third_party(
        tmp_path: Path, gapped_plugin: Path) -> None:
    out = run_pytest(tmp_path, "--pyargs", "mastra_core.testing", "--mastra-backend=gapped", "-rxX",
                     "-k", "test_smoke or test_agents", pythonpath=gapped_plugin)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "mastra contract suite: harness gapped (backend gapped, from mastra-gapped)" in out.stdout
    assert "declared gap: gapped lacks ['agents']" in out.stdout
    assert " xfailed" in out.stdout and "xpassed" not in out.stdout


def test_an_unknown_harness_lists_the_registered_ones(tmp_path: Path) -> None:
    out = run_pytest(tmp_path, "--pyargs", "mastra_core.testing", "--mastra-backend=nosuch")
    assert out.returncode == pytest.ExitCode.USAGE_ERROR
    assert "no contract-suite harness 'nosuch' is registered; registered harnesses:" in out.stderr
    assert "inmemory" in out.stderr


def test_the_plugin_is_inert_without_its_option(tmp_path: Path) -> None:
    (tmp_path / "test_other.py").write_text(textwrap.dedent("""
        async def test_async_stays_unsupported_in_strict_mode():
            pass

        def test_uses_storage(storage):
            pass
    """))
    out = run_pytest(tmp_path, "-rA", "test_other.py")
    assert "fixture 'storage' not found" in out.stdout  # the suite's fixtures are not offered to other tests
    assert "async def functions are not natively supported" in out.stdout  # asyncio mode left as configured
    assert "mastra contract suite" not in out.stdout
    # Collecting the suite's own modules without the option is a usage error naming the option.
    out = run_pytest(tmp_path, "--pyargs", "mastra_core.testing")
    assert out.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--mastra-backend=NAME" in out.stderr


def test_harnesses_load_lazily_by_dotted_name() -> None:
    cache_clear()
    try:
        assert "inmemory" in harness_names()
        harness = load_harness("inmemory")
        assert harness.backend_id == "inmemory" and harness.distribution == "mastra-core"
        assert {"memory", "workflows", "scores", "agents"} <= harness.capabilities()
        with pytest.raises(UnknownHarnessError, match="registered harnesses: .*inmemory"):
            load_harness("nosuch")
    finally:
        cache_clear()
