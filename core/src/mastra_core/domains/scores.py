"""The scores domain (``mastra_scorers``)."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from .. import records as r
from ..clock import utc_now
from ..pagination import Page, PerPage
from ..records.queries import ScoreQuery
from ..serde import from_wire
from .base import DomainStore

SOURCES = ("LIVE", "TEST")


class ScoresStore(DomainStore, abc.ABC):
    """Eval scores; every list is newest first (ties: the later save first) and paginated (default 100)."""

    domain = "scores"

    async def save_score(self, *, score: r.ScorePayload | Mapping[str, Any]) -> r.Score:
        """Validate and store a score; the store assigns ``id``, ``created_at`` and ``updated_at``."""
        c = self.checks("SAVE_SCORE")
        if isinstance(score, Mapping):
            data = {
                k: v for k, v in score.items() if k not in ("id", "createdAt", "updatedAt", "created_at", "updated_at")
            }
            try:
                payload = from_wire(data, r.ScorePayload)
            except Exception as exc:
                raise c.fail("VALIDATION_FAILED", f"invalid score payload: {exc}") from None
        elif isinstance(score, r.ScorePayload):
            payload = score
        else:
            raise c.fail("VALIDATION_FAILED", "score must be a ScorePayload or a mapping")
        for name in ("scorer_id", "entity_id", "run_id"):
            c.id(getattr(payload, name), name.upper())
        c.number(payload.score, "SCORE")
        c.one_of(payload.source, "SOURCE", SOURCES)
        if not isinstance(payload.scorer, Mapping) or not isinstance(payload.entity, Mapping):
            raise c.fail("VALIDATION_FAILED", "scorer and entity must be mappings")
        c.value(payload, "SCORE")
        now = utc_now()
        fields = {f.name: getattr(payload, f.name) for f in attrs.fields(r.ScorePayload)}
        stored = r.Score(**fields, id=str(uuid.uuid4()), created_at=now, updated_at=now)
        await self._run("SAVE_SCORE", lambda: self._save_score(stored))
        return stored

    async def get_score_by_id(self, *, id: str) -> r.Score | None:
        """The score, or None."""
        sid = self.checks("GET_SCORE_BY_ID").id(id, "ID")
        return await self._run("GET_SCORE_BY_ID", lambda: self._get_score(sid))

    async def list_scores_by_scorer_id(
        self,
        *,
        scorer_id: str,
        entity_id: str | None = None,
        entity_type: str | None = None,
        source: str | None = None,
        page: int = 0,
        per_page: PerPage = 100,
    ) -> Page[r.Score]:
        """Scores of one scorer, optionally narrowed by entity and source."""
        c = self.checks("LIST_SCORES_BY_SCORER_ID")
        return await self._list(
            "LIST_SCORES_BY_SCORER_ID",
            page,
            per_page,
            scorer_id=c.id(scorer_id, "SCORER_ID"),
            entity_id=c.optional_id(entity_id, "ENTITY_ID"),
            entity_type=c.optional_id(entity_type, "ENTITY_TYPE"),
            source=None if source is None else c.one_of(source, "SOURCE", SOURCES),
        )

    async def list_scores_by_run_id(self, *, run_id: str, page: int = 0, per_page: PerPage = 100) -> Page[r.Score]:
        """Scores of one run."""
        c = self.checks("LIST_SCORES_BY_RUN_ID")
        return await self._list("LIST_SCORES_BY_RUN_ID", page, per_page, run_id=c.id(run_id, "RUN_ID"))

    async def list_scores_by_entity_id(
        self, *, entity_id: str, entity_type: str, page: int = 0, per_page: PerPage = 100
    ) -> Page[r.Score]:
        """Scores of one entity (agent, workflow...)."""
        c = self.checks("LIST_SCORES_BY_ENTITY_ID")
        return await self._list(
            "LIST_SCORES_BY_ENTITY_ID",
            page,
            per_page,
            entity_id=c.id(entity_id, "ENTITY_ID"),
            entity_type=c.id(entity_type, "ENTITY_TYPE"),
        )

    async def list_scores_by_span(
        self, *, trace_id: str, span_id: str, page: int = 0, per_page: PerPage = 100
    ) -> Page[r.Score]:
        """Scores attached to one span."""
        c = self.checks("LIST_SCORES_BY_SPAN")
        return await self._list(
            "LIST_SCORES_BY_SPAN", page, per_page, trace_id=c.id(trace_id, "TRACE_ID"), span_id=c.id(span_id, "SPAN_ID")
        )

    async def list_all_scores(self, *, page: int = 0, per_page: PerPage = 100) -> Page[r.Score]:
        """Every score, paged, in an order that is stable across pages (newest first where the backend has an
        index for it).

        Not in the reference API: it is for tools that read a whole store (``mastra copy``, ``mastra export``).
        Backends whose listings need a key (DynamoDB, Redis) override :meth:`_list_all_scores` with a scan.
        """
        c = self.checks("LIST_ALL_SCORES")
        pg = c.page(page)
        q = ScoreQuery(page=pg, per_page=c.per_page(per_page, pg))
        return await self._run("LIST_ALL_SCORES", lambda: self._list_all_scores(q))

    async def _list_all_scores(self, q: ScoreQuery) -> Page[r.Score]:
        """Every score: by default the listing with no filter set."""
        return await self._list_scores(q)

    async def _list(self, op: str, page: int, per_page: PerPage, **filters: Any) -> Page[r.Score]:
        c = self.checks(op)
        pg = c.page(page)
        q = ScoreQuery(page=pg, per_page=c.per_page(per_page, pg), **filters)
        return await self._run(op, lambda: self._list_scores(q))

    @abc.abstractmethod
    async def _save_score(self, score: r.Score) -> None:
        """Insert (ids are fresh uuids); set expiry."""

    @abc.abstractmethod
    async def _get_score(self, score_id: str) -> r.Score | None: ...

    @abc.abstractmethod
    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]: ...
