"""``MastraRecallRetriever``: semantic recall over stored messages as a LangChain retriever.

Each hit of :meth:`Memory.search_messages <mastra_memory.Memory.search_messages>` is a ``Document``
whose ``page_content`` is the message text and whose metadata says where it comes from (message,
thread, resource, role, created_at, score). ``message_range`` adds each hit's neighbours as the
``context`` metadata (the texts around it, oldest first), as the reference's recall does.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from mastra_memory import Memory
from pydantic import ConfigDict, PrivateAttr

from .bridge import Bridge


class MastraRecallRetriever(BaseRetriever):
    """Messages similar to the query among a resource's threads (``scope="resource"``) or one thread.

    ``memory``: a :class:`~mastra_memory.Memory` with a vector store and an embedder. ``storage``: the
    :class:`~mastra_core.sync.SyncStorage` the memory's storage belongs to, for sync ``invoke`` (without
    it, use ``ainvoke``). ``top_k`` defaults to the memory's semantic-recall config (``invoke(q, top_k=n)``
    overrides it per call); ``message_range`` adds neighbours as ``context`` metadata. ``scope``:
    ``resource`` (every thread of ``resource_id``) or ``thread`` (``thread_id`` only).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: Memory
    resource_id: str
    thread_id: str | None = None
    scope: str = "resource"
    top_k: int | None = None
    message_range: int = 0
    storage: Any = None
    _bridge: Bridge = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        """Set up where the memory's coroutines run."""
        self._bridge = Bridge(self.storage if self.storage is not None else self.memory.storage,
                              owner="MastraRecallRetriever")

    async def _search(self, query: str, top_k: int | None) -> list[Document]:
        found = await self.memory.search_messages(
            query, resource_id=self.resource_id if self.scope == "resource" else None,
            thread_id=self.thread_id if self.scope == "thread" else None, top_k=top_k or self.top_k,
            message_range=self.message_range,
        )
        return [
            Document(
                page_content=hit.message.content.text(), id=hit.message.id,
                metadata={"message_id": hit.message.id, "thread_id": hit.message.thread_id,
                          "resource_id": hit.message.resource_id, "role": hit.message.role,
                          "created_at": hit.message.created_at.isoformat(), "score": hit.score,
                          **({"context": [m.content.text() for m in hit.context]} if self.message_range else {})},
            )
            for hit in found
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, top_k: int | None = None
    ) -> list[Document]:
        return self._bridge.run(self._search(query, top_k))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, top_k: int | None = None
    ) -> list[Document]:
        return await self._bridge.arun(self._search(query, top_k))
