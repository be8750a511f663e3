"""The observability domain: AI tracing spans (``mastra_ai_spans``)."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .. import records as r
from ..clock import to_ms, utc_now
from ..errors import NotFoundError, error_id
from ..pagination import OrderBy, Page, PerPage
from ..records.queries import TraceQuery
from .base import DomainStore, record_from

_SPAN_DATES = ("started_at", "ended_at")


class ObservabilityStore(DomainStore, abc.ABC):
    """Spans keyed by (trace_id, span_id); a trace's root has ``parent_span_id`` None."""

    domain = "observability"

    #: How this store prefers spans to be written: realtime, batch-with-updates or insert-only.
    tracing_strategy: dict[str, Any] = {
        "preferred": "batch-with-updates",
        "supported": ["batch-with-updates", "insert-only"],
    }

    async def create_span(self, *, span: r.Span | Mapping[str, Any]) -> None:
        """Insert or replace one span; the store sets ``created_at``/``updated_at`` (an existing span keeps
        ``created_at``)."""
        await self.batch_create_spans(records=[span], op="CREATE_SPAN")

    async def batch_create_spans(
        self, *, records: Sequence[r.Span | Mapping[str, Any]], op: str = "BATCH_CREATE_SPANS"
    ) -> None:
        """Insert or replace many spans, all or nothing."""
        c = self.checks(op)
        spans = [_span(s, c) for s in records]
        if not spans:
            return
        keys = [(s.trace_id, s.span_id) for s in spans]
        if len(set(keys)) != len(keys):
            raise c.fail("DUPLICATE_SPAN", "the same (trace_id, span_id) appears twice in one batch")
        now = utc_now()
        spans = [attrs.evolve(s, created_at=now, updated_at=now) for s in spans]
        await self._run(op, lambda: self._upsert_spans(spans))

    async def update_span(self, *, trace_id: str, span_id: str, updates: Mapping[str, Any]) -> None:
        """Change fields of one span (not its ids); a missing span is a NotFoundError."""
        await self.batch_update_spans(
            records=[{"trace_id": trace_id, "span_id": span_id, "updates": updates}], op="UPDATE_SPAN"
        )

    async def batch_update_spans(
        self, *, records: Sequence[r.SpanUpdate | Mapping[str, Any]], op: str = "BATCH_UPDATE_SPANS"
    ) -> None:
        """Apply many span updates, all or nothing (a missing span fails the whole batch before any write)."""
        c = self.checks(op)
        items: list[r.SpanUpdate] = []
        for rec in records:
            if isinstance(rec, Mapping):
                rec = r.SpanUpdate(
                    trace_id=rec.get("trace_id", rec.get("traceId")),
                    span_id=rec.get("span_id", rec.get("spanId")),
                    updates=rec.get("updates"),  # type: ignore[arg-type]  # checked just below
                )
            c.id(rec.trace_id, "TRACE_ID")
            c.id(rec.span_id, "SPAN_ID")
            items.append(attrs.evolve(rec, updates=_span_updates(rec.updates, c)))
        if not items:
            return

        async def go() -> None:
            for it in items:
                if await self._get_span(it.trace_id, it.span_id) is None:
                    raise NotFoundError(
                        f"span {it.trace_id}/{it.span_id} not found",
                        id=error_id(self.backend_token, op, "NOT_FOUND"),
                        details={"traceId": it.trace_id, "spanId": it.span_id},
                    )
            now = utc_now()
            await self._update_spans([attrs.evolve(it, updates={**it.updates, "updated_at": now}) for it in items])

        await self._run(op, go)

    async def get_span(self, *, trace_id: str, span_id: str) -> r.Span | None:
        """One span, or None."""
        c = self.checks("GET_SPAN")
        tid, sid = c.id(trace_id, "TRACE_ID"), c.id(span_id, "SPAN_ID")
        return await self._run("GET_SPAN", lambda: self._get_span(tid, sid))

    async def get_root_span(self, *, trace_id: str) -> r.Span | None:
        """The span of the trace without a parent, or None."""
        tid = self.checks("GET_ROOT_SPAN").id(trace_id, "TRACE_ID")

        async def go() -> r.Span | None:
            return next((s for s in await self._get_trace_spans(tid) if s.parent_span_id is None), None)

        return await self._run("GET_ROOT_SPAN", go)

    async def get_trace(self, *, trace_id: str) -> r.Trace | None:
        """Every span of the trace ordered by ``started_at``, or None when it has none."""
        tid = self.checks("GET_TRACE").id(trace_id, "TRACE_ID")

        async def go() -> r.Trace | None:
            spans = await self._get_trace_spans(tid)
            return r.Trace(trace_id=tid, spans=spans) if spans else None

        return await self._run("GET_TRACE", go)

    async def list_traces(
        self,
        *,
        filters: r.TraceFilter | Mapping[str, Any] | None = None,
        page: int = 0,
        per_page: PerPage = 10,
        order_by: OrderBy | Mapping[str, Any] | None = None,
    ) -> Page[r.Span]:
        """Root spans (one per trace) matching ``filters``, newest ``started_at`` first by default.

        Ordering by ``ended_at`` puts running traces (no end) first for DESC and last for ASC.
        """
        c = self.checks("LIST_TRACES")
        pg = c.page(page)
        pp = c.per_page(per_page, pg)
        if pp is not False and pp > 100:
            raise c.fail("INVALID_PER_PAGE", "per_page must be at most 100 for list_traces")
        ob = c.order_by(order_by, _SPAN_DATES, "started_at", "DESC")
        q = TraceQuery(
            filters=_trace_filter(filters, c), page=pg, per_page=pp, order_field=ob.field, direction=ob.direction
        )
        return await self._run("LIST_TRACES", lambda: self._list_traces(q))

    async def batch_delete_traces(self, *, trace_ids: Sequence[str]) -> None:
        """Delete every span of these traces; unknown ids are fine."""
        ids = self.checks("BATCH_DELETE_TRACES").ids(trace_ids, "TRACE_IDS")
        if ids:
            await self._run("BATCH_DELETE_TRACES", lambda: self._delete_traces(tuple(dict.fromkeys(ids))))

    # ---------------------------------------------------------------- backend hooks

    @abc.abstractmethod
    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        """Upsert all or nothing; an existing span keeps ``created_at``; set expiry."""

    @abc.abstractmethod
    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        """Set the given attributes (``updates`` keys are Span attribute names, incl. ``updated_at``); all or
        nothing."""

    @abc.abstractmethod
    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None: ...

    @abc.abstractmethod
    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        """Every span of a trace, ``started_at`` ascending."""

    @abc.abstractmethod
    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]: ...

    @abc.abstractmethod
    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None: ...


def _span(value: Any, c: Any) -> r.Span:
    span = record_from(value, r.Span, c, "INVALID_SPAN")
    c.id(span.trace_id, "TRACE_ID")
    c.id(span.span_id, "SPAN_ID")
    c.id(span.name, "NAME")
    c.id(span.span_type, "SPAN_TYPE")
    if not isinstance(span.is_event, bool):
        raise c.fail("INVALID_SPAN", "is_event must be a bool")
    if span.tags is not None and (not isinstance(span.tags, list) or not all(isinstance(t, str) for t in span.tags)):
        raise c.fail("INVALID_SPAN", "tags must be a list of strings")
    c.value(span, "SPAN")
    return attrs.evolve(
        span, started_at=to_ms(span.started_at), ended_at=to_ms(span.ended_at) if span.ended_at else None
    )


def _span_updates(value: Any, c: Any) -> dict[str, Any]:
    from ..serde import wire_names

    if not isinstance(value, Mapping):
        raise c.fail("INVALID_UPDATES", "updates must be a mapping")
    back = {w: n for n, w in wire_names(r.Span).items()}
    out: dict[str, Any] = {}
    for key, v in value.items():
        name = back.get(key, key)
        if name not in r.SPAN_UPDATABLE_FIELDS:
            raise c.fail("INVALID_UPDATES", f"span field {key!r} cannot be updated", field=key)
        if name in _SPAN_DATES and v is not None:
            v = c.date(v, name.upper())
        c.field(r.Span, name, v, "INVALID_UPDATES")
        out[name] = v
    return out


def _trace_filter(value: Any, c: Any) -> r.TraceFilter:
    if value is None:
        return r.TraceFilter()
    if isinstance(value, r.TraceFilter):
        f = value
    elif isinstance(value, Mapping):
        from ..serde import camel

        names = {f.name for f in attrs.fields(r.TraceFilter)}
        back = {camel(n): n for n in names}
        raw: dict[str, Any] = {}
        for key, v in value.items():
            if key in ("startedAt", "started_at", "endedAt", "ended_at") and isinstance(v, Mapping):
                base = "started_at" if key.startswith("start") else "ended_at"
                raw[f"{base}_from"] = v.get("start", v.get("from"))
                raw[f"{base}_to"] = v.get("end", v.get("to"))
                continue
            name = back.get(key, key)
            if name not in names:
                raise c.fail("INVALID_FILTER", f"unknown trace filter {key!r}")
            raw[name] = v
        f = r.TraceFilter(**raw)
    else:
        raise c.fail("INVALID_FILTER", "filters must be a TraceFilter or a mapping")
    for name in ("started_at_from", "started_at_to", "ended_at_from", "ended_at_to"):
        if getattr(f, name) is not None:
            f = attrs.evolve(f, **{name: c.date(getattr(f, name), name.upper())})
    if f.status is not None:
        c.one_of(f.status, "STATUS", ("success", "error", "running"))
    c.mapping(f.scope, "SCOPE")
    c.mapping(f.metadata, "METADATA")
    return f
