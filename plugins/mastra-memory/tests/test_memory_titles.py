"""generate_title: first user message only, cleaned titles, failures leave the title, created_at kept."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from mastra_memory import Memory
from mastra_memory.titles import clean_title
from memory_helpers import msg


class Generator:
    def __init__(self, answer: str = "A Title", *, fail: bool = False) -> None:
        self.answer = answer
        self.fail = fail
        self.seen: list[str] = []

    async def __call__(self, text: str) -> str:
        self.seen.append(text)
        if self.fail:
            raise RuntimeError("model unavailable")
        return self.answer


def test_clean_title() -> None:
    assert clean_title('<think>hmm, let me think: cats</think> "Cats: A Guide"') == "Cats A Guide"
    assert clean_title("\u201cQuoted\u201d 'title'") == "Quoted title"
    long = clean_title("word " * 40)
    assert len(long) <= 80 and not long.endswith(" ")
    assert clean_title("<think>unfinished reasoning") == ""
    assert len(clean_title("x" * 200)) == 80


async def test_title_generated_on_first_user_message_only(make_memory: Any) -> None:
    gen = Generator('<think>The user talks about cats.</think>"Cats: names and care"')
    memory: Memory = make_memory({"generate_title": True}, title_generator=gen)
    thread = await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.save_messages(
        [
            msg("s", "You are helpful.", thread="t", resource="alice", role="system", t=0),
            msg("u1", "My cat is called Tom", thread="t", resource="alice", t=1),
        ]
    )
    stored = await memory.get_thread("t")
    assert stored is not None
    assert stored.title == "Cats names and care"
    assert stored.created_at == thread.created_at
    assert gen.seen == ["My cat is called Tom"]
    await memory.save_messages(
        [
            msg("a1", "Nice!", thread="t", resource="alice", role="assistant", t=2),
            msg("u2", "And my dog is Rex", thread="t", resource="alice", t=3),
        ]
    )
    assert gen.seen == ["My cat is called Tom"]
    # a second Memory object (no in-process knowledge) also sees that the thread already has a user message
    other: Memory = make_memory({"generate_title": True}, title_generator=gen)
    await other.save_messages([msg("u3", "Another question", thread="t", resource="alice", t=4)])
    assert gen.seen == ["My cat is called Tom"]


async def test_generator_in_config_and_sync_generators(make_memory: Any) -> None:
    def sync_gen(text: str) -> str:
        return f"About {text.split()[0]}"

    memory: Memory = make_memory({"generate_title": sync_gen})
    await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.save_messages([msg("u", "Gardening tips please", thread="t", resource="alice")])
    stored = await memory.get_thread("t")
    assert stored is not None and stored.title == "About Gardening"


async def test_failures_are_logged_and_leave_the_title(make_memory: Any, caplog: pytest.LogCaptureFixture) -> None:
    memory: Memory = make_memory({"generate_title": True}, title_generator=Generator(fail=True))
    thread = await memory.create_thread(resource_id="alice", thread_id="t", title="Original")
    with caplog.at_level(logging.WARNING, logger="mastra_memory"):
        saved = await memory.save_messages([msg("u", "hello there", thread="t", resource="alice")])
    assert [m.id for m in saved] == ["u"]
    stored = await memory.get_thread("t")
    assert stored is not None and stored.title == "Original" and stored.created_at == thread.created_at
    assert any("title generation failed" in r.getMessage() for r in caplog.records)
    empty: Memory = make_memory({"generate_title": True}, title_generator=Generator("<think>only thoughts</think>"))
    await empty.create_thread(resource_id="alice", thread_id="t2", title="Keep")
    await empty.save_messages([msg("u2", "hi", thread="t2", resource="alice")])
    kept = await empty.get_thread("t2")
    assert kept is not None and kept.title == "Keep"


async def test_no_title_generation_when_disabled(make_memory: Any) -> None:
    gen = Generator()
    memory: Memory = make_memory(title_generator=gen)
    await memory.create_thread(resource_id="alice", thread_id="t", title="Plain")
    await memory.save_messages([msg("u", "hello", thread="t", resource="alice")])
    assert gen.seen == []
    await memory.save_messages(
        [msg("u2", "hello again", thread="t", resource="alice")], config={"generate_title": True}
    )
    assert gen.seen == []  # not the first user message any more


async def test_default_generator_uses_the_first_line(make_memory: Any) -> None:
    memory: Memory = make_memory({"generate_title": True})
    await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.save_messages([msg("u", "Plan: a weekend in Rome\nwith details", thread="t", resource="alice")])
    stored = await memory.get_thread("t")
    assert stored is not None and stored.title == "Plan a weekend in Rome"
