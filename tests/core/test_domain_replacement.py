"""A third-party distribution replaces one domain of a backend it does not own (issue 10, item 3).

``tests/fixtures/mastra-agents-audit`` is a real distribution (installed by the nox ``core`` session, found
through its ``mastra.storage`` entry point) whose plugin registers, through ``mastra_register_agents_stores``
with ``replace=True``, an agents store for the in-memory backend that behaves like the original and records
what it did. Without that distribution installed these tests fail: the proof must not be skipped away.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata

import pytest
from mastra_core import create_storage, registry
from mastra_core.inmemory.domains.agents import InMemoryAgents
from mastra_core.inmemory.domains.evals import InMemoryEvals
from mastra_core.inmemory.domains.memory import InMemoryMemory
from mastra_core.inmemory.domains.observability import InMemoryObservability
from mastra_core.inmemory.domains.scores import InMemoryScores
from mastra_core.inmemory.domains.traces import InMemoryTraces
from mastra_core.inmemory.domains.workflows import InMemoryWorkflows
from mastra_core.records import Agent
from mastra_core.registry import cache_clear

DIST = "mastra-agents-audit"
ORIGINALS = {"memory": InMemoryMemory, "workflows": InMemoryWorkflows, "scores": InMemoryScores,
             "observability": InMemoryObservability, "evals": InMemoryEvals, "traces": InMemoryTraces}


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    cache_clear()
    yield
    cache_clear()


def test_the_fixture_distribution_is_installed() -> None:
    eps = [ep for ep in metadata.entry_points(group="mastra.storage") if ep.name == DIST]
    assert eps, f"{DIST} is not installed: pip install tests/fixtures/{DIST} (the nox core session does)"
    assert eps[0].value == "mastra_agents_audit.plugin"


async def test_the_replacement_serves_agents_and_every_other_domain_is_the_original() -> None:
    from mastra_agents_audit import AuditedInMemoryAgents

    storage = create_storage("inmemory")
    await storage.init()
    agents = storage.get_store("agents")
    assert type(agents) is AuditedInMemoryAgents and isinstance(agents, InMemoryAgents)
    for domain, cls in ORIGINALS.items():
        assert type(storage.get_store(domain)) is cls, domain
    entry = registry.registry().domain_factories[("agents", "inmemory")]
    assert entry.distribution == DIST and entry.replace

    created = await agents.create_agent(agent=Agent(id="a1", name="Auditor", instructions="i", model={"p": "m"}))
    assert created.id == "a1"
    assert (await agents.get_agent_by_id(id="a1")) == created
    updated = await agents.update_agent(id="a1", name="Renamed")
    assert updated.name == "Renamed"
    page = await agents.list_agents()
    assert [a.id for a in page.items] == ["a1"] and page.total == 1
    await agents.delete_agent(id="a1")
    assert await agents.get_agent_by_id(id="a1") is None
    assert agents.counts == {"insert": 1, "get": 2, "modify": 1, "list": 1, "delete": 1}
    assert [op for op, _ in agents.log] == ["insert", "get", "modify", "list", "delete", "get"]
    await storage.close()


def test_disabling_the_distribution_restores_the_original(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTRA_DISABLE_PLUGINS", DIST)
    storage = create_storage("inmemory")
    assert type(storage.get_store("agents")) is InMemoryAgents
    assert registry.registry().domain_factories[("agents", "inmemory")].distribution == "mastra-core"
