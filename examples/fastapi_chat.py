"""A FastAPI chat endpoint that keeps each conversation's history in mastra storage.

Run: ``pip install -e core -e plugins/mastra-memory fastapi uvicorn`` then
``uvicorn examples.fastapi_chat:app`` and ``curl -X POST localhost:8000/chat/t1 -H 'content-type: application/json'
-d '{"user": "ada", "message": "hello"}'``. The storage URL comes from ``MASTRA_STORAGE_URL`` (default
``file:./chat.db``: the history survives restarts). ``reply()`` stands in for your model call.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from mastra_core import open_storage
from mastra_memory import Memory
from pydantic import BaseModel

URL = os.environ.get("MASTRA_STORAGE_URL", "file:./chat.db")


class ChatIn(BaseModel):
    """One user turn."""

    user: str
    message: str


class Turn(BaseModel):
    """One message of the history."""

    role: str
    text: str


class ChatOut(BaseModel):
    """The model's answer and the conversation so far (oldest first)."""

    reply: str
    history: list[Turn]


async def reply(history: list[Turn]) -> str:
    """Your model goes here; this one counts what it was told."""
    said = [turn.text for turn in history if turn.role == "user"]
    return f"You said {len(said)} thing(s); the last was {said[-1]!r}."


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One storage for the app's lifetime: connected (and checked) at startup, closed at shutdown."""
    async with open_storage(URL) as storage:
        app.state.memory = Memory(storage=storage, options={"last_messages": 20})
        yield


app = FastAPI(lifespan=lifespan)


async def _history(memory: Memory, thread_id: str, user: str) -> list[Turn]:
    result = await memory.recall(thread_id=thread_id, resource_id=user)
    return [Turn(role=m.role, text=m.text) for m in result.messages]


@app.post("/chat/{thread_id}")
async def chat(thread_id: str, body: ChatIn) -> ChatOut:
    """Store the user's message, answer it, store the answer, return both with the history."""
    memory: Memory = app.state.memory
    await memory.add_message(body.message, thread_id=thread_id, resource_id=body.user)
    answer = await reply(await _history(memory, thread_id, body.user))
    await memory.add_message(answer, thread_id=thread_id, resource_id=body.user, role="assistant")
    return ChatOut(reply=answer, history=await _history(memory, thread_id, body.user))


@app.get("/chat/{thread_id}")
async def history(thread_id: str, user: str) -> list[Turn]:
    """The conversation so far."""
    memory: Memory = app.state.memory
    if await memory.get_thread(thread_id, resource_id=user) is None:
        raise HTTPException(status_code=404, detail="no such conversation")
    return await _history(memory, thread_id, user)
