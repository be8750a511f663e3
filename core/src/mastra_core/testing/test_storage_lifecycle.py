"""The storage object itself: required domains, capabilities, idempotent init, clear, close."""

from __future__ import annotations

import pytest

from .factories import sample_message, sample_score, sample_snapshot, sample_thread, uid

REQUIRED = ("memory", "workflows", "scores")


async def test_required_domains_are_present(storage) -> None:
    for name in REQUIRED:
        assert storage.get_store(name) is not None
        assert name in storage.capabilities
        assert name in storage.domains
    assert storage.memory is storage.get_store("memory")


async def test_unknown_domain_is_none(storage) -> None:
    assert storage.get_store("no-such-domain") is None


async def test_capabilities_list_every_present_domain(storage) -> None:
    for name in ("memory", "workflows", "scores", "observability", "agents", "evals", "traces"):
        assert (storage.get_store(name) is not None) == (name in storage.capabilities)


async def test_init_is_idempotent(storage) -> None:
    thread = sample_thread()
    await storage.memory.save_thread(thread=thread)
    await storage.init()
    await storage.init()
    assert (await storage.memory.get_thread_by_id(thread_id=thread.id)).id == thread.id


async def test_first_operation_initialises(make_storage) -> None:
    fresh = await make_storage(init=False)
    thread = sample_thread()
    await fresh.memory.save_thread(thread=thread)
    assert (await fresh.memory.get_thread_by_id(thread_id=thread.id)).id == thread.id


async def test_dangerously_clear_all_empties_every_required_domain(storage) -> None:
    thread = sample_thread()
    await storage.memory.save_thread(thread=thread)
    await storage.memory.save_messages(messages=[sample_message(thread.id)])
    await storage.memory.update_resource(resource_id=(rid := uid()), working_memory="x")
    await storage.workflows.persist_workflow_snapshot(
        workflow_name="wf", run_id=(run := uid()), snapshot=sample_snapshot(run)
    )
    score = await storage.scores.save_score(score=sample_score())
    await storage.dangerously_clear_all()
    assert (await storage.memory.list_threads()).total == 0
    assert (await storage.memory.list_messages(thread_id=thread.id)).total == 0
    assert await storage.memory.get_resource_by_id(resource_id=rid) is None
    assert (await storage.workflows.list_workflow_runs()).total == 0
    assert await storage.scores.get_score_by_id(id=score.id) is None
    await storage.memory.save_thread(thread=thread)  # still usable afterwards
    assert (await storage.memory.list_threads()).total == 1


async def test_clearing_one_domain_leaves_the_others(storage) -> None:
    thread = sample_thread()
    await storage.memory.save_thread(thread=thread)
    await storage.workflows.persist_workflow_snapshot(
        workflow_name="wf", run_id=(run := uid()), snapshot=sample_snapshot(run)
    )
    await storage.workflows.dangerously_clear_all()
    assert (await storage.workflows.list_workflow_runs()).total == 0
    assert (await storage.memory.get_thread_by_id(thread_id=thread.id)) is not None


@pytest.mark.requires("observability")
async def test_clear_all_includes_observability(storage) -> None:
    from .factories import sample_span

    span = sample_span()
    await storage.observability.create_span(span=span)
    await storage.dangerously_clear_all()
    assert await storage.observability.get_trace(trace_id=span.trace_id) is None


async def test_prune_without_ttl_deletes_nothing(storage) -> None:
    thread = sample_thread()
    await storage.memory.save_thread(thread=thread)
    result = await storage.prune()
    assert set(result) == set(storage.domains)
    assert all(v == 0 for v in result.values())
    assert await storage.memory.get_thread_by_id(thread_id=thread.id) is not None


async def test_data_outlives_the_storage_object_on_shared_backends(make_storage) -> None:
    """Close one storage and open another on the same namespace: the data is still there (in-memory: per object)."""
    ns = f"t{uid()[:12].replace('-', '')}"
    first = await make_storage(ns)
    thread = sample_thread()
    await first.memory.save_thread(thread=thread)
    await first.close()
    second = await make_storage(ns)
    found = await second.memory.get_thread_by_id(thread_id=thread.id)
    if second.backend_id == "inmemory":
        assert found is None
    else:
        assert found is not None and found.id == thread.id


async def test_async_context_manager(make_storage) -> None:
    storage = await make_storage(init=False)
    async with storage as opened:
        assert opened is storage
        thread = sample_thread()
        await opened.memory.save_thread(thread=thread)
        assert (await opened.memory.get_thread_by_id(thread_id=thread.id)).id == thread.id
