"""MastraSession against every backend: the SDK's Session protocol, order, limits, pop, clear, persistence."""

from __future__ import annotations

from typing import Any

from agents.memory.session import Session
from mastra_core import Storage
from mastra_core import records as r
from mastra_openai_agents import MastraSession
from openai_agents_items import ITEMS


def _items(n: int, prefix: str = "m") -> list[Any]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": f"{prefix}{i}"} for i in range(n)]


async def test_it_is_an_sdk_session(storage: Storage) -> None:
    session = MastraSession("s", storage)
    assert isinstance(session, Session)
    assert session.session_settings is not None and session.session_settings.limit is None
    assert await session.get_items() == []
    assert await session.pop_item() is None
    await session.clear_session()  # nothing stored yet: fine


async def test_every_item_kind_round_trips_through_the_backend(storage: Storage) -> None:
    session = MastraSession("all-kinds", storage)
    items = [ITEMS[name] for name in sorted(ITEMS)]
    await session.add_items(items)
    assert await session.get_items() == items
    # a new session object (another process, say) reads the same history
    assert await MastraSession("all-kinds", storage).get_items() == items


async def test_order_is_kept_across_calls_and_limit_returns_the_newest(storage: Storage) -> None:
    session = MastraSession("s", storage)
    items = _items(12)
    for start in range(0, 12, 3):  # four calls that usually land in the same millisecond
        await session.add_items(items[start:start + 3])
    await session.add_items([])
    assert await session.get_items() == items
    assert await session.get_items(limit=5) == items[-5:]
    assert await session.get_items(limit=100) == items
    assert await session.get_items(limit=0) == []
    assert await session.get_items(limit=-1) == items


async def test_a_new_session_object_appends_after_the_stored_history(storage: Storage) -> None:
    await MastraSession("s", storage).add_items(_items(3, "a"))
    later = MastraSession("s", storage)
    await later.get_items(1)
    await later.add_items(_items(3, "b"))
    assert await later.get_items() == _items(3, "a") + _items(3, "b")


async def test_session_settings_limit_is_the_default_limit(storage: Storage) -> None:
    session = MastraSession("s", storage, session_settings={"limit": 2})
    await session.add_items(_items(5))
    assert await session.get_items() == _items(5)[-2:]
    assert await session.get_items(limit=4) == _items(5)[-4:]


async def test_pop_item_removes_the_newest(storage: Storage) -> None:
    session = MastraSession("s", storage)
    items = [ITEMS["user text"], ITEMS["function call compact"], ITEMS["function output"], ITEMS["reasoning"]]
    await session.add_items(items)
    assert await session.pop_item() == items[3]
    assert await session.pop_item() == items[2]
    assert await session.get_items() == items[:2]
    await session.add_items([ITEMS["assistant output"]])
    assert await session.get_items() == [*items[:2], ITEMS["assistant output"]]
    assert await session.pop_item() == ITEMS["assistant output"]
    assert await session.pop_item() == items[1]
    assert await session.pop_item() == items[0]
    assert await session.pop_item() is None


async def test_clear_session_empties_it_and_keeps_the_thread(storage: Storage) -> None:
    session = MastraSession("s", storage, resource_id="user-1", title="Weather", metadata={"app": "demo"})
    await session.add_items(_items(4))
    await session.clear_session()
    assert await session.get_items() == []
    thread = await storage.memory.get_thread_by_id(thread_id="s")
    assert thread is not None
    assert (thread.resource_id, thread.title, thread.metadata) == ("user-1", "Weather", {"app": "demo"})
    await session.add_items(_items(1))
    assert await session.get_items() == _items(1)


async def test_sessions_are_isolated(storage: Storage) -> None:
    a, b = MastraSession("a", storage), MastraSession("b", storage)
    await a.add_items(_items(2, "a"))
    await b.add_items(_items(3, "b"))
    await a.clear_session()
    assert await a.get_items() == []
    assert await b.get_items() == _items(3, "b")


async def test_the_history_is_an_ordinary_mastra_thread(storage: Storage) -> None:
    session = MastraSession("s", storage, resource_id="user-1")
    await session.add_items([ITEMS["user text"], ITEMS["function call compact"], ITEMS["function output"],
                             ITEMS["assistant text"]])
    page = await storage.memory.list_messages(thread_id="s", resource_id="user-1", per_page=False)
    assert [m.role for m in page.items] == ["user", "assistant", "tool", "assistant"]
    assert page.items[0].text == "What is the weather in Paris?"
    out = page.items[2].content.parts[0]
    assert isinstance(out, r.ToolInvocationPart)
    assert out.tool_invocation.tool_name == "get_weather"  # named from the call stored in the same batch
    # and what someone else writes to the thread shows up as items
    await storage.memory.save_messages(messages=[
        r.Message.from_text("written by Memory", id="foreign-1", role="assistant", thread_id="s",
                            resource_id="user-1")])
    assert (await session.get_items(1)) == [{"role": "assistant", "content": "written by Memory"}]
