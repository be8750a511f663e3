"""The memory domain: threads, messages and resources."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from .. import records as r
from ..clock import to_ms, utc_now
from ..log import get_logger
from ..pagination import DateRange, OrderBy, Page, PerPage
from ..records.queries import CloneRequest, MessageQuery, ThreadQuery
from ..values import id_problem
from .base import DomainStore, record_from

_log = get_logger("mastra_core.storage")

_UNSET: Any = object()
R = TypeVar("R", r.Thread, r.Message, r.Resource)


def _at_ms(record: R, *names: str) -> R:
    """``record`` with these datetime fields in UTC milliseconds; the record itself when they already are (the usual
    case: an ``attrs.evolve`` per message was a tenth of save_messages' own CPU)."""
    changes: dict[str, Any] = {}
    for name in names:
        value = getattr(record, name)
        ms = to_ms(value)
        if ms is not value:
            changes[name] = ms
    return attrs.evolve(record, **changes) if changes else record
ROLES = ("user", "assistant", "system", "tool")


@attrs.define(kw_only=True)
class CloneResult:
    """What ``clone_thread`` returns."""

    thread: r.Thread
    cloned_messages: list[r.Message]


@attrs.define(frozen=True, kw_only=True)
class ThreadPatch:
    """What ``update_thread`` changes: the title when ``set_title``, metadata shallow-merged when not None.

    :meth:`apply` is the semantics (the in-memory spec); a backend's one-statement path must match it,
    ``updated_at`` included (now, but strictly after the stored one).
    """

    set_title: bool
    title: str | None
    metadata: Mapping[str, Any] | None

    def apply(self, thread: r.Thread) -> r.Thread:
        """The thread after this patch."""
        new_meta = {**(thread.metadata or {}), **self.metadata} if self.metadata is not None else thread.metadata
        return attrs.evolve(
            thread,
            title=self.title if self.set_title else thread.title,
            metadata=new_meta,
            updated_at=_after(thread.updated_at),
        )


@attrs.define(frozen=True, kw_only=True)
class ResourcePatch:
    """What ``update_resource`` changes: working memory when ``set_working_memory``, metadata shallow-merged when
    not None; a missing resource is created from the patch (created_at = updated_at = now)."""

    set_working_memory: bool
    working_memory: str | None
    metadata: Mapping[str, Any] | None

    def apply(self, resource_id: str, old: r.Resource | None) -> r.Resource:
        """The resource after this patch (``old`` None: it does not exist yet)."""
        if old is None:
            now = utc_now()
            return r.Resource(
                id=resource_id,
                working_memory=self.working_memory,
                metadata=dict(self.metadata or {}),
                created_at=now,
                updated_at=now,
            )
        return attrs.evolve(
            old,
            working_memory=self.working_memory if self.set_working_memory else old.working_memory,
            metadata={**(old.metadata or {}), **self.metadata} if self.metadata is not None else old.metadata,
            updated_at=_after(old.updated_at),
        )


@attrs.define(kw_only=True)
class MessageUpdate:
    """A partial message for ``update_messages``: unset fields stay as they are.

    ``content`` is merged over the stored content (its ``metadata`` one level deep); ``thread_id``
    moves the message.
    """

    id: str
    role: Any = _UNSET
    type: Any = _UNSET
    thread_id: Any = _UNSET
    resource_id: Any = _UNSET
    content: Any = _UNSET  # a mapping of wire or snake_case content fields, or a MessageContent


class MemoryStore(DomainStore, abc.ABC):
    """Threads, messages and resources. See DESIGN.md section 4 for the fixed semantics."""

    domain = "memory"

    # ---------------------------------------------------------------- threads

    async def get_thread_by_id(self, *, thread_id: str) -> r.Thread | None:
        """The thread, or None (expired threads are None too)."""
        tid = self.checks("GET_THREAD_BY_ID").id(thread_id, "THREAD_ID")
        return await self._run("GET_THREAD_BY_ID", lambda: self._get_thread(tid))

    async def save_thread(self, *, thread: r.Thread) -> r.Thread:
        """Insert or replace a thread by id; an existing thread keeps its ``created_at``. Returns the stored thread."""
        c = self.checks("SAVE_THREAD")
        thread = _as(thread, r.Thread, c)
        c.id(thread.id, "THREAD_ID")
        c.id(thread.resource_id, "RESOURCE_ID")
        c.mapping(thread.metadata, "METADATA")
        c.value(thread, "THREAD")
        thread = _at_ms(thread, "created_at", "updated_at")
        return await self._run("SAVE_THREAD", lambda: self._save_thread(thread))

    async def update_thread(
        self, *, id: str, title: Any = _UNSET, metadata: Mapping[str, Any] | None = None
    ) -> r.Thread:
        """Replace the title (when given), shallow-merge metadata, bump ``updated_at``; atomic. Missing thread:
        NotFoundError."""
        c = self.checks("UPDATE_THREAD")
        tid = c.id(id, "THREAD_ID")
        patch = c.mapping(metadata, "METADATA")
        if title is not _UNSET and title is not None and not isinstance(title, str):
            raise c.fail("INVALID_TITLE", f"title must be a string, got {type(title).__name__}")
        if title is not _UNSET:
            c.value(title, "TITLE")

        update = ThreadPatch(set_title=title is not _UNSET, title=None if title is _UNSET else title, metadata=patch)

        async def go() -> r.Thread:
            from ..errors import NotFoundError, error_id

            result = await self._update_thread(tid, update)
            if result is None:
                raise NotFoundError(
                    f"thread {tid!r} not found",
                    id=error_id(self.backend_token, "UPDATE_THREAD", "NOT_FOUND"),
                    details={"threadId": tid},
                )
            return result

        return await self._run("UPDATE_THREAD", go)

    async def modify_thread(
        self, *, thread_id: str, change: Callable[[r.Thread], r.Thread], op: str = "MODIFY_THREAD"
    ) -> r.Thread:
        """Atomic read-modify-write of one thread (``change`` may run more than once; keep it pure)."""
        from ..errors import NotFoundError, error_id

        c = self.checks(op)
        tid = c.id(thread_id, "THREAD_ID")

        def checked(thread: r.Thread) -> r.Thread:
            new = change(thread)
            c.value(_as(new, r.Thread, c), "THREAD")  # what a change makes is checked before it is written
            return new

        async def go() -> r.Thread:
            result = await self._modify_thread(tid, checked)
            if result is None:
                raise NotFoundError(
                    f"thread {tid!r} not found",
                    id=error_id(self.backend_token, op, "NOT_FOUND"),
                    details={"threadId": tid},
                )
            return result

        return await self._run(op, go)

    async def delete_thread(self, *, thread_id: str) -> None:
        """Delete a thread and all its messages (one transaction where the backend has them); missing is fine."""
        tid = self.checks("DELETE_THREAD").id(thread_id, "THREAD_ID")
        await self._run("DELETE_THREAD", lambda: self._delete_thread(tid))

    async def list_threads(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        page: int = 0,
        per_page: PerPage = 100,
        order_by: OrderBy | Mapping[str, Any] | None = None,
    ) -> Page[r.Thread]:
        """Threads matching ``filter`` (``resource_id`` and/or ``metadata``: deep equality per key, ANDed), newest
        first by default."""
        c = self.checks("LIST_THREADS")
        f = dict(filter or {})
        resource_id = f.pop("resource_id", f.pop("resourceId", None))
        metadata = f.pop("metadata", None)
        if f:
            raise c.fail("INVALID_FILTER", f"unknown thread filter key(s) {sorted(f)}; use resource_id and metadata")
        pg = c.page(page)
        q = ThreadQuery(
            resource_id=c.optional_id(resource_id, "RESOURCE_ID"),
            metadata=c.metadata_filter(metadata),
            page=pg,
            per_page=c.per_page(per_page, pg),
            order_field=(ob := c.order_by(order_by, ("created_at", "updated_at"), "created_at", "DESC")).field,
            direction=ob.direction,
        )
        return await self._run("LIST_THREADS", lambda: self._list_threads(q))

    # ---------------------------------------------------------------- messages

    async def list_messages(
        self,
        *,
        thread_id: str | Sequence[str],
        resource_id: str | None = None,
        include: Sequence[r.MessageInclude | Mapping[str, Any]] | None = None,
        per_page: PerPage = 40,
        page: int = 0,
        filter: Mapping[str, Any] | None = None,
        order_by: OrderBy | Mapping[str, Any] | None = None,
    ) -> Page[r.Message]:
        """A page of a thread's (or several threads') messages plus include windows; see :class:`MessageQuery`."""
        c = self.checks("LIST_MESSAGES")
        if isinstance(thread_id, str):
            thread_ids: tuple[str, ...] = (thread_id,)
        else:  # a mapping or a set is not a list of ids (a dict would iterate its keys)
            thread_ids = tuple(thread_id) if isinstance(thread_id, list | tuple) else ()
        if not thread_ids or any(id_problem(t) for t in thread_ids):
            raise c.fail(
                "INVALID_THREAD_ID",
                "threadId must be a non-empty string or array of non-empty strings",
                thread_id=thread_id,
            )
        pg = c.page(page)
        pp = c.per_page(per_page, pg)
        ob = c.order_by(order_by, ("created_at",), "created_at", "ASC")
        dr = _date_range((filter or {}).get("date_range", (filter or {}).get("dateRange")), c)
        unknown = set(filter or {}) - {"date_range", "dateRange"}
        if unknown:
            raise c.fail("INVALID_FILTER", f"unknown message filter key(s) {sorted(unknown)}; use date_range")
        includes = tuple(_include(i, c) for i in include or ())
        q = MessageQuery(
            thread_ids=tuple(dict.fromkeys(thread_ids)),
            resource_id=c.optional_id(resource_id, "RESOURCE_ID"),
            start=dr.start,
            end=dr.end,
            start_exclusive=dr.start_exclusive,
            end_exclusive=dr.end_exclusive,
            include=includes,
            page=pg,
            per_page=pp,
            direction=ob.direction,
        )
        return await self._run("LIST_MESSAGES", lambda: self._list_messages(q))

    async def list_messages_by_id(self, *, message_ids: Sequence[str]) -> list[r.Message]:
        """The messages with these ids, from any thread, oldest first; unknown ids are ignored."""
        ids = self.checks("LIST_MESSAGES_BY_ID").ids(message_ids, "MESSAGE_IDS")
        if not ids:
            return []
        return await self._run("LIST_MESSAGES_BY_ID", lambda: self._list_messages_by_id(tuple(dict.fromkeys(ids))))

    async def save_messages(self, *, messages: Sequence[r.Message | Mapping[str, Any]]) -> list[r.Message]:
        """Upsert messages by id, all or nothing; kept ``created_at``, moves between threads, bumps ``updated_at``
        of their threads.

        Messages with equal ``created_at`` keep the order given. Returns the messages as given (one
        write, no read back): a re-saved message keeps its stored ``created_at``, which a later read shows.
        """
        c = self.checks("SAVE_MESSAGES")
        batch = [_as(m, r.Message, c) for m in messages]
        seen: set[str] = set()
        for m in batch:
            c.id(m.id, "MESSAGE_ID")
            if m.id in seen:
                raise c.fail(
                    "DUPLICATE_MESSAGE_ID",
                    f"message id {m.id!r} appears twice in one save_messages call",
                    message_id=m.id,
                )
            seen.add(m.id)
            if not isinstance(m.thread_id, str) or not m.thread_id.strip():
                raise c.fail("INVALID_THREAD_ID", f"Thread ID is required (message {m.id!r})", message_id=m.id)
            if not isinstance(m.resource_id, str) or not m.resource_id.strip():
                raise c.fail(
                    "INVALID_RESOURCE_ID", f"Expected to find a resourceId for message {m.id!r}", message_id=m.id
                )
            c.id(m.thread_id, "THREAD_ID")
            c.id(m.resource_id, "RESOURCE_ID")
            c.one_of(m.role, "ROLE", ROLES)
            if not isinstance(m.content, r.MessageContent):
                raise c.fail("INVALID_CONTENT", f"message {m.id!r} content must be MessageContent (a str is turned "
                             "into one only when the Message is built, not on assignment)", message_id=m.id)
            c.value(m, "MESSAGE")
        if not batch:
            return []
        batch = [_at_ms(m, "created_at") for m in batch]

        async def go() -> list[r.Message]:
            await self._save_messages(batch)
            return batch

        return await self._run("SAVE_MESSAGES", go)

    async def update_messages(self, *, messages: Sequence[MessageUpdate | Mapping[str, Any]]) -> list[r.Message]:
        """Apply partial updates; unknown ids are ignored. Bumps the old and new thread of a moved message."""
        c = self.checks("UPDATE_MESSAGES")
        updates = [_update(u, c) for u in messages]
        if not updates:
            return []

        async def go() -> list[r.Message]:
            existing = {m.id: m for m in await self._list_messages_by_id(tuple(dict.fromkeys(u.id for u in updates)))}
            if not existing:
                return []
            touched: set[str] = set()
            changed: dict[str, r.Message] = {}
            for u in updates:
                old = changed.get(u.id) or existing.get(u.id)
                if old is None:
                    continue
                new = _apply_update(old, u, c)
                c.value(new, "MESSAGE")  # the merged message, before anything is written
                touched.update(t for t in (old.thread_id, new.thread_id) if t)
                changed[u.id] = new
            await self._write_messages(list(changed.values()), touched)
            return await self._list_messages_by_id(tuple(changed))

        return await self._run("UPDATE_MESSAGES", go)

    async def delete_messages(self, *, message_ids: Sequence[str]) -> None:
        """Delete messages by id (unknown ids ignored) and bump ``updated_at`` of their threads."""
        ids = self.checks("DELETE_MESSAGES").ids(message_ids, "MESSAGE_IDS")
        if not ids:
            return
        await self._run("DELETE_MESSAGES", lambda: self._delete_messages(tuple(dict.fromkeys(ids))))

    # ---------------------------------------------------------------- resources

    async def get_resource_by_id(self, *, resource_id: str) -> r.Resource | None:
        """The resource, or None."""
        rid = self.checks("GET_RESOURCE_BY_ID").id(resource_id, "RESOURCE_ID")
        return await self._run("GET_RESOURCE_BY_ID", lambda: self._get_resource(rid))

    async def save_resource(self, *, resource: r.Resource) -> r.Resource:
        """Insert or replace a resource; an existing one keeps its ``created_at``."""
        c = self.checks("SAVE_RESOURCE")
        resource = _as(resource, r.Resource, c)
        c.id(resource.id, "RESOURCE_ID")
        c.mapping(resource.metadata, "METADATA")
        if resource.working_memory is not None and not isinstance(resource.working_memory, str):
            raise c.fail("INVALID_WORKING_MEMORY", "working_memory must be a string")
        c.value(resource, "RESOURCE")
        resource = _at_ms(resource, "created_at", "updated_at")
        return await self._run("SAVE_RESOURCE", lambda: self._save_resource(resource))

    async def update_resource(
        self, *, resource_id: str, working_memory: Any = _UNSET, metadata: Mapping[str, Any] | None = None
    ) -> r.Resource:
        """Atomically set working memory (when given) and shallow-merge metadata; creates the resource if missing."""
        c = self.checks("UPDATE_RESOURCE")
        rid = c.id(resource_id, "RESOURCE_ID")
        patch = c.mapping(metadata, "METADATA")
        if working_memory is not _UNSET and working_memory is not None and not isinstance(working_memory, str):
            raise c.fail("INVALID_WORKING_MEMORY", "working_memory must be a string")
        if working_memory is not _UNSET:
            c.value(working_memory, "WORKING_MEMORY")

        update = ResourcePatch(
            set_working_memory=working_memory is not _UNSET,
            working_memory=None if working_memory is _UNSET else working_memory,
            metadata=patch,
        )
        return await self._run("UPDATE_RESOURCE", lambda: self._update_resource(rid, update))

    async def modify_resource(
        self, *, resource_id: str, change: Callable[[r.Resource | None], r.Resource], op: str = "MODIFY_RESOURCE"
    ) -> r.Resource:
        """Atomic read-modify-write of one resource; ``change`` receives None when it does not exist yet."""
        c = self.checks(op)
        rid = c.id(resource_id, "RESOURCE_ID")

        def checked(old: r.Resource | None) -> r.Resource:
            new = change(old)
            c.value(_as(new, r.Resource, c), "RESOURCE")  # what a change makes is checked before it is written
            return new

        return await self._run(op, lambda: self._modify_resource(rid, checked))

    # ---------------------------------------------------------------- clone

    async def clone_thread(
        self,
        *,
        source_thread_id: str,
        new_thread_id: str | None = None,
        resource_id: str | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> CloneResult:
        """Copy a thread and (a filtered subset of) its messages to a new thread with new message ids."""
        c = self.checks("CLONE_THREAD")
        opts = dict(options or {})
        aliases = {"messageLimit": "message_limit", "messageFilter": "message_filter"}
        opts = _renamed(opts, aliases)
        unknown = set(opts) - {"message_limit", "message_filter"}
        if unknown:
            raise c.fail("INVALID_OPTIONS", f"unknown clone option(s) {sorted(unknown)}")
        mf = _renamed(
            opts.get("message_filter") or {},
            {"startDate": "start_date", "endDate": "end_date", "messageIds": "message_ids"},
        )
        if set(mf) - {"start_date", "end_date", "message_ids"}:
            raise c.fail(
                "INVALID_OPTIONS",
                f"unknown message_filter key(s) {sorted(set(mf) - {'start_date', 'end_date', 'message_ids'})}",
            )
        limit = opts.get("message_limit")
        if title is not None and not isinstance(title, str):
            raise c.fail("INVALID_TITLE", f"title must be a string, got {type(title).__name__}", field="title")
        c.value(title, "TITLE")
        req = CloneRequest(
            source_thread_id=c.id(source_thread_id, "SOURCE_THREAD_ID"),
            new_thread_id=c.id(new_thread_id, "NEW_THREAD_ID") if new_thread_id is not None else str(uuid.uuid4()),
            resource_id=c.optional_id(resource_id, "RESOURCE_ID"),
            title=title,
            metadata=c.mapping(metadata, "METADATA"),
            message_limit=None if limit is None else c.count(limit, "MESSAGE_LIMIT"),
            start_date=c.date(mf.get("start_date"), "START_DATE"),
            end_date=c.date(mf.get("end_date"), "END_DATE"),
            message_ids=None if mf.get("message_ids") is None else c.ids(mf["message_ids"], "MESSAGE_IDS"),
        )
        return await self._run("CLONE_THREAD", lambda: self._clone_thread(req))

    async def _clone_thread(self, req: CloneRequest) -> CloneResult:
        """Default clone over the other primitives; a failure after the thread was written removes it again.

        SQL backends override this with one transaction.
        """
        from ..errors import ValidationError, error_id

        source = await self._get_thread(req.source_thread_id)
        if source is None:
            raise ValidationError(
                f"source thread {req.source_thread_id!r} not found",
                id=error_id(self.backend_token, "CLONE_THREAD", "SOURCE_NOT_FOUND"),
            )
        if await self._get_thread(req.new_thread_id) is not None:
            raise ValidationError(
                f"thread {req.new_thread_id!r} already exists",
                id=error_id(self.backend_token, "CLONE_THREAD", "THREAD_EXISTS"),
            )
        thread, copies = plan_clone(source, await self._all_messages(source.id), req)
        try:
            await self._save_thread(thread)
            if copies:
                await self._save_messages(copies)
        except ValidationError:
            raise
        except BaseException:
            # the thread's save may have landed even when its reply was lost: remove it, so neither half a
            # clone stays nor a retry of the whole clone finds "its" thread already there
            try:
                await self._delete_thread(thread.id)
            except Exception:
                _log.warning("could not remove a half-written clone", thread_id=thread.id, exc_info=True)
            raise
        return CloneResult(thread=(await self._get_thread(thread.id)) or thread, cloned_messages=copies)

    async def _all_messages(self, thread_id: str) -> list[r.Message]:
        q = MessageQuery(
            thread_ids=(thread_id,),
            resource_id=None,
            start=None,
            end=None,
            start_exclusive=False,
            end_exclusive=False,
            include=(),
            page=0,
            per_page=False,
            direction="ASC",
        )
        return (await self._list_messages(q)).items

    # ---------------------------------------------------------------- backend hooks

    @abc.abstractmethod
    async def _get_thread(self, thread_id: str) -> r.Thread | None: ...

    @abc.abstractmethod
    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        """Upsert; keep ``created_at`` of an existing row; set expiry; return the stored thread."""

    @abc.abstractmethod
    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        """Atomically apply ``change`` to the stored thread; None if it does not exist."""

    @abc.abstractmethod
    async def _delete_thread(self, thread_id: str) -> None: ...

    @abc.abstractmethod
    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]: ...

    @abc.abstractmethod
    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]: ...

    @abc.abstractmethod
    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        """Messages with these ids, oldest first in total order (created_at, sequence)."""

    @abc.abstractmethod
    async def _save_messages(self, messages: list[r.Message]) -> None:
        """Upsert all or nothing, in the given order (it is the tie-break sequence for new rows).

        An existing message keeps its created_at and sequence and takes every other field (so it may
        move thread). Sets expiry. Bumps ``updated_at`` of every thread in ``messages``.
        """

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        """Write updated messages (existing ids) and bump ``touched_thread_ids``; all or nothing.

        Default: ``_save_messages`` plus a bump of threads it does not cover. Backends with transactions override.
        """
        await self._save_messages(messages)
        rest = touched_thread_ids - {m.thread_id for m in messages if m.thread_id}
        for tid in rest:
            await self._modify_thread(tid, lambda t: attrs.evolve(t, updated_at=_after(t.updated_at)))

    @abc.abstractmethod
    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        """Delete these messages and bump ``updated_at`` of the threads they were in."""

    @abc.abstractmethod
    async def _get_resource(self, resource_id: str) -> r.Resource | None: ...

    @abc.abstractmethod
    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        """Upsert keeping ``created_at``; set expiry; return the stored resource."""

    @abc.abstractmethod
    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        """Atomically apply ``change`` to the stored resource (None when missing) and store the result."""

    async def _update_thread(self, thread_id: str, patch: ThreadPatch) -> r.Thread | None:
        """Apply ``patch`` atomically (None: no such thread). Default: :meth:`_modify_thread` with ``patch.apply``.

        A backend that can merge inside the database in one statement or script overrides this (the values in
        ``patch`` are already checked, and a shallow merge of two storable values is storable).
        """
        return await self._modify_thread(thread_id, patch.apply)

    async def _update_resource(self, resource_id: str, patch: ResourcePatch) -> r.Resource:
        """Apply ``patch`` atomically, creating the resource when missing. Default: :meth:`_modify_resource` with
        ``patch.apply``; a backend that can merge in one statement or script overrides this."""
        return await self._modify_resource(resource_id, lambda old: patch.apply(resource_id, old))


# ------------------------------------------------------------------------- helpers (pure)


def _after(previous: Any) -> Any:
    """A new ``updated_at``: now, but strictly after ``previous`` even when the clock has not moved a millisecond."""
    from datetime import timedelta

    now = utc_now()
    return now if previous is None or now > previous else previous + timedelta(milliseconds=1)


bump_time = _after


def _as(value: Any, cls: type[Any], c: Any) -> Any:
    return record_from(value, cls, c)


def _renamed(value: Mapping[Any, Any], aliases: Mapping[str, str]) -> dict[str, Any]:
    """Keys as strings, with the reference's camelCase aliases mapped to snake_case."""
    return {aliases.get(str(k), str(k)): v for k, v in value.items()}


def _date_range(value: Any, c: Any) -> DateRange:
    if value is None:
        return DateRange()
    if isinstance(value, DateRange):
        raw: dict[str, Any] = attrs.asdict(value)
    elif isinstance(value, Mapping):
        aliases = {"startExclusive": "start_exclusive", "endExclusive": "end_exclusive"}
        raw = _renamed(value, aliases)
    else:
        raise c.fail("INVALID_DATE_RANGE", "date_range must be a DateRange or a mapping")
    unknown = set(raw) - {"start", "end", "start_exclusive", "end_exclusive"}
    if unknown:
        raise c.fail("INVALID_DATE_RANGE", f"unknown date_range key(s) {sorted(unknown)}")
    return DateRange(
        start=c.date(raw.get("start"), "START"),
        end=c.date(raw.get("end"), "END"),
        start_exclusive=bool(raw.get("start_exclusive", False)),
        end_exclusive=bool(raw.get("end_exclusive", False)),
    )


def _include(value: Any, c: Any) -> r.MessageInclude:
    if isinstance(value, r.MessageInclude):
        inc = value
    elif isinstance(value, Mapping):
        aliases = {
            "threadId": "thread_id",
            "withPreviousMessages": "with_previous_messages",
            "withNextMessages": "with_next_messages",
        }
        raw = _renamed(value, aliases)
        unknown = set(raw) - {"id", "thread_id", "with_previous_messages", "with_next_messages"}
        if unknown:
            raise c.fail("INVALID_INCLUDE", f"unknown include key(s) {sorted(unknown)}")
        inc = r.MessageInclude(**raw)
    else:
        raise c.fail("INVALID_INCLUDE", "include items must be MessageInclude or mappings")
    c.id(inc.id, "INCLUDE_ID")
    c.count(inc.with_previous_messages or 0, "WITH_PREVIOUS_MESSAGES")
    c.count(inc.with_next_messages or 0, "WITH_NEXT_MESSAGES")
    return attrs.evolve(
        inc, with_previous_messages=inc.with_previous_messages or 0, with_next_messages=inc.with_next_messages or 0
    )


def _update(value: Any, c: Any) -> MessageUpdate:
    if isinstance(value, MessageUpdate):
        u = value
    elif isinstance(value, Mapping):
        aliases = {"threadId": "thread_id", "resourceId": "resource_id"}
        raw = _renamed(value, aliases)
        unknown = set(raw) - {"id", "role", "type", "thread_id", "resource_id", "content", "created_at", "createdAt"}
        if unknown:
            raise c.fail("INVALID_UPDATE", f"unknown message field(s) {sorted(unknown)}")
        raw.pop("created_at", None)
        raw.pop("createdAt", None)  # created_at is fixed at first save (the order of a thread depends on it)
        u = MessageUpdate(**raw)
    else:
        raise c.fail("INVALID_UPDATE", "updates must be MessageUpdate or mappings with an id")
    c.id(u.id, "MESSAGE_ID")
    if u.thread_id is not _UNSET:
        c.id(u.thread_id, "THREAD_ID")
    if u.resource_id is not _UNSET and u.resource_id is not None:
        c.id(u.resource_id, "RESOURCE_ID")
    if u.role is not _UNSET:
        c.one_of(u.role, "ROLE", ROLES)
    if u.content is not _UNSET and not isinstance(u.content, Mapping | r.MessageContent):
        raise c.fail("INVALID_CONTENT", "content must be a mapping or MessageContent")
    if u.content is not _UNSET:
        c.value(u.content, "CONTENT")
    return u


def _apply_update(old: r.Message, u: MessageUpdate, c: Any) -> r.Message:
    from ..serde import to_wire

    changes: dict[str, Any] = {}
    for name in ("role", "type", "thread_id", "resource_id"):
        value = getattr(u, name)
        if value is not _UNSET:
            changes[name] = value
    if u.content is not _UNSET:
        new = to_wire(u.content) if isinstance(u.content, r.MessageContent) else _wire_content_patch(u.content)
        merged = {**to_wire(old.content), **new}
        old_meta = old.content.metadata
        if isinstance(old_meta, dict) and isinstance(new.get("metadata"), Mapping):
            merged["metadata"] = {**old_meta, **new["metadata"]}
        changes["content"] = _as(merged, r.MessageContent, c)
    return attrs.evolve(old, **changes)


def _wire_content_patch(patch: Mapping[str, Any]) -> dict[str, Any]:
    from ..serde import camel

    return {camel(k) if "_" in k else k: v for k, v in patch.items()}


def plan_clone(source: r.Thread, messages: list[r.Message], req: CloneRequest) -> tuple[r.Thread, list[r.Message]]:
    """The new thread and message copies for a clone (pure: backends with transactions reuse it)."""
    chosen = [
        m
        for m in messages
        if (req.start_date is None or m.created_at >= req.start_date)
        and (req.end_date is None or m.created_at <= req.end_date)
        and (req.message_ids is None or m.id in req.message_ids)
    ]
    if req.message_limit:
        chosen = chosen[-req.message_limit :]
    now = utc_now()
    clone_info: dict[str, Any] = {"sourceThreadId": source.id, "clonedAt": now.isoformat().replace("+00:00", "Z")}
    if chosen:
        clone_info["lastMessageId"] = chosen[-1].id
    resource_id = req.resource_id or source.resource_id
    thread = r.Thread(
        id=req.new_thread_id,
        resource_id=resource_id,
        title=req.title if req.title is not None else (f"Clone of {source.title}" if source.title else None),
        metadata={**(req.metadata or {}), "clone": clone_info},
        created_at=now,
        updated_at=now,
    )
    copies = [attrs.evolve(m, id=str(uuid.uuid4()), thread_id=thread.id, resource_id=resource_id) for m in chosen]
    return thread, copies
