"""The legacy evals and traces tables (``mastra_evals``, ``mastra_traces``)."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .. import records as r
from ..clock import to_ms
from ..pagination import Page, PerPage
from ..records.queries import EvalQuery, LegacyTraceQuery
from .base import DomainStore, record_from


def _rows(values: Sequence[Any], cls: type[Any], c: Any) -> list[Any]:
    return [record_from(v, cls, c, "INVALID_ROW") for v in values]


class EvalsStore(DomainStore, abc.ABC):
    """Legacy eval results, listed by agent name, newest first."""

    domain = "evals"

    async def save_evals(self, *, evals: Sequence[r.EvalRow | Mapping[str, Any]]) -> None:
        """Insert eval rows, all or nothing."""
        c = self.checks("SAVE_EVALS")
        rows = _rows(evals, r.EvalRow, c)
        for row in rows:
            c.id(row.run_id, "RUN_ID")
            c.id(row.agent_name, "AGENT_NAME")
            c.id(row.metric_name, "METRIC_NAME")
            c.mapping(row.result, "RESULT")
            c.value(row, "EVAL")
            row.created_at = to_ms(row.created_at)
        if rows:
            await self._run("SAVE_EVALS", lambda: self._save_evals(rows))

    async def list_evals(
        self, *, agent_name: str | None = None, type: str | None = None, page: int = 0, per_page: PerPage = 100
    ) -> Page[r.EvalRow]:
        """Evals of an agent; ``type='test'`` keeps rows with test_info, ``'live'`` those without."""
        c = self.checks("LIST_EVALS")
        pg = c.page(page)
        q = EvalQuery(
            agent_name=c.optional_id(agent_name, "AGENT_NAME"),
            type=None if type is None else c.one_of(type, "TYPE", ("test", "live")),
            page=pg,
            per_page=c.per_page(per_page, pg),
        )
        return await self._run("LIST_EVALS", lambda: self._list_evals(q))

    @abc.abstractmethod
    async def _save_evals(self, rows: list[r.EvalRow]) -> None: ...

    @abc.abstractmethod
    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]: ...


class TracesStore(DomainStore, abc.ABC):
    """Legacy OpenTelemetry-era spans, listed newest first."""

    domain = "traces"

    async def save_traces(self, *, traces: Sequence[r.TraceRow | Mapping[str, Any]]) -> None:
        """Insert or replace trace rows by id, all or nothing."""
        c = self.checks("SAVE_TRACES")
        rows = _rows(traces, r.TraceRow, c)
        for row in rows:
            c.id(row.id, "ID")
            c.id(row.trace_id, "TRACE_ID")
            c.id(row.name, "NAME")
            c.value(row, "TRACE")
            row.created_at = to_ms(row.created_at)
        if rows:
            await self._run("SAVE_TRACES", lambda: self._save_traces(rows))

    async def list_traces(
        self,
        *,
        name: str | None = None,
        scope: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        from_date: datetime | None = None,
        to_date: datetime | None = None,
        page: int = 0,
        per_page: PerPage = 100,
    ) -> Page[r.TraceRow]:
        """Rows whose name starts with ``name``, of ``scope``, whose attributes contain ``attributes``, created
        within the dates."""
        c = self.checks("LIST_TRACES")
        pg = c.page(page)
        q = LegacyTraceQuery(
            name=name,
            scope=scope,
            attributes=c.mapping(attributes, "ATTRIBUTES"),
            from_date=c.date(from_date, "FROM_DATE"),
            to_date=c.date(to_date, "TO_DATE"),
            page=pg,
            per_page=c.per_page(per_page, pg),
        )
        return await self._run("LIST_TRACES", lambda: self._list_traces(q))

    @abc.abstractmethod
    async def _save_traces(self, rows: list[r.TraceRow]) -> None: ...

    @abc.abstractmethod
    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]: ...
