"""The pytest plugin of the contract suite: ``pytest --pyargs mastra_core.testing --mastra-backend=<harness>``.

Registered through pytest's ``pytest11`` entry point (``mastra-contract``), so it loads in every pytest run of
an environment with mastra-core installed; it stays inert unless ``--mastra-backend`` is given: it then
finds the harness through the ``mastra_register_test_harnesses`` hook, sets up what the suite needs
(asyncio auto mode, the ``requires`` and ``slow`` markers, the hypothesis profile ``mastra-contract``),
and registers the suite's fixtures and collection hook (:class:`ContractSuite`). Nothing comes from the
project's pytest configuration, so the suite runs from any directory.

Fixtures: ``storage`` (fresh and initialised), its domain stores (``memory``, ``workflows``, ``scores``,
``observability``, ``agents``; None when absent), ``harness``, and ``make_storage(namespace=None, *, init=True,
**overrides)`` for extra storages (a TTL config, an un-initialised one, two on one namespace).

Tests mark what they need with ``@pytest.mark.requires("observability", ...)``; a backend whose
storage lacks one of those capabilities gets a strict xfail: a declared gap must really fail.
"""

from __future__ import annotations

import importlib.util
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..storage import Storage
    from .faults import ChaosProxy
    from .harness import Harness

#: The directory of the suite's test modules: only items collected from here are touched.
SUITE_DIR = Path(__file__).resolve().parent
#: The hypothesis settings profile the suite runs with unless ``--hypothesis-profile`` picks another.
PROFILE = "mastra-contract"
#: Examples per property test: a fixed budget, small enough for remote backends in CI.
MAX_EXAMPLES = 25
MARKERS = (
    "requires(*capabilities): the test needs these backend capabilities; a declared gap is a strict xfail",
    "slow: a test that sleeps or writes thousands of rows",
)
_SUITE_PLUGIN = "mastra-contract-suite"
#: The fault suite's module: collected only for harnesses that give it a service to proxy.
FAULT_MODULE = "test_faults.py"

#: ``make_storage(namespace=None, *, init=True, **overrides)`` as the fixture hands it out.
MakeStorage = Callable[..., Awaitable["Storage"]]


def pytest_addoption(parser: pytest.Parser) -> None:
    """The one option: which registered harness to run the suite against."""
    group = parser.getgroup("mastra", "mastra contract suite")
    group.addoption(
        "--mastra-backend", dest="mastra_backend", default=None, metavar="NAME",
        help="run the mastra contract suite (pytest --pyargs mastra_core.testing) against this registered harness",
    )


def _in_suite(item: pytest.Item) -> bool:
    return item.path.resolve().parent == SUITE_DIR


def _require_test_extras() -> None:
    missing = [m for m in ("pytest_asyncio", "hypothesis") if importlib.util.find_spec(m) is None]
    if missing:
        raise pytest.UsageError(f"the mastra contract suite needs {missing}: pip install 'mastra-core[testing]'")


def _register_hypothesis_profile(config: pytest.Config) -> None:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        PROFILE, max_examples=MAX_EXAMPLES, deadline=None, print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    if config.getoption("hypothesis_profile", None) is None:
        settings.load_profile(PROFILE)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """With ``--mastra-backend``: load the harness and set up the suite; otherwise do nothing."""
    name = config.getoption("mastra_backend")
    if name is None:
        return
    _require_test_extras()
    from .harness import UnknownHarnessError, load_harness

    try:
        harness = load_harness(str(name))
    except UnknownHarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    # The suite's tests and fixtures are plain ``async def``; an explicit --asyncio-mode still wins.
    if config.getoption("asyncio_mode", None) is None:
        config.option.asyncio_mode = "auto"
    # Without a project ini pytest-asyncio warns that the fixture loop scope is unset; the default it
    # then uses (each fixture's own scope, "function" for every fixture here) is what the suite wants.
    warnings.filterwarnings("ignore", message=r".*asyncio_default_fixture_loop_scope.*unset")
    _register_hypothesis_profile(config)
    config.pluginmanager.register(ContractSuite(harness), _SUITE_PLUGIN)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The suite's modules collected without ``--mastra-backend`` are a usage error; other tests are untouched."""
    if config.getoption("mastra_backend") is None and any(_in_suite(item) for item in items):
        from .harness import harness_names

        raise pytest.UsageError(
            "the mastra contract suite needs --mastra-backend=NAME; registered harnesses: "
            + (", ".join(harness_names()) or "none")
        )


class ContractSuite:
    """The suite's fixtures and collection hook, registered only when ``--mastra-backend`` is given."""

    def __init__(self, harness: Harness) -> None:
        self._harness = harness

    def pytest_report_header(self, config: pytest.Config) -> str:
        """Name the harness, its backend and the distribution that registered it."""
        h = self._harness
        return f"mastra contract suite: harness {h.name} (backend {h.backend_id}, from {h.distribution})"

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Declared gaps: a suite test requiring a capability the backend lacks becomes a strict xfail.

        The fault suite does not apply to a harness that did not opt in (no proxied service): its tests are
        deselected (reported as deselected, never as passed or skipped).
        """
        if not self._harness.supports_faults:
            faults = [item for item in items if _in_suite(item) and item.path.name == FAULT_MODULE]
            if faults:
                items[:] = [item for item in items if item not in faults]
                config.hook.pytest_deselected(items=faults)
        capabilities = self._harness.capabilities()
        for item in items:
            if not _in_suite(item):
                continue
            for mark in item.iter_markers("requires"):
                missing = [cap for cap in mark.args if cap not in capabilities]
                if missing:
                    reason = f"declared gap: {self._harness.backend_id} lacks {missing}"
                    item.add_marker(pytest.mark.xfail(strict=True, reason=reason))

    @pytest.fixture
    def harness(self) -> Harness:
        """The harness under test."""
        return self._harness

    @pytest.fixture
    async def make_storage(self, harness: Harness) -> AsyncIterator[MakeStorage]:
        """Build extra storages (e.g. with a TTL config) on fresh namespaces; all are closed after the test."""
        made: list[tuple[Storage, str]] = []

        async def make(namespace: str | None = None, *, init: bool = True, **overrides: Any) -> Storage:
            """A storage on ``namespace`` (default: a fresh one); ``init=False`` leaves it un-initialised.

            Two storages may share a namespace (two app instances on one database); it is cleaned up once.
            """
            ns = namespace or f"t{uuid.uuid4().hex[:12]}"
            storage = await harness.make_storage(ns, **overrides)
            made.append((storage, ns))
            if init:
                await storage.init()
            return storage

        yield make
        for storage, _ in made:
            await storage.close()
        for ns in dict.fromkeys(ns for _, ns in made):
            await harness.cleanup(ns)

    @pytest.fixture
    async def chaos(self, harness: Harness) -> AsyncIterator[ChaosProxy]:
        """A loopback chaos proxy in front of the harness's service (fault suite only)."""
        from .faults import ChaosProxy

        host, port = harness.fault_upstream()
        async with ChaosProxy(host, port) as proxy:
            yield proxy

    @pytest.fixture
    async def make_proxied(self, harness: Harness, chaos: ChaosProxy) -> AsyncIterator[MakeStorage]:
        """Build storages reaching the service through ``chaos`` (initialised); closed and cleaned up after."""
        made: list[tuple[Storage, str]] = []

        async def make(namespace: str | None = None, *, init: bool = True, **overrides: Any) -> Storage:
            ns = namespace or f"f{uuid.uuid4().hex[:12]}"
            storage = await harness.make_proxied_storage(ns, "127.0.0.1", chaos.port, **overrides)
            made.append((storage, ns))
            if init:
                await storage.init()
            return storage

        yield make
        chaos.heal()
        await chaos.resume_listening()
        for storage, _ in made:
            await storage.close()
        for ns in dict.fromkeys(ns for _, ns in made):
            await harness.cleanup(ns)

    @pytest.fixture
    async def storage(self, make_storage: MakeStorage) -> Storage:
        """A fresh, initialised storage on an empty namespace."""
        return await make_storage()

    @pytest.fixture
    def memory(self, storage: Storage) -> Any:
        """The storage's memory store."""
        return storage.get_store("memory")

    @pytest.fixture
    def workflows(self, storage: Storage) -> Any:
        """The storage's workflows store."""
        return storage.get_store("workflows")

    @pytest.fixture
    def scores(self, storage: Storage) -> Any:
        """The storage's scores store."""
        return storage.get_store("scores")

    @pytest.fixture
    def observability(self, storage: Storage) -> Any:
        """The storage's observability store (None when absent)."""
        return storage.get_store("observability")

    @pytest.fixture
    def agents(self, storage: Storage) -> Any:
        """The storage's agents store (None when absent)."""
        return storage.get_store("agents")
