"""save_messages: total order (created_at, save order), upserts keeping created_at, moves, all-or-nothing batches."""

from __future__ import annotations

import attrs
import pytest

from mastra_core import MessageContent, TextPart, ValidationError

from .factories import (
    base_time,
    ids,
    messages_in_order,
    ms,
    raises_validation,
    sample_message,
    sample_thread,
    texts,
    uid,
)


async def _thread(memory):
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    return thread


async def test_messages_come_back_in_created_at_order_whatever_the_save_order(memory) -> None:
    thread = await _thread(memory)
    msgs = messages_in_order(thread.id, 6, start=base_time(), step_ms=7)
    shuffled = [msgs[i] for i in (3, 0, 5, 1, 4, 2)]
    await memory.save_messages(messages=shuffled)
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(msgs)


async def test_separate_saves_out_of_order_are_sorted_by_created_at(memory) -> None:
    thread = await _thread(memory)
    msgs = messages_in_order(thread.id, 4, start=base_time())
    for m in reversed(msgs):
        await memory.save_messages(messages=[m])
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(msgs)


async def test_save_order_kept_when_timestamps_differ_by_one_ms(memory) -> None:
    thread = await _thread(memory)
    msgs = messages_in_order(thread.id, 20, start=base_time(), step_ms=1)
    await memory.save_messages(messages=msgs)
    assert texts((await memory.list_messages(thread_id=thread.id)).items) == [f"m{i}" for i in range(20)]


@pytest.mark.parametrize("n", [2, 5, 30])
async def test_equal_timestamps_in_one_call_keep_the_given_order(memory, n: int) -> None:
    thread = await _thread(memory)
    t0 = base_time()
    msgs = [sample_message(thread.id, f"m{i}", created_at=t0) for i in range(n)]
    await memory.save_messages(messages=msgs)
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(msgs)
    assert ids(await memory.list_messages(thread_id=thread.id, order_by={"direction": "DESC"})) == ids(msgs)[::-1]
    assert ids(await memory.list_messages_by_id(message_ids=ids(msgs)[::-1])) == ids(msgs)


async def test_equal_timestamps_across_calls_keep_the_call_order(memory) -> None:
    thread = await _thread(memory)
    t0 = base_time()
    first = [sample_message(thread.id, f"a{i}", created_at=t0) for i in range(3)]
    second = [sample_message(thread.id, f"b{i}", created_at=t0) for i in range(3)]
    await memory.save_messages(messages=first)
    await memory.save_messages(messages=second)
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(first + second)


@pytest.mark.parametrize("per_page", [1, 2, 3, 4])
async def test_pages_over_ties_never_skip_or_repeat(memory, per_page: int) -> None:
    thread = await _thread(memory)
    t0 = base_time()
    msgs = [sample_message(thread.id, f"m{i}", created_at=t0 + ms(i // 3)) for i in range(11)]
    await memory.save_messages(messages=msgs)
    for direction, expected in (("ASC", ids(msgs)), ("DESC", ids(msgs)[::-1])):
        seen: list[str] = []
        page = 0
        while True:
            result = await memory.list_messages(
                thread_id=thread.id, per_page=per_page, page=page, order_by={"direction": direction}
            )
            seen += ids(result)
            if not result.has_more:
                break
            page += 1
        assert seen == expected


async def test_tool_call_and_result_with_identical_timestamps_keep_their_order(memory) -> None:
    thread = await _thread(memory)
    t0 = base_time()
    user = sample_message(thread.id, "question", created_at=t0)
    call = sample_message(thread.id, "call", role="assistant", created_at=t0)
    result = sample_message(thread.id, "result", role="tool", created_at=t0)
    answer = sample_message(thread.id, "answer", role="assistant", created_at=t0)
    await memory.save_messages(messages=[user, call, result, answer])
    assert [m.role for m in await memory.list_messages(thread_id=thread.id)] == [
        "user",
        "assistant",
        "tool",
        "assistant",
    ]


async def test_save_messages_returns_the_messages_as_given(memory) -> None:
    thread = await _thread(memory)
    msgs = messages_in_order(thread.id, 3)
    assert await memory.save_messages(messages=msgs) == msgs


async def test_save_messages_accepts_wire_mappings(memory) -> None:
    thread = await _thread(memory)
    created = base_time()
    wire = {
        "id": uid(),
        "threadId": thread.id,
        "resourceId": thread.resource_id,
        "role": "assistant",
        "createdAt": created.isoformat().replace("+00:00", "Z"),
        "content": {"format": 2, "parts": [{"type": "text", "text": "from the wire"}], "content": "from the wire"},
    }
    await memory.save_messages(messages=[wire])
    [got] = (await memory.list_messages(thread_id=thread.id)).items
    assert (got.id, got.role, got.created_at, got.resource_id) == (wire["id"], "assistant", created, thread.resource_id)
    assert texts([got]) == ["from the wire"]


async def test_saving_an_empty_list_returns_an_empty_list(memory) -> None:
    assert await memory.save_messages(messages=[]) == []


async def test_upsert_same_id_same_thread_replaces_content_and_keeps_one_row(memory) -> None:
    thread = await _thread(memory)
    msg = sample_message(thread.id, "original", created_at=base_time())
    await memory.save_messages(messages=[msg])
    changed = attrs.evolve(
        msg, content=MessageContent(parts=[TextPart(text="updated")], content="updated"), role="assistant"
    )
    await memory.save_messages(messages=[changed])
    page = await memory.list_messages(thread_id=thread.id)
    assert page.total == 1
    assert page.items == [changed]


async def test_upsert_keeps_the_original_created_at(memory) -> None:
    thread = await _thread(memory)
    t0 = base_time()
    msg = sample_message(thread.id, "v1", created_at=t0)
    await memory.save_messages(messages=[msg])
    await memory.save_messages(
        messages=[attrs.evolve(msg, created_at=t0 + ms(60_000), content=MessageContent(parts=[TextPart(text="v2")]))]
    )
    [got] = await memory.list_messages_by_id(message_ids=[msg.id])
    assert got.created_at == t0
    assert texts([got]) == ["v2"]


async def test_upsert_keeps_the_position_among_ties(memory) -> None:
    thread = await _thread(memory)
    t0 = base_time()
    msgs = [sample_message(thread.id, f"m{i}", created_at=t0) for i in range(4)]
    await memory.save_messages(messages=msgs)
    await memory.save_messages(
        messages=[attrs.evolve(msgs[0], content=MessageContent(parts=[TextPart(text="m0 again")]))]
    )
    assert texts((await memory.list_messages(thread_id=thread.id)).items) == ["m0 again", "m1", "m2", "m3"]


async def test_upsert_with_a_different_thread_moves_the_message(memory) -> None:
    a, b = await _thread(memory), await _thread(memory)
    t0 = base_time()
    msg = sample_message(a.id, "moving", created_at=t0)
    stay = sample_message(a.id, "stay", created_at=t0 + ms(1))
    await memory.save_messages(messages=[msg, stay])
    await memory.save_messages(messages=[attrs.evolve(msg, thread_id=b.id, created_at=t0 + ms(999))])
    assert ids(await memory.list_messages(thread_id=a.id)) == [stay.id]
    moved = (await memory.list_messages(thread_id=b.id)).items
    assert ids(moved) == [msg.id]
    assert (moved[0].thread_id, moved[0].created_at) == (b.id, t0)
    assert (await memory.list_messages(thread_id=a.id)).total == 1


async def test_moving_message_bumps_the_new_thread(memory) -> None:
    a, b = await _thread(memory), await _thread(memory)
    msg = sample_message(a.id)
    await memory.save_messages(messages=[msg])
    before = (await memory.get_thread_by_id(thread_id=b.id)).updated_at
    await memory.save_messages(messages=[attrs.evolve(msg, thread_id=b.id)])
    assert (await memory.get_thread_by_id(thread_id=b.id)).updated_at > before


async def test_move_and_move_back(memory) -> None:
    a, b = await _thread(memory), await _thread(memory)
    msgs = messages_in_order(a.id, 3, start=base_time())
    await memory.save_messages(messages=msgs)
    await memory.save_messages(messages=[attrs.evolve(msgs[1], thread_id=b.id)])
    await memory.save_messages(messages=[attrs.evolve(msgs[1], thread_id=a.id)])
    assert ids(await memory.list_messages(thread_id=a.id)) == ids(msgs)
    assert (await memory.list_messages(thread_id=b.id)).total == 0


async def test_save_messages_bumps_every_thread_it_touches(memory) -> None:
    a, b, c = await _thread(memory), await _thread(memory), await _thread(memory)
    before = {t.id: (await memory.get_thread_by_id(thread_id=t.id)).updated_at for t in (a, b, c)}
    await memory.save_messages(messages=[sample_message(a.id), sample_message(b.id)])
    after = {t.id: (await memory.get_thread_by_id(thread_id=t.id)).updated_at for t in (a, b, c)}
    assert after[a.id] > before[a.id]
    assert after[b.id] > before[b.id]
    assert after[c.id] == before[c.id]


async def test_messages_can_be_saved_before_their_thread_exists(memory) -> None:
    thread_id = uid("not-yet-")
    msg = sample_message(thread_id)
    await memory.save_messages(messages=[msg])
    assert await memory.get_thread_by_id(thread_id=thread_id) is None
    assert ids(await memory.list_messages(thread_id=thread_id)) == [msg.id]


async def test_a_batch_failing_validation_writes_nothing(memory) -> None:
    thread = await _thread(memory)
    before = await memory.get_thread_by_id(thread_id=thread.id)
    good = sample_message(thread.id, "good")
    bad = sample_message(thread.id, "bad", resource_id=None)
    with raises_validation(memory, "SAVE_MESSAGES", "INVALID_RESOURCE_ID"):
        await memory.save_messages(messages=[good, bad])
    assert (await memory.list_messages(thread_id=thread.id)).total == 0
    assert await memory.list_messages_by_id(message_ids=[good.id, bad.id]) == []
    assert await memory.get_thread_by_id(thread_id=thread.id) == before


async def test_a_failed_batch_does_not_change_existing_messages(memory) -> None:
    thread = await _thread(memory)
    existing = sample_message(thread.id, "existing", created_at=base_time())
    await memory.save_messages(messages=[existing])
    changed = attrs.evolve(existing, content=MessageContent(parts=[TextPart(text="changed")]))
    with pytest.raises(ValidationError):
        await memory.save_messages(messages=[changed, sample_message(thread.id, role="robot")])
    assert (await memory.list_messages(thread_id=thread.id)).items == [existing]


async def test_duplicate_ids_in_one_batch_are_refused(memory) -> None:
    thread = await _thread(memory)
    msg = sample_message(thread.id)
    with raises_validation(memory, "SAVE_MESSAGES", "DUPLICATE_MESSAGE_ID"):
        await memory.save_messages(messages=[msg, attrs.evolve(msg, content=MessageContent(parts=[]))])
    assert (await memory.list_messages(thread_id=thread.id)).total == 0


async def test_list_messages_by_id(memory) -> None:
    a, b = await _thread(memory), await _thread(memory)
    t0 = base_time()
    m1 = sample_message(a.id, "one", created_at=t0 + ms(2), resource_id="r1")
    m2 = sample_message(b.id, "two", created_at=t0, resource_id="r2")
    m3 = sample_message(a.id, "three", created_at=t0 + ms(1), resource_id="r1")
    await memory.save_messages(messages=[m1, m2, m3])
    got = await memory.list_messages_by_id(message_ids=[m1.id, m2.id, m3.id, uid("missing-"), m1.id])
    assert got == [m2, m3, m1]


async def test_list_messages_by_id_empty_list(memory) -> None:
    assert await memory.list_messages_by_id(message_ids=[]) == []


async def test_list_messages_by_id_only_unknown(memory) -> None:
    assert await memory.list_messages_by_id(message_ids=[uid(), uid()]) == []


async def test_message_ids_are_case_sensitive(memory) -> None:
    thread = await _thread(memory)
    base = uid("Msg-")
    upper = sample_message(thread.id, "upper", id=base.upper(), created_at=base_time())
    lower = sample_message(thread.id, "lower", id=base.lower(), created_at=base_time() + ms(1))
    await memory.save_messages(messages=[upper, lower])
    assert texts(await memory.list_messages_by_id(message_ids=[upper.id])) == ["upper"]
    assert (await memory.list_messages(thread_id=thread.id)).total == 2
