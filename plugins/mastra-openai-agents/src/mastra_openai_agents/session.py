"""``MastraSession``: the OpenAI Agents SDK's ``Session`` protocol over the memory domain of any storage."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from agents.memory.session_settings import SessionSettings, coerce_session_settings, resolve_session_limit
from mastra_core import records as r
from mastra_core.clock import to_ms, utc_now

from .codec import item_to_message, message_to_items

if TYPE_CHECKING:
    from agents.items import TResponseInputItem
    from mastra_core import Storage
    from mastra_core.domains import MemoryStore

_MS = timedelta(milliseconds=1)


class MastraSession:
    """The Agents SDK's ``Session`` protocol (structurally, as the SDK asks of third-party sessions): the
    conversation history of one session, kept as the messages of the mastra thread ``session_id``.

    Every input item is one v2 message (see :mod:`mastra_openai_agents.codec`), so ``limit`` counts items,
    ``pop_item`` removes exactly the newest one, and Memory or any other reader of the thread sees the same
    conversation. The thread is created on the first ``add_items`` under ``resource_id`` (default: the
    session id; a session opened without one on an existing thread writes under the thread's own resource) with
    ``title`` and ``metadata``; ``clear_session`` deletes the messages and keeps the thread
    (its title and thread-scoped working memory). The storage is the caller's: the session neither opens
    nor closes it.

    Items of one ``add_items`` call share a timestamp (the store keeps the order given); a later call gets a
    later one, so the order of the history is the order of the calls.
    """

    session_settings: SessionSettings | None = None

    def __init__(
        self,
        session_id: str,
        storage: Storage,
        *,
        resource_id: str | None = None,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
        session_settings: SessionSettings | dict[str, Any] | None = None,
    ) -> None:
        """Bind the session to a storage; no I/O happens until the first call."""
        self.session_id = session_id
        self.storage = storage
        self.resource_id = resource_id or session_id
        self._adopt_resource = resource_id is None
        self.title = title
        self.metadata = metadata
        self.session_settings = (
            coerce_session_settings(session_settings) if session_settings is not None else SessionSettings()
        )
        self._thread_ready = False
        self._last: datetime | None = None
        self._tool_names: dict[str, str] = {}

    @property
    def memory(self) -> MemoryStore:
        """The memory domain the history lives in."""
        return self.storage.memory

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """The history, oldest first; with ``limit`` (or ``session_settings.limit``) only the newest ``limit`` items.

        As in the SDK's own sessions a limit of 0 returns nothing and a negative one everything.
        """
        n = resolve_session_limit(limit, self.session_settings)
        if n == 0:
            return []
        if n is None or n < 0:
            return self._items(await self._messages(False))
        newest = await self._messages(n)
        items = self._items(newest)
        if len(items) < n and len(newest) == n:
            # messages written by others may hold several items, or none: fall back to the whole thread
            items = self._items(await self._messages(False))
        return items[-n:]

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Append items, one message each, in one write (creating the thread first if needed)."""
        if not items:
            return
        await self._ensure_thread()
        at = self._next_time()
        names = dict(self._tool_names)
        messages: list[r.Message] = []
        for item in items:
            msg = item_to_message(
                item,
                id=str(uuid.uuid4()),
                thread_id=self.session_id,
                resource_id=self.resource_id,
                created_at=at,
                tool_names=names,
            )
            self._learn(msg, names)
            messages.append(msg)
        await self.memory.save_messages(messages=messages)
        self._tool_names = names

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove the newest item and return it (None when the session is empty).

        A message written by someone else that holds several items is removed whole; its last item is returned.
        """
        newest = await self._messages(1)
        if not newest:
            return None
        await self.memory.delete_messages(message_ids=[newest[0].id])
        items = message_to_items(newest[0])
        return _typed(items[-1]) if items else None

    async def clear_session(self) -> None:
        """Delete every item of the session; the thread itself (title, metadata) stays."""
        page = await self.memory.list_messages(thread_id=self.session_id, per_page=False)
        if page.items:
            await self.memory.delete_messages(message_ids=[m.id for m in page.items])

    # ---------------------------------------------------------------------------------------------- helpers

    async def _messages(self, limit: int | bool) -> list[r.Message]:
        """The thread's messages oldest first: all of them (``False``) or the newest ``limit``."""
        if limit is False:
            page = await self.memory.list_messages(thread_id=self.session_id, per_page=False)
            found = page.items
        else:
            page = await self.memory.list_messages(
                thread_id=self.session_id, per_page=int(limit), order_by={"direction": "DESC"}
            )
            found = page.items[::-1]
        if found:
            newest = to_ms(found[-1].created_at)
            self._last = newest if self._last is None else max(self._last, newest)
        return found

    def _items(self, messages: list[r.Message]) -> list[TResponseInputItem]:
        out: list[TResponseInputItem] = []
        for m in messages:
            self._learn(m, self._tool_names)
            out.extend(_typed(i) for i in message_to_items(m))
        return out

    @staticmethod
    def _learn(message: r.Message, names: dict[str, str]) -> None:
        """Remember function names by call id, so a tool result stored later carries its tool's name."""
        for part in message.content.parts:
            if isinstance(part, r.ToolInvocationPart) and part.tool_invocation.tool_name:
                names[part.tool_invocation.tool_call_id] = part.tool_invocation.tool_name

    def _next_time(self) -> datetime:
        """Now, but strictly after anything this session wrote or read, at the store's millisecond precision."""
        now = to_ms(utc_now())
        if self._last is not None and now <= self._last:
            now = self._last + _MS
        self._last = now
        return now

    async def _ensure_thread(self) -> None:
        if self._thread_ready:
            return
        thread = await self.memory.get_thread_by_id(thread_id=self.session_id)
        if thread is not None and self._adopt_resource:
            self.resource_id = thread.resource_id  # the thread's owner, so every message of it has one resource
        elif thread is None:
            await self.memory.save_thread(
                thread=r.Thread(
                    id=self.session_id, resource_id=self.resource_id, title=self.title, metadata=self.metadata
                )
            )
        self._thread_ready = True


def _typed(item: dict[str, Any]) -> TResponseInputItem:
    """An item dict as the SDK's input-item type (a union of TypedDicts the dict already has the shape of)."""
    return cast("TResponseInputItem", item)
