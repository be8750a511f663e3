"""The distributions as users get them: wheels of mastra-core and mastra-upstash built from this checkout,
installed NON-editable into a fresh virtualenv, then ``mastra --version``, ``mastra backends`` and a round trip
on the real Redis (issue 13, item 7). Run by ``nox -s packaging``."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = {"mastra-core": ROOT / "core", "mastra-upstash": ROOT / "plugins/mastra-upstash"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    *(str(p) for p in DISTRIBUTIONS.values())], check=True)
    found = {p.name.split("-")[0].replace("_", "-"): p for p in out.glob("*.whl")}
    assert set(found) == set(DISTRIBUTIONS)
    return found


@pytest.fixture(scope="module")
def installed(wheels: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    subprocess.run([str(env_dir / "bin/python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    *(str(w) for w in wheels.values())], check=True)
    return env_dir


def _run(env_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(env_dir / "bin" / args[0]), *args[1:]], capture_output=True, text=True, env=env,
                          cwd=env_dir, check=False)


def test_every_wheel_ships_the_license_and_py_typed(wheels: dict[str, Path]) -> None:
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text
    for dist, wheel in wheels.items():
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            licenses = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
            assert licenses and zf.read(licenses[0]).decode() == license_text, dist
            package = dist.replace("-", "_")
            assert f"{package}/py.typed" in names, dist
            meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
            assert "License-Expression: Apache-2.0" in meta and "Classifier: Typing :: Typed" in meta
            assert "Project-URL: Documentation" in meta


def test_core_declares_an_extra_per_plugin(wheels: dict[str, Path]) -> None:
    with zipfile.ZipFile(wheels["mastra-core"]) as zf:
        meta = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    for extra in ("pg", "libsql", "mongodb", "dynamodb", "upstash", "memory"):
        assert f"Requires-Dist: mastra-{extra}; extra == '{extra}'" in meta


def test_installed_not_editable(installed: Path) -> None:
    out = _run(installed, "python", "-c", "import mastra_core, mastra_upstash; print(mastra_core.__file__); "
               "print(mastra_core.__version__, mastra_upstash.__version__)")
    assert out.returncode == 0, out.stderr
    path, versions = out.stdout.splitlines()
    assert path.startswith(str(installed)) and str(ROOT) not in path
    assert versions == "0.1.0 0.1.0"


def test_mastra_version_and_backends(installed: Path) -> None:
    version = _run(installed, "mastra", "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.splitlines() == ["mastra-core 0.1.0", "mastra-upstash 0.1.0"]
    backends = _run(installed, "mastra", "backends")
    assert backends.returncode == 0, backends.stderr
    assert "upstash" in backends.stdout and "inmemory" in backends.stdout


def test_a_round_trip_on_redis(installed: Path) -> None:
    url = os.environ["MASTRA_TEST_REDIS_URL"]
    prefix = f"wheeltest-{uuid.uuid4().hex[:8]}:"
    program = f"""
from mastra_core import Message, Thread
from mastra_core.sync import open_storage

with open_storage({url + "?prefix=" + prefix!r}) as storage:
    storage.memory.save_thread(thread=Thread(id="t1", resource_id="u1", title="hello"))
    storage.memory.save_messages(messages=[Message.from_text("hi", id="m1", thread_id="t1", resource_id="u1")])
    page = storage.memory.list_messages(thread_id="t1")
    print(page.total, page.items[0].text)
    storage.dangerously_clear_all()

import redis  # the store-wide sequence counter belongs to no domain, so a clear keeps it: the test owns the prefix
client = redis.Redis.from_url({url!r})
for key in client.scan_iter(match={prefix + "*"!r}):
    client.delete(key)
"""
    out = _run(installed, "python", "-c", program)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1 hi"
