"""update_messages: partial updates, content merge, moves bumping both threads, unknown ids ignored."""

from __future__ import annotations

from mastra_core import MessageContent, MessageUpdate, TextPart

from .factories import base_time, ids, messages_in_order, ms, sample_message, sample_thread, texts, uid


async def _setup(memory, n: int = 1, **kw):
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msgs = messages_in_order(thread.id, n, start=base_time(), **kw)
    await memory.save_messages(messages=msgs)
    return thread, msgs


async def test_update_a_single_field(memory) -> None:
    thread, [msg] = await _setup(memory)
    [updated] = await memory.update_messages(messages=[{"id": msg.id, "role": "assistant"}])
    assert updated.role == "assistant"
    [stored] = await memory.list_messages_by_id(message_ids=[msg.id])
    assert stored == updated
    assert (stored.content, stored.created_at, stored.thread_id) == (msg.content, msg.created_at, msg.thread_id)


async def test_update_with_message_update_record(memory) -> None:
    thread, [msg] = await _setup(memory)
    [updated] = await memory.update_messages(messages=[MessageUpdate(id=msg.id, type="tool-call")])
    assert updated.type == "tool-call"
    assert (await memory.list_messages_by_id(message_ids=[msg.id]))[0].type == "tool-call"


async def test_content_metadata_update_keeps_content_and_parts(memory) -> None:
    thread, [msg] = await _setup(memory)
    [updated] = await memory.update_messages(messages=[{"id": msg.id, "content": {"metadata": {"rating": 5}}}])
    assert updated.content.metadata == {"rating": 5}
    assert updated.content.content == msg.content.content
    assert updated.content.parts == msg.content.parts


async def test_content_text_update_keeps_metadata(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msg = sample_message(
        thread.id, content=MessageContent(parts=[TextPart(text="p")], content="old", metadata={"keep": True})
    )
    await memory.save_messages(messages=[msg])
    [updated] = await memory.update_messages(messages=[{"id": msg.id, "content": {"content": "new"}}])
    assert (updated.content.content, updated.content.metadata, updated.content.parts) == (
        "new",
        {"keep": True},
        msg.content.parts,
    )


async def test_content_metadata_is_merged_one_level_deep(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msg = sample_message(thread.id, content=MessageContent(parts=[], metadata={"initial": 1, "nested": {"a": 1}}))
    await memory.save_messages(messages=[msg])
    [updated] = await memory.update_messages(
        messages=[{"id": msg.id, "content": {"metadata": {"updated": 2, "nested": {"b": 2}}}}]
    )
    assert updated.content.metadata == {"initial": 1, "updated": 2, "nested": {"b": 2}}
    assert (await memory.list_messages_by_id(message_ids=[msg.id]))[0].content.metadata == updated.content.metadata


async def test_parts_are_replaced_only_when_given(memory) -> None:
    thread, [msg] = await _setup(memory)
    [updated] = await memory.update_messages(
        messages=[{"id": msg.id, "content": {"parts": [{"type": "text", "text": "replaced"}]}}]
    )
    assert texts([updated]) == ["replaced"]
    assert len(updated.content.parts) == 1
    assert updated.content.content == msg.content.content


async def test_content_can_be_a_message_content_record(memory) -> None:
    thread, [msg] = await _setup(memory)
    new = MessageContent(parts=[TextPart(text="whole")], content="whole")
    [updated] = await memory.update_messages(messages=[MessageUpdate(id=msg.id, content=new)])
    assert (texts([updated]), updated.content.content) == (["whole"], "whole")


async def test_update_several_messages_in_one_call(memory) -> None:
    thread, msgs = await _setup(memory, 3)
    updated = await memory.update_messages(
        messages=[{"id": msgs[0].id, "role": "assistant"}, {"id": msgs[2].id, "content": {"content": "changed"}}]
    )
    assert ids(updated) == [msgs[0].id, msgs[2].id]
    stored = (await memory.list_messages(thread_id=thread.id)).items
    assert [m.role for m in stored] == ["assistant", "user", "user"]
    assert [m.content.content for m in stored] == [msgs[0].content.content, msgs[1].content.content, "changed"]


async def test_two_updates_of_the_same_message_in_one_call_both_apply(memory) -> None:
    thread, [msg] = await _setup(memory)
    [updated] = await memory.update_messages(
        messages=[{"id": msg.id, "role": "assistant"}, {"id": msg.id, "content": {"content": "x"}}]
    )
    assert (updated.role, updated.content.content) == ("assistant", "x")


async def test_update_bumps_the_thread(memory) -> None:
    thread, [msg] = await _setup(memory)
    before = (await memory.get_thread_by_id(thread_id=thread.id)).updated_at
    await memory.update_messages(messages=[{"id": msg.id, "role": "assistant"}])
    assert (await memory.get_thread_by_id(thread_id=thread.id)).updated_at > before


async def test_moving_a_message_bumps_both_threads_and_relocates_it(memory) -> None:
    a, msgs = await _setup(memory, 3)
    b = sample_thread()
    await memory.save_thread(thread=b)
    before_a = (await memory.get_thread_by_id(thread_id=a.id)).updated_at
    before_b = (await memory.get_thread_by_id(thread_id=b.id)).updated_at
    [moved] = await memory.update_messages(messages=[{"id": msgs[1].id, "thread_id": b.id}])
    assert moved.thread_id == b.id
    assert ids(await memory.list_messages(thread_id=a.id)) == [msgs[0].id, msgs[2].id]
    assert ids(await memory.list_messages(thread_id=b.id)) == [msgs[1].id]
    assert (await memory.get_thread_by_id(thread_id=a.id)).updated_at > before_a
    assert (await memory.get_thread_by_id(thread_id=b.id)).updated_at > before_b


async def test_move_with_camel_case_thread_id_keeps_created_at(memory) -> None:
    a, [msg] = await _setup(memory)
    b = sample_thread()
    await memory.save_thread(thread=b)
    await memory.update_messages(messages=[{"id": msg.id, "threadId": b.id}])
    [stored] = (await memory.list_messages(thread_id=b.id)).items
    assert stored.created_at == msg.created_at


async def test_update_cannot_change_created_at(memory) -> None:
    thread, msgs = await _setup(memory, 3)
    await memory.update_messages(messages=[{"id": msgs[0].id, "created_at": base_time() + ms(100_000)}])
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(msgs)
    assert (await memory.list_messages_by_id(message_ids=[msgs[0].id]))[0].created_at == msgs[0].created_at


async def test_update_keeps_the_position_among_ties(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    t0 = base_time()
    msgs = [sample_message(thread.id, f"m{i}", created_at=t0) for i in range(4)]
    await memory.save_messages(messages=msgs)
    await memory.update_messages(messages=[{"id": msgs[1].id, "content": {"content": "edited"}}])
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(msgs)


async def test_update_resource_id(memory) -> None:
    thread, [msg] = await _setup(memory)
    await memory.update_messages(messages=[{"id": msg.id, "resource_id": "new-resource"}])
    assert ids(await memory.list_messages(thread_id=thread.id, resource_id="new-resource")) == [msg.id]


async def test_unknown_id_does_not_throw_and_changes_nothing(memory) -> None:
    thread, [msg] = await _setup(memory)
    before = await memory.get_thread_by_id(thread_id=thread.id)
    assert await memory.update_messages(messages=[{"id": uid("missing-"), "role": "assistant"}]) == []
    assert await memory.list_messages_by_id(message_ids=[msg.id]) == [msg]
    assert await memory.get_thread_by_id(thread_id=thread.id) == before


async def test_mixed_known_and_unknown_ids(memory) -> None:
    thread, [msg] = await _setup(memory)
    updated = await memory.update_messages(
        messages=[{"id": uid(), "role": "assistant"}, {"id": msg.id, "role": "system"}]
    )
    assert [(m.id, m.role) for m in updated] == [(msg.id, "system")]


async def test_empty_update_list(memory) -> None:
    assert await memory.update_messages(messages=[]) == []


async def test_id_only_update_returns_the_message_unchanged(memory) -> None:
    thread, [msg] = await _setup(memory)
    assert await memory.update_messages(messages=[{"id": msg.id}]) == [msg]


async def test_snake_case_content_keys_are_accepted(memory) -> None:
    thread, [msg] = await _setup(memory)
    [updated] = await memory.update_messages(
        messages=[
            {
                "id": msg.id,
                "content": {
                    "provider_metadata": {"openai": {"itemId": "x"}},
                    "tool_invocations": [{"toolCallId": "c"}],
                },
            }
        ]
    )
    assert updated.content.provider_metadata == {"openai": {"itemId": "x"}}
    assert updated.content.tool_invocations == [{"toolCallId": "c"}]
    assert (await memory.list_messages_by_id(message_ids=[msg.id]))[0] == updated


async def test_unknown_content_fields_survive_an_update(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msg = sample_message(thread.id, content=MessageContent(parts=[TextPart(text="t")], extra={"futureField": [1, 2]}))
    await memory.save_messages(messages=[msg])
    [updated] = await memory.update_messages(
        messages=[{"id": msg.id, "content": {"content": "new", "anotherFuture": {"a": 1}}}]
    )
    assert updated.content.extra == {"futureField": [1, 2], "anotherFuture": {"a": 1}}
    assert (await memory.list_messages_by_id(message_ids=[msg.id]))[0].content.extra == updated.content.extra


async def test_move_then_update_again_in_the_new_thread(memory) -> None:
    a, msgs = await _setup(memory, 2)
    b = sample_thread()
    await memory.save_thread(thread=b)
    await memory.update_messages(messages=[{"id": msgs[0].id, "thread_id": b.id}])
    await memory.update_messages(messages=[{"id": msgs[0].id, "role": "assistant"}])
    [stored] = (await memory.list_messages(thread_id=b.id)).items
    assert (stored.id, stored.role, stored.thread_id) == (msgs[0].id, "assistant", b.id)
    assert ids(await memory.list_messages(thread_id=a.id)) == [msgs[1].id]


async def test_updates_across_two_threads_in_one_call_bump_both(memory) -> None:
    a, a_msgs = await _setup(memory, 1)
    b, b_msgs = await _setup(memory, 1)
    before = {t.id: (await memory.get_thread_by_id(thread_id=t.id)).updated_at for t in (a, b)}
    await memory.update_messages(
        messages=[{"id": a_msgs[0].id, "role": "assistant"}, {"id": b_msgs[0].id, "role": "assistant"}]
    )
    for t in (a, b):
        assert (await memory.get_thread_by_id(thread_id=t.id)).updated_at > before[t.id]
