"""``Memory``: conversation history, semantic recall, working memory, titles and clones over any storage.

Typical use::

    memory = Memory(storage=storage, vector=LibSQLVector(url="file:vectors.db"), embedder=HashEmbedder(),
                    options={"last_messages": 10, "semantic_recall": {"top_k": 3, "message_range": 2}})
    thread = await memory.create_thread(resource_id="user-1")
    await memory.save_messages([Message.from_text("my cat is called Tom", id="m1", thread_id=thread.id,
                                                  resource_id="user-1")])
    result = await memory.recall(thread_id=thread.id, resource_id="user-1", query="what is my cat's name?")
    result.messages       # last N of the thread + each hit with its neighbours, oldest first
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import attrs
from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.domains.memory import CloneResult, MemoryStore
from mastra_core.errors import NotFoundError, StorageError, ValidationError
from mastra_core.log import get_logger
from mastra_core.pagination import OrderBy, Page, PerPage
from mastra_core.serde import from_wire
from mastra_core.vector import QueryResult, VectorStore

from . import titles
from .config import MemoryConfig, SemanticRecall, TitleConfig, memory_error_id, merge_config, parse_config
from .context import (
    REMEMBERED_MESSAGE_ID,
    WORKING_MEMORY_MESSAGE_ID,
    ModelContext,
    recalled_ranges,
    remembered_text,
    system_message,
)
from .embedding import EmbedderAdapter, EmbeddingCache
from .working_memory import (
    DEFAULT_TEMPLATE,
    TOOL_ID,
    TOOL_NAME,
    WorkingMemoryTemplate,
    WorkingMemoryTool,
    deep_merge,
    parse_json_memory,
    system_instruction,
    tool_input_schema,
)

_log = get_logger("mastra_memory")
_UNSET: Any = object()
_WM_TAG = re.compile(r"<working_memory>.*?</working_memory>", re.DOTALL)
#: Characters per chunk of a long recall query (about 4096 tokens).
QUERY_CHUNK_CHARS = 4096 * 4
ConfigArg = MemoryConfig | Mapping[str, Any] | None


@attrs.define(kw_only=True)
class MessageHit:
    """A message found by :meth:`Memory.search_messages`, its score and its window (``context``, oldest first,
    the message included; empty without ``message_range``)."""

    message: r.Message
    score: float
    context: list[r.Message] = attrs.field(factory=list)


@attrs.define(kw_only=True)
class TurnResult:
    """What :meth:`Memory.record_turn` stored: the saved messages (tool calls of the update tool stripped),
    the working memory after the turn's updates (None when none), and the thread's title."""

    messages: list[r.Message]
    working_memory: str | None
    title: str | None


@attrs.define(kw_only=True)
class RecallResult:
    """What :meth:`Memory.recall` returns.

    ``messages``: the last-N window of the thread plus every semantic hit with its neighbours (in the
    hit's own thread), de-duplicated, oldest first by (created_at, insertion order). ``hits``: the
    vector hits that were used (best first).
    """

    messages: list[r.Message]
    hits: list[QueryResult] = attrs.field(factory=list)


def _iso(value: Any) -> str:
    return str(value.isoformat(timespec="milliseconds")).replace("+00:00", "Z")


class Memory:
    """Memory for agents over any storage backend, with optional semantic recall.

    ``storage``: a :class:`~mastra_core.storage.Storage` (its memory domain is used) or a ``MemoryStore``.
    ``vector``: a :class:`~mastra_core.vector.VectorStore` instance or a registered vector id
    (``"inmemory"``). ``embedder``: an object with ``embed(texts)`` or a callable (sync or async), or a
    registered embedder id (``"hash"``). ``options``: :class:`MemoryConfig` or a mapping; every method
    taking ``config`` deep-merges it over ``options`` for that call. ``title_generator``: a callable
    ``text -> title`` (sync or async) or a registered generator's name, used when ``generate_title`` is on
    and names no generator of its own (default: ``rule-based``, the first line of the message).

    For an agent loop, :meth:`build_context` gives the messages of one model call and :meth:`record_turn`
    stores what the turn produced.
    """

    def __init__(
        self,
        *,
        storage: Any,
        vector: VectorStore | str | None = None,
        embedder: Any = None,
        options: ConfigArg = None,
        id: str = "default-memory",
        title_generator: Callable[..., Any] | str | None = None,
        embedding_cache_size: int = 10_000,
    ) -> None:
        if storage is None:
            raise ValidationError("Memory needs a storage", id=memory_error_id("INIT", "NO_STORAGE"))
        from mastra_core.sync import SyncStorage  # here: importing Memory must not load the blocking facade

        if isinstance(storage, SyncStorage):
            raise ValidationError(
                "Memory is asynchronous and needs the async storage; with a storage from mastra_core.sync use "
                "`from mastra_memory.sync import SyncMemory` (same arguments, every method blocks)",
                id=memory_error_id("INIT", "SYNC_STORAGE"),
            )
        self.id = id
        self.storage = storage
        self.vector: VectorStore | None = _resolve_vector(vector)
        self.embedder: EmbedderAdapter | None = (
            EmbedderAdapter(_resolve_embedder(embedder), EmbeddingCache(embedding_cache_size))
            if embedder is not None
            else None
        )
        self.options = parse_config(options)
        self._custom_title_generator = title_generator is not None
        self.title_generator: Callable[..., Any] = (
            titles.get_title_generator(title_generator)
            if isinstance(title_generator, str)
            else title_generator or titles.first_words_title
        )
        self._check_semantic(self.options)
        self._check_titles(self.options)
        self._indexes: set[str] = set()
        self._index_lock = asyncio.Lock()
        self._thread_locks: dict[str, asyncio.Lock] = {}
        #: threads known (in this process) to already have a user message: no title generation
        self._has_user_message: set[str] = set()

    # ------------------------------------------------------------------ plumbing

    @property
    def store(self) -> MemoryStore:
        """The memory domain store."""
        if isinstance(self.storage, MemoryStore):
            return self.storage
        store = self.storage.get_store("memory") if hasattr(self.storage, "get_store") else None
        if store is None:
            raise ValidationError(
                f"storage {self.storage!r} has no memory domain", id=memory_error_id("INIT", "NO_MEMORY_DOMAIN")
            )
        return cast(MemoryStore, store)  # a backend's memory domain: MemoryStore or a duck-typed equivalent

    def config(self, override: ConfigArg = None) -> MemoryConfig:
        """The instance config with ``override`` deep-merged over it."""
        cfg = merge_config(self.options, override)
        if cfg is not self.options:
            self._check_semantic(cfg)
            self._check_titles(cfg)
        return cfg

    def _title_generator(self, cfg: MemoryConfig) -> tuple[Callable[..., Any], dict[str, Any]]:
        """The generator ``cfg`` asks for and the keyword arguments it gets (``model``, ``instructions``)."""
        gt = cfg.generate_title
        if isinstance(gt, TitleConfig):
            chosen: Any = gt.generator if gt.generator is not None else self.title_generator
            kwargs = {k: v for k, v in (("model", gt.model), ("instructions", gt.instructions)) if v is not None}
        else:
            chosen, kwargs = (gt if gt is not True and gt is not False else self.title_generator), {}
        generator = titles.get_title_generator(chosen) if isinstance(chosen, str) else chosen
        return generator, kwargs

    def _check_titles(self, cfg: MemoryConfig) -> None:
        gt = cfg.generate_title
        if not isinstance(gt, TitleConfig | str):
            return
        generator, kwargs = self._title_generator(cfg)  # an unknown registered name fails here
        if (
            isinstance(gt, TitleConfig)
            and gt.model is not None
            and gt.generator is None
            and not self._custom_title_generator
        ):
            raise ValidationError(
                "generate_title names a model but no generator to call it: pass generate_title={'generator': ..., "
                "'model': ...} or Memory(title_generator=...) (e.g. titles.model_title_generator(your_client_call))",
                id=memory_error_id("CONFIG", "TITLE_MODEL_WITHOUT_GENERATOR"),
            )
        if kwargs and not titles.accepts_model(generator):
            raise ValidationError(
                "generate_title passes model/instructions, but the title generator takes no "
                "`model`/`instructions` keywords",
                id=memory_error_id("CONFIG", "TITLE_GENERATOR_SIGNATURE"),
            )

    def _writable(self, cfg: MemoryConfig, op: str) -> bool:
        """False (and a debug log) when ``read_only`` is on: the caller then writes nothing."""
        if cfg.read_only:
            _log.debug("read-only memory: nothing written", op=op)
            return False
        return True

    def _check_semantic(self, cfg: MemoryConfig) -> None:
        if cfg.semantic_recall is None:
            return
        if self.vector is None:
            raise ValidationError(
                "Semantic recall requires a vector store: pass Memory(vector=...)",
                id=memory_error_id("CONFIG", "NO_VECTOR_STORE"),
            )
        if self.embedder is None:
            raise ValidationError(
                "Semantic recall requires an embedder: pass Memory(embedder=...)",
                id=memory_error_id("CONFIG", "NO_EMBEDDER"),
            )

    def _semantic(self, cfg: MemoryConfig) -> SemanticRecall | None:
        return cfg.semantic_recall if self.vector is not None and self.embedder is not None else None

    def index_name(self, dimension: int | None = None, config: ConfigArg = None) -> str:
        """The vector index of message embeddings: ``memory_messages_<dim>`` (or the configured name).

        Always carries the dimension, so two embedders never share (and break) one index, and writes
        and reads always compute the same name from the embedder's real dimension.
        """
        sr = self.config(config).semantic_recall
        if sr is not None and sr.index_name:
            return sr.index_name
        sep = self.vector.index_separator if self.vector is not None else "_"
        base = f"memory{sep}messages"
        return base if dimension is None else f"{base}{sep}{dimension}"

    async def _ensure_index(self, dimension: int, sr: SemanticRecall, cfg: MemoryConfig) -> str:
        assert self.vector is not None
        name = self.index_name(dimension, cfg)
        if name in self._indexes:
            return name
        async with self._index_lock:
            if name not in self._indexes:
                await self.vector.create_index(
                    index_name=name, dimension=dimension, metric=sr.metric, **(sr.index_config or {})
                )
                self._indexes.add(name)
        return name

    async def memory_indexes(self) -> list[str]:
        """Every index in the vector store that holds message embeddings of this memory."""
        if self.vector is None:
            return []
        prefix = self.index_name()
        configured = self.options.semantic_recall.index_name if self.options.semantic_recall else None
        return [
            n
            for n in await self.vector.list_indexes()
            if n == prefix
            or n.startswith(prefix + self.vector.index_separator)
            or n == configured
            or n in self._indexes
        ]

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._thread_locks.get(key)
        if lock is None:
            lock = self._thread_locks[key] = asyncio.Lock()
        return lock

    # ------------------------------------------------------------------ threads

    async def create_thread(
        self,
        *,
        resource_id: str,
        thread_id: str | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        config: ConfigArg = None,
        save: bool = True,
    ) -> r.Thread:
        """A new thread (id: uuid4, title: ``New Thread <ISO time>``), saved unless ``save=False``.

        Saving is an upsert: an existing thread of that id keeps its ``created_at``. With resource-scoped
        working memory enabled, a string ``metadata["workingMemory"]`` is also written to the resource.
        """
        now = utc_now()
        thread = r.Thread(
            id=thread_id or str(uuid.uuid4()),
            resource_id=resource_id,
            title=title or f"New Thread {_iso(now)}",
            metadata=dict(metadata) if metadata is not None else None,
            created_at=now,
            updated_at=now,
        )
        if not save:
            return thread
        return await self.save_thread(thread, config=config)

    async def save_thread(self, thread: r.Thread, *, config: ConfigArg = None) -> r.Thread:
        """Upsert a thread (see :meth:`create_thread` for the working-memory side effect)."""
        saved = await self.store.save_thread(thread=thread)
        wm = self.config(config).working_memory
        text = (saved.metadata or {}).get("workingMemory")
        if wm.enabled and wm.scope == "resource" and isinstance(text, str):
            await self.store.update_resource(resource_id=saved.resource_id, working_memory=text)
        return saved

    async def get_thread(self, thread_id: str, *, resource_id: str | None = None) -> r.Thread | None:
        """The thread or None; with ``resource_id``, a thread of another resource is an error."""
        thread = await self.store.get_thread_by_id(thread_id=thread_id)
        if thread is not None and resource_id is not None:
            _check_owner(thread, resource_id, "GET_THREAD")
        return thread

    async def list_threads(
        self,
        resource_id: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        page: int = 0,
        per_page: PerPage = 100,
        order_by: OrderBy | Mapping[str, Any] | None = None,
    ) -> Page[r.Thread]:
        """Threads of a resource (newest first by default), optionally filtered by metadata (deep equality per key)."""
        flt: dict[str, Any] = {}
        if resource_id is not None:
            flt["resource_id"] = resource_id
        if metadata is not None:
            flt["metadata"] = dict(metadata)
        return await self.store.list_threads(filter=flt or None, page=page, per_page=per_page, order_by=order_by)

    async def update_thread(
        self, thread_id: str, *, title: Any = _UNSET, metadata: Mapping[str, Any] | None = None
    ) -> r.Thread:
        """Replace the title (when given) and shallow-merge metadata; ``created_at`` is kept."""
        if title is _UNSET:
            return await self.store.update_thread(id=thread_id, metadata=metadata)
        return await self.store.update_thread(id=thread_id, title=title, metadata=metadata)

    async def delete_thread(self, thread_id: str) -> None:
        """Delete the thread, its messages and their vectors in every memory index."""
        await self.store.delete_thread(thread_id=thread_id)
        if self.vector is not None:
            for name in await self.memory_indexes():
                await self.vector.delete_vectors(index_name=name, filter={"thread_id": thread_id})

    # ------------------------------------------------------------------ messages

    async def save_messages(
        self,
        messages: Sequence[r.Message | Mapping[str, Any]],
        *,
        config: ConfigArg = None,
    ) -> list[r.Message]:
        """Save messages (upsert by id) and, with semantic recall on, embed and index every one with text.

        Mappings may use the wire form or snake_case; a missing ``id`` is generated and a string
        ``content`` becomes one text part. ``<working_memory>`` tags and ``updateWorkingMemory`` tool
        calls are stripped; a message left empty is dropped. Embedding happens before the write (an
        embedder failure writes nothing); vectors are upserted with ids equal to message ids and
        metadata ``{message_id, thread_id, resource_id, role, created_at}``. With ``generate_title``
        on, the first user message of a thread gets it a title. With ``read_only`` nothing is written
        and ``[]`` is returned.
        """
        cfg = self.config(config)
        msgs = [m for m in (_strip_working_memory(_to_message(x)) for x in messages) if m is not None]
        if not msgs or not self._writable(cfg, "SAVE_MESSAGES"):
            return []
        sr = self._semantic(cfg)
        embedded = await self._embed_messages(msgs) if sr is not None else []
        saved = await self.store.save_messages(messages=msgs)
        if sr is not None and embedded:
            await self._upsert(embedded, sr, cfg)
        if cfg.generate_title:
            await self._maybe_generate_titles(saved, cfg)
        return saved

    async def add_message(
        self,
        text: str,
        *,
        thread_id: str,
        resource_id: str,
        role: r.Role = "user",
        id: str | None = None,
        config: ConfigArg = None,
    ) -> r.Message:
        """Save one text message (new uuid id unless given) through :meth:`save_messages`; returns it.

        The thread is created for ``resource_id`` when it does not exist yet; a thread of another
        resource is refused before anything is written.
        """
        thread = await self.store.get_thread_by_id(thread_id=thread_id)
        if thread is None:
            await self.create_thread(resource_id=resource_id, thread_id=thread_id, config=config)
        else:
            _check_owner(thread, resource_id, "ADD_MESSAGE")
        message = r.Message.from_text(
            text, id=id or str(uuid.uuid4()), role=role, thread_id=thread_id, resource_id=resource_id
        )
        saved = await self.save_messages([message], config=config)
        return saved[0] if saved else message

    async def index_messages(self, messages: Sequence[r.Message], *, config: ConfigArg = None) -> int:
        """Embed and upsert already-stored messages (a backfill, e.g. after enabling semantic recall); returns how
        many."""
        cfg = self.config(config)
        sr = self._semantic(cfg) or (
            SemanticRecall() if self.vector is not None and self.embedder is not None else None
        )
        if sr is None:
            raise ValidationError(
                "indexing messages needs a vector store and an embedder",
                id=memory_error_id("INDEX_MESSAGES", "NO_VECTOR_STORE"),
            )
        embedded = await self._embed_messages(messages)
        if embedded:
            await self._upsert(embedded, sr, cfg)
        return len(embedded)

    async def _embed_messages(self, msgs: Sequence[r.Message]) -> list[tuple[r.Message, list[float]]]:
        assert self.embedder is not None
        with_text = [(m, m.content.text().strip()) for m in msgs]
        with_text = [(m, t) for m, t in with_text if t]
        if not with_text:
            return []
        vectors = await self.embedder.embed([t for _, t in with_text])
        return [(m, v) for (m, _), v in zip(with_text, vectors, strict=True)]

    async def _upsert(
        self, embedded: list[tuple[r.Message, list[float]]], sr: SemanticRecall, cfg: MemoryConfig
    ) -> None:
        assert self.vector is not None
        name = await self._ensure_index(len(embedded[0][1]), sr, cfg)
        await self.vector.upsert(
            index_name=name,
            vectors=[v for _, v in embedded],
            ids=[m.id for m, _ in embedded],
            metadata=[
                {
                    "message_id": m.id,
                    "thread_id": m.thread_id,
                    "resource_id": m.resource_id or "",
                    "role": m.role,
                    "created_at": _iso(m.created_at),
                }
                for m, _ in embedded
            ],
        )

    async def update_messages(self, messages: Sequence[Any], *, config: ConfigArg = None) -> list[r.Message]:
        """Partial updates (see ``MemoryStore.update_messages``); changed messages are re-embedded (same vector ids)."""
        updated = await self.store.update_messages(messages=messages)
        cfg = self.config(config)
        sr = self._semantic(cfg)
        if sr is not None and updated:
            embedded = await self._embed_messages(updated)
            if embedded:
                await self._upsert(embedded, sr, cfg)
            empty = [m.id for m in updated if not m.content.text().strip()]
            if empty:
                await self._delete_vectors(empty)
        return updated

    async def delete_messages(self, messages: Sequence[str | r.Message | Mapping[str, Any]]) -> None:
        """Delete messages (ids, messages or ``{"id": ...}``) and their vectors in every memory index."""
        ids: list[str] = []
        for item in messages:
            mid = (
                item
                if isinstance(item, str)
                else item.id
                if isinstance(item, r.Message)
                else item.get("id")
                if isinstance(item, Mapping)
                else None
            )
            if not isinstance(mid, str) or not mid.strip():
                raise ValidationError(
                    f"cannot read a message id from {item!r}", id=memory_error_id("DELETE_MESSAGES", "INVALID_ID")
                )
            ids.append(mid)
        if not ids:
            return
        await self.store.delete_messages(message_ids=ids)
        await self._delete_vectors(ids)

    async def _delete_vectors(self, ids: Sequence[str]) -> None:
        if self.vector is None:
            return
        for name in await self.memory_indexes():
            await self.vector.delete_vectors(index_name=name, ids=list(ids))

    # ------------------------------------------------------------------ recall

    async def recall(
        self,
        *,
        thread_id: str,
        resource_id: str | None = None,
        query: str | None = None,
        vector_search_string: str | None = None,
        config: ConfigArg = None,
        per_page: PerPage | None = None,
        page: int = 0,
        order_by: OrderBy | Mapping[str, Any] | None = None,
        filter: Mapping[str, Any] | None = None,
    ) -> RecallResult:
        """The newest ``last_messages`` of the thread plus, when semantic recall is on and ``query`` is given,
        the ``top_k`` most similar past messages with ``message_range`` neighbours each.

        ``scope='resource'`` searches every thread of ``resource_id``; ``'thread'`` only this thread;
        ``threshold`` drops weaker hits. A thread of another resource is refused. History and every
        window come from ONE ``list_messages`` call (newest page first, then reversed), and the result
        is oldest first by (created_at, insertion order) across all returned messages.
        """
        cfg = self.config(config)
        sr = self._semantic(cfg)
        text = query if query is not None else vector_search_string
        resource_scoped = sr is not None and sr.scope == "resource"
        if resource_id is not None:
            thread = await self.store.get_thread_by_id(thread_id=thread_id)
            if thread is None and not resource_scoped:
                raise NotFoundError(
                    f"No thread found with id {thread_id}",
                    id=memory_error_id("RECALL", "THREAD_NOT_FOUND"),
                    details={"threadId": thread_id},
                )
            if thread is not None:
                _check_owner(thread, resource_id, "RECALL")
        hits: list[QueryResult] = []
        includes: list[r.MessageInclude] = []
        if sr is not None and text and text.strip():
            if sr.scope == "resource" and resource_id is None:
                raise ValidationError(
                    "resource-scoped semantic recall needs a resource_id",
                    id=memory_error_id("RECALL", "RESOURCE_ID_REQUIRED"),
                )
            hits = await self._search(
                text, sr, cfg, {"resource_id": resource_id} if sr.scope == "resource" else {"thread_id": thread_id}
            )
            includes = [
                r.MessageInclude(
                    id=str(h.metadata.get("message_id") or h.id),
                    thread_id=h.metadata.get("thread_id"),
                    with_previous_messages=sr.message_range.before,
                    with_next_messages=sr.message_range.after,
                )
                for h in hits
            ]
        pp: PerPage = cfg.last_messages if per_page is None else per_page
        newest_first = order_by is None and pp is not False
        result = await self.store.list_messages(
            thread_id=thread_id,
            include=includes or None,
            per_page=pp,
            page=page,
            filter=filter,
            order_by={"field": "created_at", "direction": "DESC"} if newest_first else order_by,
        )
        messages = list(reversed(result.items)) if newest_first else result.items
        return RecallResult(messages=messages, hits=hits)

    async def build_context(
        self,
        *,
        thread_id: str,
        resource_id: str,
        messages: Sequence[r.Message | Mapping[str, Any] | str] = (),
        config: ConfigArg = None,
    ) -> ModelContext:
        """The messages of one model call for the new ``messages`` of ``thread_id`` (nothing is written).

        In order: the working-memory system message (when enabled; the update tool is in ``tools``
        unless ``read_only``), the semantic hits of other threads in one system message "remembered
        from a different conversation" (resource scope), the history (the newest ``last_messages`` with
        same-thread hits and their ``message_range`` neighbours in place, oldest first), then the new
        messages; every message appears once (a new message already stored is kept at the end).

        The query is the text of the last new user message. Storage round trips: the thread (and, for
        resource-scoped working memory, the resource) read concurrently with the vector query, then ONE
        ``list_messages`` for the history and every hit window.
        """
        cfg = self.config(config)
        sr = self._semantic(cfg)
        wm = cfg.working_memory
        new = [_new_message(x, thread_id, resource_id) for x in messages]
        query = next((m.content.text() for m in reversed(new) if m.role == "user" and m.content.text().strip()), "")

        async def resource() -> r.Resource | None:
            if wm.enabled and wm.scope == "resource":
                return await self.store.get_resource_by_id(resource_id=resource_id)
            return None

        async def search() -> list[QueryResult]:
            if sr is None or not query:
                return []
            flt = {"resource_id": resource_id} if sr.scope == "resource" else {"thread_id": thread_id}
            return await self._search(query, sr, cfg, flt)

        thread, res, hits = await asyncio.gather(self.store.get_thread_by_id(thread_id=thread_id), resource(), search())
        if thread is not None:
            _check_owner(thread, resource_id, "BUILD_CONTEXT")
        includes = (
            [
                r.MessageInclude(
                    id=str(h.metadata.get("message_id") or h.id),
                    thread_id=h.metadata.get("thread_id"),
                    with_previous_messages=sr.message_range.before,
                    with_next_messages=sr.message_range.after,
                )
                for h in hits
            ]
            if sr is not None
            else []
        )
        fetched: list[r.Message] = []
        if cfg.last_messages != 0 or includes:
            page = await self.store.list_messages(
                thread_id=thread_id,
                include=includes or None,
                per_page=cfg.last_messages,
                order_by={"field": "created_at", "direction": "DESC"},
            )
            fetched = list(reversed(page.items))
        ranges = (
            recalled_ranges(fetched, hits, sr.message_range.before, sr.message_range.after, thread_id) if sr else []
        )
        new_ids = {m.id for m in new}
        seen: set[str] = set()
        history: list[r.Message] = []
        other: list[r.Message] = []
        for m in fetched:
            if m.id in seen or m.id in new_ids:
                continue
            seen.add(m.id)
            (history if m.thread_id == thread_id else other).append(m)
        system: list[r.Message] = []
        data: str | None = None
        if wm.enabled:
            if wm.scope == "thread":
                value = (thread.metadata or {}).get("workingMemory") if thread is not None else None
                data = value if isinstance(value, str) else None
            else:
                data = res.working_memory if res is not None else None
            text = system_instruction(self.working_memory_template(cfg), data, wm.scope, read_only=cfg.read_only)
            system.append(system_message(WORKING_MEMORY_MESSAGE_ID, text, thread_id=thread_id, resource_id=resource_id))
        if other:
            system.append(
                system_message(
                    REMEMBERED_MESSAGE_ID,
                    remembered_text(other, thread_id),
                    thread_id=thread_id,
                    resource_id=resource_id,
                )
            )
        tools = [self.working_memory_tool(cfg)] if wm.enabled and not cfg.read_only else []
        return ModelContext(
            messages=[*system, *history, *new],
            new_messages=new,
            tools=tools,
            ranges=ranges,
            hits=hits,
            working_memory=data,
        )

    async def record_turn(
        self,
        *,
        thread_id: str,
        resource_id: str,
        messages: Sequence[r.Message | Mapping[str, Any] | str],
        config: ConfigArg = None,
    ) -> TurnResult:
        """Store what one turn produced: the user message(s), the assistant's answer and its tool calls.

        The thread is created when missing (a thread of another resource is refused); every
        ``updateWorkingMemory`` tool call (``{"memory": ...}``) is applied to working memory, in order,
        and stripped from the stored message; the messages are saved (embedded for semantic recall)
        and, with ``generate_title``, the first user message titles the thread. Strings are user
        messages; messages without a thread or resource get these. With ``read_only`` nothing is written.
        """
        cfg = self.config(config)
        msgs = [_new_message(x, thread_id, resource_id) for x in messages]
        if not self._writable(cfg, "RECORD_TURN"):
            return TurnResult(messages=[], working_memory=None, title=None)
        thread = await self.store.get_thread_by_id(thread_id=thread_id)
        if thread is None:
            thread = await self.create_thread(resource_id=resource_id, thread_id=thread_id, config=cfg)
        else:
            _check_owner(thread, resource_id, "RECORD_TURN")
        wm_text: str | None = None
        if cfg.working_memory.enabled:
            for m in msgs:
                for p in m.content.parts:
                    if isinstance(p, r.ToolInvocationPart) and p.tool_invocation.tool_name == TOOL_NAME:
                        args = p.tool_invocation.args
                        if isinstance(args, Mapping) and "memory" in args:
                            wm_text = await self.update_working_memory(
                                memory=args["memory"], thread_id=thread_id, resource_id=resource_id, config=cfg
                            )
                        else:
                            _log.warning(
                                "updateWorkingMemory call without a `memory` argument ignored", thread_id=thread_id
                            )
        saved = await self.save_messages(msgs, config=cfg)
        title = thread.title
        if cfg.generate_title:
            after = await self.store.get_thread_by_id(thread_id=thread_id)
            title = after.title if after is not None else title
        return TurnResult(messages=saved, working_memory=wm_text, title=title)

    async def search_messages(
        self,
        query: str,
        *,
        resource_id: str | None = None,
        thread_id: str | None = None,
        top_k: int | None = None,
        message_range: int = 0,
        config: ConfigArg = None,
    ) -> list[MessageHit]:
        """The stored messages most similar to ``query``, best first, among the threads of ``resource_id`` or
        in ``thread_id`` (one of them is required), each with ``message_range`` neighbours on each side.

        ``top_k`` defaults to the semantic-recall config (4 without one); the threshold applies. One
        vector query, then one storage call (``list_messages_by_id``, or ``list_messages`` with include
        windows when ``message_range`` > 0). Hits whose message was deleted are left out.
        """
        cfg = self.config(config)
        if self.vector is None or self.embedder is None:
            raise ValidationError(
                "searching messages needs a vector store and an embedder",
                id=memory_error_id("SEARCH_MESSAGES", "NO_VECTOR_STORE"),
            )
        if (resource_id is None) == (thread_id is None):
            raise ValidationError(
                "search_messages takes a resource_id or a thread_id",
                id=memory_error_id("SEARCH_MESSAGES", "SCOPE_REQUIRED"),
            )
        sr = cfg.semantic_recall or SemanticRecall()
        if top_k is not None:
            sr = attrs.evolve(sr, top_k=top_k)
        if not query.strip():
            return []
        hits = await self._search(
            query, sr, cfg, {"resource_id": resource_id} if resource_id is not None else {"thread_id": thread_id}
        )
        if not hits:
            return []
        hit_ids = [str(h.metadata.get("message_id") or h.id) for h in hits]
        if message_range <= 0:
            found = {m.id: m for m in await self.store.list_messages_by_id(message_ids=hit_ids)}
            return [
                MessageHit(message=found[i], score=h.score) for i, h in zip(hit_ids, hits, strict=True) if i in found
            ]
        threads = list(dict.fromkeys(str(h.metadata.get("thread_id")) for h in hits if h.metadata.get("thread_id")))
        page = await self.store.list_messages(
            thread_id=threads or [thread_id or ""],
            per_page=0,
            include=[
                r.MessageInclude(
                    id=i,
                    thread_id=h.metadata.get("thread_id"),
                    with_previous_messages=message_range,
                    with_next_messages=message_range,
                )
                for i, h in zip(hit_ids, hits, strict=True)
            ],
        )
        by_id = {m.id: m for m in page.items}
        ranges = {rg.hit_id: rg for rg in recalled_ranges(page.items, hits, message_range, message_range, "")}
        return [
            MessageHit(message=by_id[i], score=h.score, context=[by_id[c] for c in ranges[i].message_ids])
            for i, h in zip(hit_ids, hits, strict=True)
            if i in by_id and i in ranges
        ]

    async def _search(self, text: str, sr: SemanticRecall, cfg: MemoryConfig, flt: dict[str, Any]) -> list[QueryResult]:
        assert self.vector is not None and self.embedder is not None
        chunks = _chunks(text, QUERY_CHUNK_CHARS)
        vectors = await self.embedder.embed(chunks)
        name = self.index_name(len(vectors[0]), cfg)
        best: dict[str, QueryResult] = {}
        for v in vectors:
            try:
                found = await self.vector.query(index_name=name, query_vector=v, top_k=sr.top_k, filter=flt)
            except NotFoundError:
                return []  # nothing was ever embedded with this dimension
            for h in found:
                if sr.threshold is not None and h.score < sr.threshold:
                    continue
                if h.id not in best or h.score > best[h.id].score:
                    best[h.id] = h
        return sorted(best.values(), key=lambda h: (-h.score, h.id))[: sr.top_k]

    # ------------------------------------------------------------------ clones

    async def clone_thread(
        self,
        source_thread_id: str,
        *,
        new_thread_id: str | None = None,
        resource_id: str | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        config: ConfigArg = None,
    ) -> CloneResult:
        """Copy a thread (``options``: ``message_limit``, ``message_filter``); the copies are embedded too."""
        result = await self.store.clone_thread(
            source_thread_id=source_thread_id,
            new_thread_id=new_thread_id,
            resource_id=resource_id,
            title=title,
            metadata=metadata,
            options=options,
        )
        cfg = self.config(config)
        sr = self._semantic(cfg)
        if sr is not None and result.cloned_messages:
            embedded = await self._embed_messages(result.cloned_messages)
            if embedded:
                await self._upsert(embedded, sr, cfg)
        return result

    @staticmethod
    def get_clone_metadata(thread: r.Thread | None) -> dict[str, Any] | None:
        """``metadata["clone"]`` (sourceThreadId, clonedAt, lastMessageId) or None."""
        clone = (thread.metadata or {}).get("clone") if thread is not None else None
        return dict(clone) if isinstance(clone, Mapping) else None

    @classmethod
    def is_clone(cls, thread: r.Thread | None) -> bool:
        """Whether the thread was made by ``clone_thread``."""
        meta = cls.get_clone_metadata(thread)
        return bool(meta and meta.get("sourceThreadId"))

    async def get_source_thread(self, thread_id: str) -> r.Thread | None:
        """The thread this one was cloned from (None when not a clone or the source is gone)."""
        thread = await self.store.get_thread_by_id(thread_id=thread_id)
        meta = self.get_clone_metadata(thread)
        if not meta or not meta.get("sourceThreadId"):
            return None
        return await self.store.get_thread_by_id(thread_id=str(meta["sourceThreadId"]))

    async def list_clones(self, source_thread_id: str, *, resource_id: str | None = None) -> list[r.Thread]:
        """Direct clones of a thread among the threads of ``resource_id`` (default: the source's resource), oldest
        first."""
        if resource_id is None:
            source = await self.store.get_thread_by_id(thread_id=source_thread_id)
            if source is None:
                return []
            resource_id = source.resource_id
        page = await self.store.list_threads(
            filter={"resource_id": resource_id}, per_page=False, order_by={"field": "created_at", "direction": "ASC"}
        )
        return [t for t in page.items if (self.get_clone_metadata(t) or {}).get("sourceThreadId") == source_thread_id]

    async def get_clone_history(self, thread_id: str) -> list[r.Thread]:
        """The chain of sources back to the original, oldest first, ending with the thread itself."""
        chain: list[r.Thread] = []
        seen: set[str] = set()
        current = await self.store.get_thread_by_id(thread_id=thread_id)
        while current is not None and current.id not in seen:
            chain.append(current)
            seen.add(current.id)
            meta = self.get_clone_metadata(current)
            source_id = meta.get("sourceThreadId") if meta else None
            current = await self.store.get_thread_by_id(thread_id=str(source_id)) if source_id else None
        return list(reversed(chain))

    # ------------------------------------------------------------------ working memory

    def working_memory_template(self, config: ConfigArg = None) -> WorkingMemoryTemplate:
        """``json`` with the schema when one is set, else ``markdown`` with the template (default template)."""
        wm = self.config(config).working_memory
        if wm.schema is not None:
            return WorkingMemoryTemplate(format="json", content=json.dumps(wm.schema, indent=2, sort_keys=True))
        return WorkingMemoryTemplate(format="markdown", content=(wm.template or DEFAULT_TEMPLATE).strip())

    async def _wm_resource_id(self, thread_id: str | None, resource_id: str | None, op: str) -> str:
        if resource_id:
            return resource_id
        if thread_id:
            thread = await self.store.get_thread_by_id(thread_id=thread_id)
            if thread is not None:
                return thread.resource_id
        raise ValidationError(
            "resource-scoped working memory needs a resource_id", id=memory_error_id(op, "RESOURCE_ID_REQUIRED")
        )

    async def get_working_memory(
        self, *, thread_id: str | None = None, resource_id: str | None = None, config: ConfigArg = None
    ) -> str | None:
        """The stored working memory text (None when disabled or empty)."""
        wm = self.config(config).working_memory
        if not wm.enabled:
            return None
        if wm.scope == "thread":
            if not thread_id:
                raise ValidationError(
                    "thread-scoped working memory needs a thread_id",
                    id=memory_error_id("GET_WORKING_MEMORY", "THREAD_ID_REQUIRED"),
                )
            thread = await self.store.get_thread_by_id(thread_id=thread_id)
            if thread is not None and resource_id is not None:
                _check_owner(thread, resource_id, "GET_WORKING_MEMORY")
            value = (thread.metadata or {}).get("workingMemory") if thread is not None else None
            return value if isinstance(value, str) else None
        rid = await self._wm_resource_id(thread_id, resource_id, "GET_WORKING_MEMORY")
        resource = await self.store.get_resource_by_id(resource_id=rid)
        return resource.working_memory if resource is not None else None

    async def update_working_memory(
        self,
        *,
        memory: str | Mapping[str, Any],
        thread_id: str | None = None,
        resource_id: str | None = None,
        config: ConfigArg = None,
    ) -> str:
        """Store an update atomically and return the new text.

        Markdown mode: ``memory`` (a string) replaces the text. JSON-schema mode: ``memory`` (an object or
        a JSON string) deep-merges into the stored object (null deletes a key, arrays replace). Resource
        scope uses ``modify_resource``, thread scope ``modify_thread`` (creating the thread when missing),
        so concurrent updates never lose one another on any backend.
        """
        cfg = self.config(config)
        wm = cfg.working_memory
        op = "UPDATE_WORKING_MEMORY"
        if not wm.enabled:
            raise ValidationError(
                "working memory is not enabled in this memory's config", id=memory_error_id(op, "DISABLED")
            )
        if cfg.read_only:
            raise ValidationError(
                "this memory is read-only: working memory cannot be updated", id=memory_error_id(op, "READ_ONLY")
            )
        compute = _wm_updater(memory, json_mode=wm.schema is not None, op=op)
        if wm.scope == "resource":
            rid = await self._wm_resource_id(thread_id, resource_id, op)
            if thread_id and resource_id:
                thread = await self.store.get_thread_by_id(thread_id=thread_id)
                if thread is not None:
                    _check_owner(thread, resource_id, op)

            def change_resource(old: r.Resource | None) -> r.Resource:
                now = utc_now()
                if old is None:
                    return r.Resource(id=rid, working_memory=compute(None), metadata={}, created_at=now, updated_at=now)
                from mastra_core.domains.memory import bump_time

                return attrs.evolve(
                    old, working_memory=compute(old.working_memory), updated_at=bump_time(old.updated_at)
                )

            stored = await self.store.modify_resource(resource_id=rid, change=change_resource, op=op)
            return stored.working_memory or ""
        if not thread_id:
            raise ValidationError(
                "thread-scoped working memory needs a thread_id", id=memory_error_id(op, "THREAD_ID_REQUIRED")
            )

        def change_thread(old: r.Thread) -> r.Thread:
            from mastra_core.domains.memory import bump_time

            meta = dict(old.metadata or {})
            current = meta.get("workingMemory")
            meta["workingMemory"] = compute(current if isinstance(current, str) else None)
            return attrs.evolve(old, metadata=meta, updated_at=bump_time(old.updated_at))

        existing = await self.store.get_thread_by_id(thread_id=thread_id)
        if existing is None:
            if not resource_id:
                raise NotFoundError(f"No thread found with id {thread_id}", id=memory_error_id(op, "THREAD_NOT_FOUND"))
            async with self._lock(thread_id):
                if await self.store.get_thread_by_id(thread_id=thread_id) is None:
                    await self.create_thread(resource_id=resource_id, thread_id=thread_id, config=cfg)
        elif resource_id is not None:
            _check_owner(existing, resource_id, op)
        stored_thread = await self.store.modify_thread(thread_id=thread_id, change=change_thread, op=op)
        return str((stored_thread.metadata or {}).get("workingMemory") or "")

    async def get_system_message(
        self, *, thread_id: str | None = None, resource_id: str | None = None, config: ConfigArg = None
    ) -> str | None:
        """The working-memory instruction for the model (template + current data), or None when disabled."""
        cfg = self.config(config)
        if not cfg.working_memory.enabled:
            return None
        data = await self.get_working_memory(thread_id=thread_id, resource_id=resource_id, config=cfg)
        return system_instruction(self.working_memory_template(cfg), data, cfg.working_memory.scope)

    def working_memory_tool(self, config: ConfigArg = None) -> WorkingMemoryTool:
        """The ``updateWorkingMemory`` tool: name, description, JSON schema of its input, and ``execute``."""
        cfg = self.config(config)
        template = self.working_memory_template(cfg)
        json_mode = template.format == "json"

        async def run(
            args: Mapping[str, Any], *, thread_id: str | None = None, resource_id: str | None = None
        ) -> dict[str, Any]:
            if not isinstance(args, Mapping) or "memory" not in args:
                raise ValidationError(
                    'the tool input must be {"memory": ...}', id=memory_error_id("WORKING_MEMORY_TOOL", "INVALID_INPUT")
                )
            text = await self.update_working_memory(
                memory=args["memory"], thread_id=thread_id, resource_id=resource_id, config=cfg
            )
            return {"success": True, "working_memory": text}

        description = (
            "Update the working memory: persistent notes about the user, kept across "
            + ("conversations" if cfg.working_memory.scope == "resource" else "this conversation")
            + (
                ". Send only the fields that changed; null removes a field."
                if json_mode
                else ". Send the complete Markdown document; it replaces the stored one."
            )
        )
        return WorkingMemoryTool(
            name=TOOL_NAME,
            id=TOOL_ID,
            description=description,
            input_schema=tool_input_schema(template, cfg.working_memory.schema),
            run=run,
        )

    def list_tools(self, config: ConfigArg = None) -> dict[str, WorkingMemoryTool]:
        """``{"updateWorkingMemory": tool}`` when working memory is enabled, else ``{}``."""
        cfg = self.config(config)
        return {TOOL_NAME: self.working_memory_tool(cfg)} if cfg.working_memory.enabled else {}

    # ------------------------------------------------------------------ titles

    async def _maybe_generate_titles(self, saved: Sequence[r.Message], cfg: MemoryConfig) -> None:
        batch_ids = {m.id for m in saved}
        first_user: dict[str, r.Message] = {}
        for m in saved:
            if m.role == "user" and m.thread_id and m.thread_id not in first_user:
                first_user[m.thread_id] = m
        for tid, msg in first_user.items():
            if tid in self._has_user_message:
                continue
            self._has_user_message.add(tid)
            try:
                earlier = await self.store.list_messages(
                    thread_id=tid, per_page=50, order_by={"field": "created_at", "direction": "ASC"}
                )
                if any(m.role == "user" and m.id not in batch_ids for m in earlier.items):
                    continue
            except StorageError:
                _log.warning("title generation skipped: could not read the thread", thread_id=tid, exc_info=True)
                continue
            await self.generate_title(tid, msg, config=cfg)

    async def generate_title(self, thread_id: str, message: r.Message | str, *, config: ConfigArg = None) -> str | None:
        """Generate and store a title from a message now; returns it, or None when generation failed (logged)
        or the memory is read-only."""
        cfg = self.config(config)
        generator, kwargs = self._title_generator(cfg)
        text = message if isinstance(message, str) else titles.title_source(message)
        if not text.strip() or not self._writable(cfg, "GENERATE_TITLE"):
            return None
        try:
            if inspect.iscoroutinefunction(generator):
                raw = await generator(text, **kwargs)
            else:
                raw = await asyncio.to_thread(generator, text, **kwargs)
                if inspect.isawaitable(raw):
                    raw = await raw
            title = titles.clean_title(str(raw))
            if not title:
                _log.warning("title generator returned an empty title", thread_id=thread_id)
                return None
            await self.store.update_thread(id=thread_id, title=title)
            return title
        except Exception:
            _log.warning("title generation failed; the title is unchanged", thread_id=thread_id, exc_info=True)
            return None


# ---------------------------------------------------------------------- helpers


def _check_owner(thread: r.Thread, resource_id: str, op: str) -> None:
    if thread.resource_id != resource_id:
        raise ValidationError(
            f"Thread with id {thread.id} is for resource with id {thread.resource_id} "
            f"but resource {resource_id} was queried.",
            id=memory_error_id(op, "RESOURCE_MISMATCH"),
            details={"threadId": thread.id, "threadResourceId": thread.resource_id, "resourceId": resource_id},
        )


def _to_message(value: r.Message | Mapping[str, Any]) -> r.Message:
    if isinstance(value, r.Message):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"expected a Message or a mapping, got {type(value).__name__}",
            id=memory_error_id("SAVE_MESSAGES", "INVALID_INPUT"),
        )
    raw = dict(value)
    raw.setdefault("id", str(uuid.uuid4()))
    if isinstance(raw.get("content"), str):
        text = raw["content"]
        raw["content"] = {"format": 2, "parts": [{"type": "text", "text": text}], "content": text}
    try:
        return from_wire(raw, r.Message)
    except Exception as exc:
        raise ValidationError(
            f"cannot read a message from {value!r}: {exc}", id=memory_error_id("SAVE_MESSAGES", "INVALID_INPUT")
        ) from None


def _new_message(value: r.Message | Mapping[str, Any] | str, thread_id: str, resource_id: str) -> r.Message:
    """A message of a turn: a string is a user message; a missing thread or resource is filled in."""
    if isinstance(value, str):
        return r.Message.from_text(value, id=str(uuid.uuid4()), thread_id=thread_id, resource_id=resource_id)
    msg = _to_message(value)
    if msg.thread_id is None or msg.resource_id is None:
        msg = attrs.evolve(msg, thread_id=msg.thread_id or thread_id, resource_id=msg.resource_id or resource_id)
    return msg


def _strip_working_memory(msg: r.Message) -> r.Message | None:
    """Remove ``<working_memory>`` blocks and ``updateWorkingMemory`` tool calls; None when nothing is left."""
    parts: list[r.Part] = []
    changed = False
    for part in msg.content.parts:
        if isinstance(part, r.ToolInvocationPart) and part.tool_invocation.tool_name == TOOL_NAME:
            changed = True
            continue
        if isinstance(part, r.TextPart) and "<working_memory>" in part.text:
            text = _WM_TAG.sub("", part.text).strip()
            changed = True
            if not text:
                continue
            part = attrs.evolve(part, text=text)
        parts.append(part)
    content = msg.content.content
    if content and "<working_memory>" in content:
        content = _WM_TAG.sub("", content).strip() or None
        changed = True
    if not changed:
        return msg
    if not parts and not content:
        return None
    return attrs.evolve(msg, content=attrs.evolve(msg.content, parts=parts, content=content))


def _wm_updater(memory: Any, *, json_mode: bool, op: str) -> Callable[[str | None], str]:
    if json_mode:
        patch = memory
        if isinstance(patch, str):
            try:
                patch = json.loads(patch)
            except ValueError:
                raise ValidationError(
                    "JSON working memory updates must be an object or a JSON object string",
                    id=memory_error_id(op, "INVALID_MEMORY"),
                ) from None
        if not isinstance(patch, Mapping):
            raise ValidationError(
                "JSON working memory updates must be an object", id=memory_error_id(op, "INVALID_MEMORY")
            )
        frozen = json.loads(json.dumps(patch))

        def merge(old: str | None) -> str:
            return json.dumps(deep_merge(parse_json_memory(old), frozen), ensure_ascii=False, sort_keys=True)

        return merge
    if not isinstance(memory, str):
        raise ValidationError(
            "Markdown working memory updates must be a string", id=memory_error_id(op, "INVALID_MEMORY")
        )
    text = memory

    def replace(_: str | None) -> str:
        return text

    return replace


def _chunks(text: str, size: int) -> list[str]:
    if len(text) <= size:
        return [text]
    out: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > size:
            out.append(current)
            current = ""
        current = f"{current} {word}" if current else word[:size]
    if current:
        out.append(current)
    return out


def _resolve_vector(vector: VectorStore | str | None) -> VectorStore | None:
    if vector is None or isinstance(vector, VectorStore):
        return vector
    if isinstance(vector, str):
        from mastra_core.registry import registry

        entry = registry().vector_stores.get(vector)
        if entry is None:
            raise ValidationError(
                f"no vector store {vector!r} is registered (registered: {sorted(registry().vector_stores)})",
                id=memory_error_id("INIT", "UNKNOWN_VECTOR_STORE"),
            )
        store = entry[0]()
        if not isinstance(store, VectorStore):
            raise ValidationError(
                f"vector store factory {vector!r} did not return a VectorStore",
                id=memory_error_id("INIT", "INVALID_VECTOR_STORE"),
            )
        return store
    raise ValidationError(
        f"vector must be a VectorStore or a registered id, got {type(vector).__name__}",
        id=memory_error_id("INIT", "INVALID_VECTOR_STORE"),
    )


def _resolve_embedder(embedder: Any) -> Any:
    if isinstance(embedder, str):
        from mastra_core.registry import registry

        entry = registry().embedders.get(embedder)
        if entry is None:
            if embedder == "hash":
                from .embedding import HashEmbedder

                return HashEmbedder()
            raise ValidationError(
                f"no embedder {embedder!r} is registered (registered: {sorted(registry().embedders)})",
                id=memory_error_id("INIT", "UNKNOWN_EMBEDDER"),
            )
        return entry[0]()
    return embedder
