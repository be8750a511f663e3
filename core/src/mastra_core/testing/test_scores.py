"""Scores: save (store assigns id and dates), get, and the four list calls (newest first, paginated)."""

from __future__ import annotations

import math

import attrs
import pytest

from mastra_core.clock import utc_now
from mastra_core.records import Score, ScorePayload

from .factories import sample_score, uid


def _payload_of(score: Score) -> ScorePayload:
    return ScorePayload(**{f.name: getattr(score, f.name) for f in attrs.fields(ScorePayload)})


def _ids(page) -> list[str]:
    return [s.id for s in page]


async def _save_many(scores, n: int, **kw) -> list[Score]:
    return [await scores.save_score(score=sample_score(**kw)) for _ in range(n)]


async def test_save_assigns_id_and_timestamps(scores) -> None:
    before = utc_now()
    payload = sample_score()
    saved = await scores.save_score(score=payload)
    assert saved.id and isinstance(saved.id, str)
    assert saved.created_at >= before
    assert saved.updated_at == saved.created_at
    assert _payload_of(saved) == payload


async def test_get_by_id_returns_what_save_returned(scores) -> None:
    saved = await scores.save_score(score=sample_score())
    assert await scores.get_score_by_id(id=saved.id) == saved


async def test_get_unknown_score_is_none(scores) -> None:
    assert await scores.get_score_by_id(id=uid("missing-")) is None


async def test_every_optional_field_round_trips(scores) -> None:
    payload = sample_score(
        trace_id=uid("trace-"),
        span_id=uid("span-"),
        resource_id="r",
        thread_id="t",
        additional_context={"a": [1]},
        request_context={"user": "u"},
        structured_output=True,
        preprocess_step_result={"p": 1},
        extract_step_result={"e": 1},
        analyze_step_result={"an": {"deep": None}},
        preprocess_prompt="pp",
        extract_prompt="ep",
        analyze_prompt="ap",
        generate_score_prompt="gsp",
        generate_reason_prompt="grp",
        reason_prompt="rp",
        output="plain string output",
        input=None,
        score=0.123456789,
    )
    saved = await scores.save_score(score=payload)
    got = await scores.get_score_by_id(id=saved.id)
    assert got == saved
    assert _payload_of(got) == payload


async def test_minimal_score_round_trips_without_extra_fields(scores) -> None:
    payload = ScorePayload(scorer_id=uid(), entity_id=uid(), run_id=uid(), score=1, scorer={}, entity={}, source="TEST")
    saved = await scores.save_score(score=payload)
    got = await scores.get_score_by_id(id=saved.id)
    assert _payload_of(got) == payload
    assert got.reason is None and got.metadata is None and got.trace_id is None


@pytest.mark.parametrize("value", [0, 1, -1.5, 0.1 + 0.2, 1e-9, 12345.678])
async def test_score_values_round_trip(scores, value: float) -> None:
    saved = await scores.save_score(score=sample_score(score=value))
    got = await scores.get_score_by_id(id=saved.id)
    assert math.isclose(got.score, value, rel_tol=1e-12, abs_tol=1e-15)


async def test_save_accepts_a_wire_mapping(scores) -> None:
    scorer = uid()
    saved = await scores.save_score(
        score={
            "scorerId": scorer,
            "entityId": "e",
            "runId": "r",
            "score": 0.9,
            "scorer": {"n": 1},
            "entity": {"id": "e"},
            "source": "LIVE",
            "output": "o",
            "entityType": "AGENT",
        }
    )
    assert (saved.scorer_id, saved.entity_type) == (scorer, "AGENT")
    assert _ids(await scores.list_scores_by_scorer_id(scorer_id=scorer)) == [saved.id]


async def test_ids_are_unique(scores) -> None:
    payload = sample_score()
    a = await scores.save_score(score=payload)
    b = await scores.save_score(score=payload)
    assert a.id != b.id
    assert (await scores.list_scores_by_scorer_id(scorer_id=payload.scorer_id)).total == 2


async def test_list_by_scorer_id(scores) -> None:
    scorer = uid("scorer-")
    mine = await _save_many(scores, 3, scorer_id=scorer)
    await _save_many(scores, 2)
    page = await scores.list_scores_by_scorer_id(scorer_id=scorer)
    assert sorted(_ids(page)) == sorted(s.id for s in mine)
    assert (page.total, page.page, page.per_page, page.has_more) == (3, 0, 100, False)


async def test_list_by_unknown_scorer_is_empty(scores) -> None:
    page = await scores.list_scores_by_scorer_id(scorer_id=uid("nobody-"))
    assert (page.items, page.total, page.has_more) == ([], 0, False)


async def test_lists_are_newest_first_with_later_saves_first_on_ties(scores) -> None:
    scorer = uid("scorer-")
    made = await _save_many(scores, 5, scorer_id=scorer)
    assert _ids(await scores.list_scores_by_scorer_id(scorer_id=scorer)) == [s.id for s in reversed(made)]


async def test_list_by_scorer_with_source_entity_and_type(scores) -> None:
    scorer, entity = uid("scorer-"), uid("entity-")
    live = await scores.save_score(score=sample_score(scorer_id=scorer, entity_id=entity, source="LIVE"))
    test = await scores.save_score(score=sample_score(scorer_id=scorer, entity_id=entity, source="TEST"))
    wf = await scores.save_score(
        score=sample_score(scorer_id=scorer, entity_id=entity, source="LIVE", entity_type="WORKFLOW")
    )
    other = await scores.save_score(score=sample_score(scorer_id=scorer, source="LIVE"))
    assert _ids(await scores.list_scores_by_scorer_id(scorer_id=scorer, source="TEST")) == [test.id]
    assert set(_ids(await scores.list_scores_by_scorer_id(scorer_id=scorer, source="LIVE"))) == {
        live.id,
        wf.id,
        other.id,
    }
    assert set(_ids(await scores.list_scores_by_scorer_id(scorer_id=scorer, entity_id=entity))) == {
        live.id,
        test.id,
        wf.id,
    }
    assert _ids(await scores.list_scores_by_scorer_id(scorer_id=scorer, entity_id=entity, entity_type="WORKFLOW")) == [
        wf.id
    ]
    assert _ids(
        await scores.list_scores_by_scorer_id(scorer_id=scorer, entity_id=entity, entity_type="AGENT", source="LIVE")
    ) == [live.id]


@pytest.mark.parametrize(("page", "count", "has_more"), [(0, 2, True), (1, 2, True), (2, 1, False), (3, 0, False)])
async def test_list_by_run_id_pagination(scores, page: int, count: int, has_more: bool) -> None:
    run = uid("run-")
    made = await _save_many(scores, 5, run_id=run)
    await _save_many(scores, 2)
    result = await scores.list_scores_by_run_id(run_id=run, page=page, per_page=2)
    assert (len(result), result.total, result.page, result.per_page, result.has_more) == (count, 5, page, 2, has_more)
    newest_first = [s.id for s in reversed(made)]
    assert _ids(result) == newest_first[page * 2 : page * 2 + 2]


async def test_list_by_run_id_per_page_false(scores) -> None:
    run = uid("run-")
    await _save_many(scores, 3, run_id=run)
    result = await scores.list_scores_by_run_id(run_id=run, per_page=False)
    assert (len(result), result.total, result.per_page, result.has_more) == (3, 3, False, False)


async def test_list_by_entity_id(scores) -> None:
    entity = uid("entity-")
    agent = await _save_many(scores, 2, entity_id=entity, entity_type="AGENT")
    await _save_many(scores, 1, entity_id=entity, entity_type="WORKFLOW")
    await _save_many(scores, 1, entity_type="AGENT")
    page = await scores.list_scores_by_entity_id(entity_id=entity, entity_type="AGENT")
    assert _ids(page) == [s.id for s in reversed(agent)]
    assert page.total == 2


async def test_list_by_span_single_and_multiple(scores) -> None:
    trace, span = uid("trace-"), uid("span-")
    one = await scores.save_score(score=sample_score(trace_id=trace, span_id=span))
    assert _ids(await scores.list_scores_by_span(trace_id=trace, span_id=span)) == [one.id]
    more = await _save_many(scores, 2, trace_id=trace, span_id=span)
    await _save_many(scores, 2, trace_id=trace, span_id=uid("span-"))
    await _save_many(scores, 1, trace_id=uid("trace-"), span_id=span)
    page = await scores.list_scores_by_span(trace_id=trace, span_id=span)
    assert _ids(page) == [s.id for s in reversed([one, *more])]
    assert page.total == 3


@pytest.mark.parametrize(("page", "count", "has_more"), [(0, 3, True), (1, 3, True), (2, 1, False)])
async def test_list_by_span_pages_with_distractors(scores, page: int, count: int, has_more: bool) -> None:
    trace, span = uid("trace-"), uid("span-")
    made = await _save_many(scores, 7, trace_id=trace, span_id=span)
    await _save_many(scores, 3, trace_id=trace, span_id=uid("span-"))
    result = await scores.list_scores_by_span(trace_id=trace, span_id=span, page=page, per_page=3)
    assert (len(result), result.total, result.has_more) == (count, 7, has_more)
    assert _ids(result) == [s.id for s in reversed(made)][page * 3 : page * 3 + 3]


async def test_pages_of_scores_never_skip_or_repeat(scores) -> None:
    scorer = uid("scorer-")
    made = await _save_many(scores, 10, scorer_id=scorer)
    seen: list[str] = []
    for page in range(4):
        seen += _ids(await scores.list_scores_by_scorer_id(scorer_id=scorer, page=page, per_page=3))
    assert seen == [s.id for s in reversed(made)]
