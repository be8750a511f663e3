"""Stored agents: create (duplicate id refused), get, update (missing is NotFound), delete, list pages and order."""

from __future__ import annotations

import pytest

from mastra_core.clock import utc_now
from mastra_core.records import Agent

from .factories import raises_not_found, raises_validation, uid

pytestmark = pytest.mark.requires("agents")


def sample_agent(**kw) -> Agent:
    base = {
        "id": uid("agent-"),
        "name": "Test Agent",
        "instructions": "Be helpful",
        "model": {"provider": "openai", "name": "gpt-4o"},
    }
    base.update(kw)
    return Agent(**base)


def _ids(page) -> list[str]:
    return [a.id for a in page]


async def test_create_sets_timestamps_and_get_round_trips(agents) -> None:
    before = utc_now()
    agent = sample_agent(
        description="d",
        tools=["search", "calc"],
        default_options={"temperature": 0.2},
        workflows=["wf"],
        agents=["sub"],
        input_processors=[{"id": "p"}],
        output_processors=[{"id": "q"}],
        memory="mem-key",
        scorers={"relevance": {"sampling": {"type": "ratio", "rate": 0.5}}},
        metadata={"team": "x", "nested": {"n": None}},
    )
    created = await agents.create_agent(agent=agent)
    assert created.created_at >= before and created.updated_at == created.created_at
    got = await agents.get_agent_by_id(id=agent.id)
    assert got == created
    assert (got.tools, got.scorers, got.metadata) == (agent.tools, agent.scorers, agent.metadata)


async def test_create_from_wire_mapping(agents) -> None:
    aid = uid("agent-")
    created = await agents.create_agent(
        agent={"id": aid, "name": "N", "instructions": "I", "model": {"m": 1}, "defaultOptions": {"maxSteps": 3}}
    )
    assert created.default_options == {"maxSteps": 3}
    assert (await agents.get_agent_by_id(id=aid)).default_options == {"maxSteps": 3}


async def test_get_unknown_agent_is_none(agents) -> None:
    assert await agents.get_agent_by_id(id=uid()) is None


async def test_duplicate_id_is_refused_and_keeps_the_first(agents) -> None:
    agent = sample_agent(name="first")
    await agents.create_agent(agent=agent)
    with raises_validation(agents, "CREATE_AGENT", "ALREADY_EXISTS"):
        await agents.create_agent(agent=sample_agent(id=agent.id, name="second"))
    assert (await agents.get_agent_by_id(id=agent.id)).name == "first"


async def test_update_changes_fields_and_bumps_updated_at(agents) -> None:
    created = await agents.create_agent(agent=sample_agent())
    updated = await agents.update_agent(id=created.id, name="Renamed", instructions="New", metadata={"v": 2})
    assert (updated.name, updated.instructions, updated.metadata) == ("Renamed", "New", {"v": 2})
    assert updated.created_at == created.created_at
    assert updated.updated_at > created.updated_at
    assert updated.model == created.model
    assert await agents.get_agent_by_id(id=created.id) == updated


async def test_update_accepts_camel_case_names(agents) -> None:
    created = await agents.create_agent(agent=sample_agent())
    updated = await agents.update_agent(id=created.id, defaultOptions={"t": 1}, inputProcessors=[])
    assert (updated.default_options, updated.input_processors) == ({"t": 1}, [])


async def test_update_missing_agent_is_not_found(agents) -> None:
    missing = uid()
    with raises_not_found(agents, "UPDATE_AGENT"):
        await agents.update_agent(id=missing, name="x")
    assert await agents.get_agent_by_id(id=missing) is None


async def test_update_of_unknown_field_is_refused(agents) -> None:
    created = await agents.create_agent(agent=sample_agent())
    with raises_validation(agents, "UPDATE_AGENT", "INVALID_UPDATE"):
        await agents.update_agent(id=created.id, created_at=utc_now())
    assert await agents.get_agent_by_id(id=created.id) == created


async def test_delete(agents) -> None:
    a, b = await agents.create_agent(agent=sample_agent()), await agents.create_agent(agent=sample_agent())
    await agents.delete_agent(id=a.id)
    await agents.delete_agent(id=uid("missing-"))
    assert await agents.get_agent_by_id(id=a.id) is None
    assert _ids(await agents.list_agents()) == [b.id]


async def test_deleted_id_can_be_created_again(agents) -> None:
    a = await agents.create_agent(agent=sample_agent(name="one"))
    await agents.delete_agent(id=a.id)
    again = await agents.create_agent(agent=sample_agent(id=a.id, name="two"))
    assert (await agents.get_agent_by_id(id=a.id)) == again


async def test_list_newest_first_by_default(agents) -> None:
    made = [await agents.create_agent(agent=sample_agent()) for _ in range(4)]
    page = await agents.list_agents()
    assert _ids(page) == [a.id for a in reversed(made)]
    assert (page.total, page.per_page, page.has_more) == (4, 100, False)


async def test_list_ascending_and_by_updated_at(agents) -> None:
    made = [await agents.create_agent(agent=sample_agent()) for _ in range(3)]
    assert _ids(await agents.list_agents(order_by={"direction": "ASC"})) == [a.id for a in made]
    touched = await agents.update_agent(id=made[0].id, name="touched")
    by_update = (await agents.list_agents(order_by={"field": "updated_at"})).items
    stamps = [a.updated_at for a in by_update]
    assert stamps == sorted(stamps, reverse=True)
    assert touched.updated_at == stamps[0] and touched.updated_at > made[0].updated_at


@pytest.mark.parametrize(("page", "count", "has_more"), [(0, 2, True), (1, 2, True), (2, 1, False)])
async def test_list_pagination(agents, page: int, count: int, has_more: bool) -> None:
    made = [await agents.create_agent(agent=sample_agent()) for _ in range(5)]
    result = await agents.list_agents(page=page, per_page=2)
    assert (len(result), result.total, result.has_more) == (count, 5, has_more)
    assert _ids(result) == [a.id for a in reversed(made)][page * 2 : page * 2 + 2]


async def test_list_per_page_false(agents) -> None:
    for _ in range(3):
        await agents.create_agent(agent=sample_agent())
    result = await agents.list_agents(per_page=False)
    assert (len(result), result.total, result.per_page, result.has_more) == (3, 3, False, False)
