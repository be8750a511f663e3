"""MastraRecallRetriever: LangChain's own retriever standard tests (langchain-tests) on every backend, plus
scope, metadata and neighbours."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import BACKENDS, Backend
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage
from langchain_tests.integration_tests import RetrieversIntegrationTests
from mastra_core.sync import SyncStorage
from mastra_langchain import MastraChatMessageHistory, MastraRecallRetriever
from mastra_memory import HashEmbedder, Memory

FACTS = [
    HumanMessage("my cat is called Tom"),
    AIMessage("Tom is a fine name for a cat"),
    HumanMessage("I live in Lyon"),
    AIMessage("Lyon has great food"),
    HumanMessage("my sister plays the cello"),
    AIMessage("the cello sounds warm"),
]


class Seeded:
    """A SyncStorage with a Memory over it and two threads of facts (one per resource)."""

    def __init__(self, name: str) -> None:
        self.backend = Backend(name)
        self.sync = SyncStorage(self.backend.storage())
        self.sync.init()
        self.memory = Memory(
            storage=self.sync.storage,
            vector=self.backend.vector(self.sync.storage),
            embedder=HashEmbedder(64),
            options={"semantic_recall": True},
        )
        MastraChatMessageHistory(self.sync, memory=self.memory, thread_id="t1", resource_id="ada").add_messages(FACTS)
        MastraChatMessageHistory(self.sync, memory=self.memory, thread_id="t9", resource_id="bob").add_messages(
            [HumanMessage("my cat is called Felix")]
        )

    def close(self) -> None:
        vector = self.memory.vector
        if vector is not None:
            self.sync.run(vector.close())
        self.sync.close()
        self.backend.cleanup()


@pytest.fixture(params=BACKENDS, scope="class")
def seeded(request: pytest.FixtureRequest) -> Iterator[Seeded]:
    s = Seeded(request.param)
    try:
        yield s
    finally:
        s.close()


class TestMastraRecallRetrieverStandard(RetrieversIntegrationTests):
    """langchain-tests' RetrieversIntegrationTests, once per backend."""

    @pytest.fixture(autouse=True)
    def _seeded(self, seeded: Seeded) -> None:
        self.seeded = seeded

    @property
    def retriever_constructor(self) -> type[MastraRecallRetriever]:
        return MastraRecallRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"memory": self.seeded.memory, "storage": self.seeded.sync, "resource_id": "ada"}

    @property
    def retriever_query_example(self) -> str:
        return "what is my cat called"

    @property
    def num_results_arg_name(self) -> str:
        return "top_k"


def test_scope_metadata_and_neighbours(seeded: Seeded) -> None:
    retriever = MastraRecallRetriever(
        memory=seeded.memory, storage=seeded.sync, resource_id="ada", top_k=1, message_range=1
    )
    (doc,) = retriever.invoke("what is my cat called")
    assert isinstance(doc, Document) and doc.page_content == "my cat is called Tom"
    assert doc.metadata["thread_id"] == "t1" and doc.metadata["resource_id"] == "ada" and doc.metadata["role"] == "user"
    assert doc.metadata["context"] == ["my cat is called Tom", "Tom is a fine name for a cat"]
    bob = MastraRecallRetriever(memory=seeded.memory, storage=seeded.sync, resource_id="bob", top_k=3)
    assert [d.page_content for d in bob.invoke("what is my cat called")] == ["my cat is called Felix"]
    thread = MastraRecallRetriever(
        memory=seeded.memory, storage=seeded.sync, resource_id="ada", thread_id="t1", scope="thread", top_k=2
    )
    assert {d.metadata["thread_id"] for d in thread.invoke("Lyon food")} == {"t1"}
