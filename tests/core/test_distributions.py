"""Every distribution of the checkout is ready to publish: the root LICENSE shipped in each, py.typed, classifiers,
project URLs, and its version in one place (pyproject.toml; ``__version__`` read from the installed metadata)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = [ROOT / "core", *sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))]


@pytest.mark.parametrize("path", DISTRIBUTIONS, ids=[p.name for p in DISTRIBUTIONS])
def test_distribution_metadata(path: Path) -> None:
    project = tomllib.loads((path / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert (path / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    assert "Typing :: Typed" in project["classifiers"] and project["urls"]
    assert "dynamic" not in project or "version" not in project["dynamic"]
    packages = list((path / "src").glob("mastra_*"))
    assert packages and all((p / "py.typed").exists() for p in packages)
    for package in packages:
        init = (package / "__init__.py").read_text()
        assert not re.search(r"^__version__ = [\"']", init, re.M), f"{package.name}: version hard-coded"


def test_core_has_an_extra_per_backend_plugin() -> None:
    extras = tomllib.loads((ROOT / "core/pyproject.toml").read_text())["project"]["optional-dependencies"]
    for path in DISTRIBUTIONS[1:]:
        name = tomllib.loads((path / "pyproject.toml").read_text())["project"]["name"]
        assert [name] == extras[name.removeprefix("mastra-")]
