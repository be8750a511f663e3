"""delete_messages: subsets, unknown ids, several threads, updated_at bumps."""

from __future__ import annotations

from .factories import base_time, ids, messages_in_order, sample_message, sample_thread, uid


async def _setup(memory, n: int):
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msgs = messages_in_order(thread.id, n, start=base_time())
    await memory.save_messages(messages=msgs)
    return thread, msgs


async def test_delete_a_subset(memory) -> None:
    thread, msgs = await _setup(memory, 5)
    await memory.delete_messages(message_ids=[msgs[1].id, msgs[3].id])
    page = await memory.list_messages(thread_id=thread.id)
    assert ids(page) == [msgs[0].id, msgs[2].id, msgs[4].id]
    assert page.total == 3
    assert await memory.list_messages_by_id(message_ids=[msgs[1].id, msgs[3].id]) == []


async def test_empty_list_is_a_no_op(memory) -> None:
    thread, msgs = await _setup(memory, 2)
    before = await memory.get_thread_by_id(thread_id=thread.id)
    await memory.delete_messages(message_ids=[])
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(msgs)
    assert await memory.get_thread_by_id(thread_id=thread.id) == before


async def test_unknown_ids_do_not_throw(memory) -> None:
    thread, msgs = await _setup(memory, 2)
    await memory.delete_messages(message_ids=[uid("missing-"), uid("missing-")])
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(msgs)


async def test_mixed_valid_and_unknown_ids(memory) -> None:
    thread, msgs = await _setup(memory, 3)
    await memory.delete_messages(message_ids=[uid(), msgs[0].id, uid(), msgs[0].id])
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(msgs[1:])


async def test_delete_bumps_the_thread(memory) -> None:
    thread, msgs = await _setup(memory, 2)
    before = (await memory.get_thread_by_id(thread_id=thread.id)).updated_at
    await memory.delete_messages(message_ids=[msgs[0].id])
    after = await memory.get_thread_by_id(thread_id=thread.id)
    assert after.updated_at > before
    assert after.created_at == thread.created_at


async def test_delete_across_threads_bumps_each(memory) -> None:
    a, a_msgs = await _setup(memory, 3)
    b, b_msgs = await _setup(memory, 3)
    c, c_msgs = await _setup(memory, 1)
    before = {t.id: (await memory.get_thread_by_id(thread_id=t.id)).updated_at for t in (a, b, c)}
    await memory.delete_messages(message_ids=[a_msgs[0].id, b_msgs[2].id])
    assert ids(await memory.list_messages(thread_id=a.id)) == ids(a_msgs[1:])
    assert ids(await memory.list_messages(thread_id=b.id)) == ids(b_msgs[:2])
    assert ids(await memory.list_messages(thread_id=c.id)) == ids(c_msgs)
    after = {t.id: (await memory.get_thread_by_id(thread_id=t.id)).updated_at for t in (a, b, c)}
    assert after[a.id] > before[a.id] and after[b.id] > before[b.id]
    assert after[c.id] == before[c.id]


async def test_delete_half_of_a_hundred(memory) -> None:
    thread, msgs = await _setup(memory, 100)
    await memory.delete_messages(message_ids=ids(msgs[50:]))
    page = await memory.list_messages(thread_id=thread.id, per_page=False)
    assert ids(page) == ids(msgs[:50])
    assert page.total == 50


async def test_delete_every_message_leaves_the_thread(memory) -> None:
    thread, msgs = await _setup(memory, 4)
    await memory.delete_messages(message_ids=ids(msgs))
    assert (await memory.list_messages(thread_id=thread.id)).total == 0
    assert await memory.get_thread_by_id(thread_id=thread.id) is not None


async def test_a_deleted_id_can_be_saved_again(memory) -> None:
    thread, msgs = await _setup(memory, 3)
    await memory.delete_messages(message_ids=[msgs[1].id])
    await memory.save_messages(messages=[msgs[1]])
    assert ids(await memory.list_messages(thread_id=thread.id)) == ids(msgs)


async def test_delete_messages_without_a_thread_row(memory) -> None:
    thread_id = uid("no-thread-")
    msg = sample_message(thread_id)
    await memory.save_messages(messages=[msg])
    await memory.delete_messages(message_ids=[msg.id])
    assert (await memory.list_messages(thread_id=thread_id)).total == 0
    assert await memory.get_thread_by_id(thread_id=thread_id) is None


async def test_pages_after_a_delete_close_the_gap(memory) -> None:
    thread, msgs = await _setup(memory, 6)
    await memory.delete_messages(message_ids=[msgs[2].id])
    first = await memory.list_messages(thread_id=thread.id, per_page=2)
    second = await memory.list_messages(thread_id=thread.id, per_page=2, page=1)
    third = await memory.list_messages(thread_id=thread.id, per_page=2, page=2)
    assert ids(first) + ids(second) + ids(third) == ids(msgs[:2] + msgs[3:])
    assert (third.total, third.has_more) == (5, False)


async def test_delete_after_a_move_bumps_the_thread_it_is_in_now(memory) -> None:
    a, msgs = await _setup(memory, 1)
    b = sample_thread()
    await memory.save_thread(thread=b)
    await memory.update_messages(messages=[{"id": msgs[0].id, "thread_id": b.id}])
    before_a = (await memory.get_thread_by_id(thread_id=a.id)).updated_at
    before_b = (await memory.get_thread_by_id(thread_id=b.id)).updated_at
    await memory.delete_messages(message_ids=[msgs[0].id])
    assert (await memory.get_thread_by_id(thread_id=b.id)).updated_at > before_b
    assert (await memory.get_thread_by_id(thread_id=a.id)).updated_at == before_a
    assert (await memory.list_messages(thread_id=b.id)).total == 0


async def test_delete_thread_after_moving_a_message_out_keeps_the_moved_message(memory) -> None:
    a, msgs = await _setup(memory, 2)
    b = sample_thread()
    await memory.save_thread(thread=b)
    await memory.update_messages(messages=[{"id": msgs[0].id, "thread_id": b.id}])
    await memory.delete_thread(thread_id=a.id)
    assert ids(await memory.list_messages(thread_id=b.id)) == [msgs[0].id]
    assert await memory.list_messages_by_id(message_ids=[msgs[1].id]) == []
