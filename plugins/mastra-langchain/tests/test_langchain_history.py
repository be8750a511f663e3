"""MastraChatMessageHistory on every backend: lossless round trips (async, sync, URL), order, clear,
ownership, interop with Memory, and RunnableWithMessageHistory with a fake chat model."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import BACKENDS, Backend
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory
from lc_messages import every_kind
from mastra_core.errors import ValidationError
from mastra_core.sync import SyncStorage
from mastra_langchain import MastraChatMessageHistory
from mastra_memory import HashEmbedder, Memory


async def test_async_round_trip_of_every_kind(storage: Any) -> None:
    history = MastraChatMessageHistory(storage, thread_id="t1", resource_id="ada")
    assert isinstance(history, BaseChatMessageHistory)
    assert await history.aget_messages() == []
    kinds = every_kind()
    await history.aadd_messages(kinds[:5])
    await history.aadd_messages(kinds[5:])
    assert await history.aget_messages() == kinds
    other = MastraChatMessageHistory(storage, thread_id="t2", resource_id="ada")
    await other.aadd_messages([HumanMessage("elsewhere")])
    assert await history.aget_messages() == kinds and await other.aget_messages() == [HumanMessage("elsewhere")]
    await history.aclear()
    assert await history.aget_messages() == [] and await other.aget_messages() == [HumanMessage("elsewhere")]
    thread = await storage.memory.get_thread_by_id(thread_id="t1")
    assert thread is not None and thread.resource_id == "ada"  # clear keeps the thread


def test_sync_round_trip_and_async_on_a_sync_storage(sync_storage: SyncStorage) -> None:
    import asyncio

    history = MastraChatMessageHistory(sync_storage, thread_id="t1", resource_id="ada")
    kinds = every_kind()
    history.add_user_message("first")
    history.add_ai_message("second")
    history.add_messages(kinds)
    assert history.messages == [HumanMessage("first"), AIMessage("second"), *kinds]

    async def from_a_loop() -> list[Any]:
        await history.aadd_messages([HumanMessage("async on the sync storage")])
        return await history.aget_messages()

    got = asyncio.run(from_a_loop())
    assert got[-1] == HumanMessage("async on the sync storage") and len(got) == len(kinds) + 3
    history.clear()
    assert history.messages == []


@pytest.mark.parametrize("name", [b for b in BACKENDS if b != "inmemory"])  # in-memory storage has no URL
def test_url_opens_its_own_storage(name: str) -> None:
    backend = Backend(name)
    options = {"schema_name": backend.namespace} if name == "pg" else {}
    try:
        history = MastraChatMessageHistory(backend.db_url, thread_id="t", resource_id="ada", storage_options=options)
        try:
            history.add_messages(every_kind()[:4])
        finally:
            history.close()
        reopened = MastraChatMessageHistory(backend.db_url, thread_id="t", resource_id="ada", storage_options=options)
        try:
            assert reopened.messages == every_kind()[:4]
        finally:
            reopened.close()
    finally:
        backend.cleanup()


async def test_sync_call_on_an_async_storage_is_a_clear_error(storage: Any) -> None:
    history = MastraChatMessageHistory(storage, thread_id="t", resource_id="ada")
    with pytest.raises(ValidationError) as err:
        history.add_messages([HumanMessage("x")])
    assert err.value.id == "MASTRA_LANGCHAIN_SYNC_CALL_ON_ASYNC_STORAGE"


async def test_a_thread_of_another_resource_is_refused(storage: Any) -> None:
    await MastraChatMessageHistory(storage, thread_id="t", resource_id="ada").aadd_messages([HumanMessage("mine")])
    intruder = MastraChatMessageHistory(storage, thread_id="t", resource_id="eve")
    for call in (intruder.aget_messages(), intruder.aadd_messages([HumanMessage("x")]), intruder.aclear()):
        with pytest.raises(ValidationError):
            await call


async def test_memory_reads_the_history_and_the_history_reads_memory(storage: Any, backend: Any) -> None:
    memory = Memory(
        storage=storage,
        vector=backend.vector(storage),
        embedder=HashEmbedder(64),
        options={"last_messages": 10, "semantic_recall": {"top_k": 2, "message_range": 0}},
    )
    history = MastraChatMessageHistory(memory=memory, thread_id="t1", resource_id="ada", title="Pets")
    await history.aadd_messages([HumanMessage("my cat is called Tom"), AIMessage("Nice name!")])
    await memory.add_message("what about my dog Rex?", thread_id="t1", resource_id="ada")
    got = await history.aget_messages()
    assert got[:2] == [HumanMessage("my cat is called Tom"), AIMessage("Nice name!")]
    assert isinstance(got[2], HumanMessage) and got[2].content == "what about my dog Rex?"
    ctx = await memory.build_context(thread_id="t2", resource_id="ada", messages=["what is my cat called?"])
    assert "my cat is called Tom" in ctx.system[0]  # embedded on save through the memory: recalled from t1
    assert (await memory.get_thread("t1")).title == "Pets"  # type: ignore[union-attr]
    if hasattr(memory.vector, "close"):
        await memory.vector.close()


def test_runnable_with_message_history(sync_storage: SyncStorage) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are terse."), MessagesPlaceholder("history"), ("human", "{q}")]
    )
    model = FakeListChatModel(responses=["Hello Ada.", "You are Ada."])
    chain = RunnableWithMessageHistory(
        prompt | model,
        lambda session_id: MastraChatMessageHistory(sync_storage, thread_id=session_id, resource_id="ada"),
        input_messages_key="q",
        history_messages_key="history",
    )
    config: Any = {"configurable": {"session_id": "s1"}}
    assert chain.invoke({"q": "I am Ada"}, config=config).content == "Hello Ada."
    assert chain.invoke({"q": "who am I?"}, config=config).content == "You are Ada."
    stored = MastraChatMessageHistory(sync_storage, thread_id="s1", resource_id="ada").messages
    assert [(m.type, m.content) for m in stored] == [
        ("human", "I am Ada"),
        ("ai", "Hello Ada."),
        ("human", "who am I?"),
        ("ai", "You are Ada."),
    ]


async def test_runnable_with_message_history_async(storage: Any) -> None:
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{q}")])
    chain = RunnableWithMessageHistory(
        prompt | FakeListChatModel(responses=["one", "two"]),
        lambda session_id: MastraChatMessageHistory(storage, thread_id=session_id, resource_id="ada"),
        input_messages_key="q",
        history_messages_key="history",
    )
    config: Any = {"configurable": {"session_id": "s2"}}
    await chain.ainvoke({"q": "a"}, config=config)
    await chain.ainvoke({"q": "b"}, config=config)
    got = await MastraChatMessageHistory(storage, thread_id="s2", resource_id="ada").aget_messages()
    assert [m.content for m in got] == ["a", "one", "b", "two"]
