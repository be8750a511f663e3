"""``MastraChatMessageHistory``: a LangChain ``BaseChatMessageHistory`` over any mastra storage.

One history is one thread of one resource (user). Messages are stored in the v2 format (see
:mod:`mastra_langchain.convert`), so Mastra's ``Memory`` (and the reference) read the same thread; with
``memory=`` the messages are saved through it, which embeds them for semantic recall.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, overload

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage
from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.errors import ValidationError
from mastra_memory import Memory

from .bridge import Bridge
from .convert import from_stored, to_stored


class _Messages:
    """``history.messages``: LangChain declares ``messages`` as an attribute; here reading it loads the thread."""

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Messages: ...

    @overload
    def __get__(self, obj: MastraChatMessageHistory, owner: type[Any]) -> list[BaseMessage]: ...

    def __get__(self, obj: MastraChatMessageHistory | None, owner: type[Any]) -> list[BaseMessage] | _Messages:
        """The messages of the thread (blocking), or the descriptor itself on the class."""
        return self if obj is None else obj.get_messages()


class MastraChatMessageHistory(BaseChatMessageHistory):
    """Chat history of ``thread_id`` (owned by ``resource_id``) in a mastra storage.

    ``storage``: an async :class:`~mastra_core.Storage` (use the ``a*`` methods), a
    :class:`~mastra_core.sync.SyncStorage` (sync and async methods) or a URL (opened as a SyncStorage,
    initialised on first use, closed by :meth:`close`; ``storage_options`` go to ``open_storage``, e.g.
    ``{"schema_name": "app"}``). ``memory``: a :class:`~mastra_memory.Memory`
    over the same storage, to save through it (embedding for semantic recall); ``storage`` may then be
    omitted when it is async. The thread is created on the first write (``title``, ``metadata``); a
    thread of another resource is refused.
    """

    def __init__(
        self,
        storage: Any = None,
        *,
        thread_id: str,
        resource_id: str,
        memory: Memory | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        if not thread_id or not resource_id:
            raise ValidationError(
                "a chat history needs a thread_id and a resource_id", id="MASTRA_LANGCHAIN_HISTORY_IDS"
            )
        if storage is None:
            if memory is None:
                raise ValidationError("pass a storage, a URL or a memory", id="MASTRA_LANGCHAIN_HISTORY_NO_STORAGE")
            storage = memory.storage
        self._bridge = Bridge(storage, owner="MastraChatMessageHistory", options=storage_options)
        self.thread_id = thread_id
        self.resource_id = resource_id
        self.memory = memory
        self.title = title
        self.metadata = dict(metadata) if metadata is not None else None
        self._thread_checked = False
        self._last: datetime | None = None

    @property
    def _store(self) -> Any:
        """The async memory domain store."""
        if self.memory is not None:
            return self.memory.store
        return (
            self._bridge.storage.get_store("memory")
            if hasattr(self._bridge.storage, "get_store")
            else self._bridge.storage
        )

    # ------------------------------------------------------------------ async

    async def _get(self) -> list[BaseMessage]:
        store = self._store
        thread = await store.get_thread_by_id(thread_id=self.thread_id)
        if thread is None:
            return []
        self._check_owner(thread)
        page = await store.list_messages(
            thread_id=self.thread_id, per_page=False, order_by={"field": "created_at", "direction": "ASC"}
        )
        out: list[BaseMessage] = []
        for m in page.items:
            out += from_stored(m)
        return out

    def _check_owner(self, thread: r.Thread) -> None:
        if thread.resource_id != self.resource_id:
            raise ValidationError(
                f"thread {thread.id} belongs to resource {thread.resource_id}, not {self.resource_id}",
                id="MASTRA_LANGCHAIN_HISTORY_RESOURCE_MISMATCH",
                details={"threadId": thread.id, "threadResourceId": thread.resource_id, "resourceId": self.resource_id},
            )

    def _stamp(self, n: int) -> list[datetime]:
        """Increasing timestamps (1 ms apart at least) so stored order is the order of the calls."""
        now = utc_now()
        start = now if self._last is None or now > self._last else self._last + timedelta(milliseconds=1)
        stamps = [start + timedelta(milliseconds=i) for i in range(n)]
        if stamps:
            self._last = stamps[-1]
        return stamps

    async def _add(self, messages: Sequence[BaseMessage]) -> None:
        if not messages:
            return
        store = self._store
        if not self._thread_checked:
            thread = await store.get_thread_by_id(thread_id=self.thread_id)
            if thread is None:
                now = utc_now()
                await store.save_thread(
                    thread=r.Thread(
                        id=self.thread_id,
                        resource_id=self.resource_id,
                        title=self.title or "",
                        metadata=self.metadata,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                self._check_owner(thread)
            self._thread_checked = True
        stored = [
            to_stored(m, id=str(uuid.uuid4()), thread_id=self.thread_id, resource_id=self.resource_id, created_at=at)
            for m, at in zip(messages, self._stamp(len(messages)), strict=True)
        ]
        if self.memory is not None:
            await self.memory.save_messages(stored)
        else:
            await store.save_messages(messages=stored)

    async def _clear(self) -> None:
        store = self._store
        thread = await store.get_thread_by_id(thread_id=self.thread_id)
        if thread is None:
            return
        self._check_owner(thread)
        page = await store.list_messages(thread_id=self.thread_id, per_page=False)
        ids = [m.id for m in page.items]
        if not ids:
            return
        if self.memory is not None:
            await self.memory.delete_messages(ids)
        else:
            await store.delete_messages(message_ids=ids)

    async def aget_messages(self) -> list[BaseMessage]:
        """Every message of the thread, oldest first."""
        return await self._bridge.arun(self._get())

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append messages (one storage write; the thread is created on the first one)."""
        await self._bridge.arun(self._add(list(messages)))

    async def aclear(self) -> None:
        """Delete every message of the thread (the thread, its title and working memory stay)."""
        await self._bridge.arun(self._clear())

    # ------------------------------------------------------------------ sync

    messages = _Messages()

    def get_messages(self) -> list[BaseMessage]:
        """Every message of the thread, oldest first (blocking); ``history.messages`` reads the same."""
        return self._bridge.run(self._get())

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append messages (blocking)."""
        self._bridge.run(self._add(list(messages)))

    def clear(self) -> None:
        """Delete every message of the thread (blocking)."""
        self._bridge.run(self._clear())

    def close(self) -> None:
        """Close the storage when this history opened it from a URL."""
        self._bridge.close()
