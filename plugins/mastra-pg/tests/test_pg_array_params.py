"""``arrays.TextArray``: a ``text[]`` parameter sent as one literal reads back on the server as exactly the elements
sent (the server's ``array_in`` is the judge), for hostile text drawn by Hypothesis and for the cases a literal
must get right by hand: quotes, backslashes, braces, commas, blanks, ``NULL`` as text, the separator ``","`` inside
an element, non-ASCII, empty strings, NULL elements, the empty array. And the store's own statements that take
such arrays (save_messages, list_messages_by_id, a page over several threads, delete_messages) do what they did."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mastra_core.records import Message, Thread
from mastra_pg import lean
from mastra_pg.arrays import TextArray, register_array_dumpers, text_array_literal

HAND_PICKED: list[tuple[str | None, ...]] = [
    (), ("",), ("", ""), ("a",), ('"',), ("\\",), ('\\"',), ('a","b',), ('","',), ("{", "}"), ("a,b", " b "),
    ("NULL",), ("null", None), (None,), (None, None), ("é", "😀", "\u2028", "\uffff"), ("x" * 5000,),
    ('{"format":2,"parts":[{"text":"a \\"q\\" \\\\ b","type":"text"}]}', "plain"), ("\t\n\r", "\x01\x1f\x7f"),
]

#: Text PostgreSQL can hold: any character but NUL and lone surrogates (never storable: the store refuses both).
storable = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@pytest.fixture
async def conn(raw: psycopg.AsyncConnection[Any]) -> psycopg.AsyncConnection[Any]:
    register_array_dumpers(raw)
    return raw


async def _server_reads(conn: psycopg.AsyncConnection[Any], items: tuple[str | None, ...]) -> Any:
    """The array the server parsed (its elements, in order; None for NULL), through the lean path and psycopg's."""
    param = TextArray(items)
    lean_rows = (await lean.run(conn, "SELECT %(a)s::text[], cardinality(%(a)s::text[])", {"a": param}, False)).rows
    cur = await conn.execute("SELECT %s::text[]", (param,))
    assert await cur.fetchone() == (lean_rows[0][0],)
    assert lean_rows[0][1] == len(items)
    return lean_rows[0][0]


async def test_hand_picked_arrays_read_back_exactly(conn: psycopg.AsyncConnection[Any]) -> None:
    for items in HAND_PICKED:
        assert await _server_reads(conn, items) == list(items), items


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.none(), storable), max_size=8))
async def test_drawn_arrays_read_back_exactly(conn: psycopg.AsyncConnection[Any], items: list[str | None]) -> None:
    assert await _server_reads(conn, tuple(items)) == items


def test_the_literal_quotes_every_element() -> None:
    assert text_array_literal(()) == "{}"
    assert text_array_literal(("a", "b")) == '{"a","b"}'
    assert text_array_literal(('a","b',)) == '{"a\\",\\"b"}'  # the separator inside an element is escaped
    assert text_array_literal(("a", None, "\\")) == '{"a",NULL,"\\\\"}'


async def test_the_store_statements_that_take_text_arrays(make_store: Any) -> None:
    store = await make_store()
    memory = store.memory
    hostile = ['say "hi"', "back\\slash", "{brace}", "a,b", 'x","y', "NULL", "é 😀"]
    for tid in ("t1", 't"2'):
        await memory.save_thread(thread=Thread(id=tid, resource_id='r"1', title="t"))
    messages = [Message.from_text(text, id=f'm{i}"\\', thread_id="t1" if i % 2 else 't"2',
                                  resource_id="r,2" if i % 3 else 'r"1') for i, text in enumerate(hostile)]
    await memory.save_messages(messages=messages)
    by_id = await memory.list_messages_by_id(message_ids=[m.id for m in messages] + ["missing"])
    assert sorted((m.id, m.content.content, m.thread_id, m.resource_id) for m in by_id) == sorted(
        (m.id, m.content.content, m.thread_id, m.resource_id) for m in messages)
    page = await memory.list_messages(thread_id=["t1", 't"2'], per_page=50)
    assert page.total == len(hostile) and {m.id for m in page.items} == {m.id for m in messages}
    await memory.delete_messages(message_ids=[messages[0].id, messages[1].id])
    left = await memory.list_messages_by_id(message_ids=[m.id for m in messages])
    assert {m.id for m in left} == {m.id for m in messages[2:]}
