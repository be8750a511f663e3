"""Memory with semantic recall: a fact told in one conversation is found from another one.

Run: ``pip install -e core -e plugins/mastra-memory`` then ``python examples/memory_semantic_recall.py``.
The storage URL comes from ``MASTRA_STORAGE_URL`` (default ``memory:``); the vectors live in an in-memory
vector store here (``mastra_pg.PgVector`` or mastra-libsql's vector store keep them in the database).
``HashEmbedder`` is an offline stand-in: ``pip install -e plugins/mastra-embed-local`` gives real
sentence embeddings (``embedder=LocalEmbedder()``).
"""

import asyncio
import os

from mastra_core import open_storage
from mastra_core.inmemory.vector import InMemoryVector
from mastra_memory import HashEmbedder, Memory

URL = os.environ.get("MASTRA_STORAGE_URL", "memory:")


async def main() -> None:
    async with open_storage(URL) as storage:
        memory = Memory(storage=storage, vector=InMemoryVector(), embedder=HashEmbedder(),
                        options={"last_messages": 2, "semantic_recall": {"top_k": 1, "message_range": 1}})
        first = await memory.create_thread(resource_id="ada")
        for text in ("hello!", "my cat is called Tom", "and I live in Paris", "what's the weather like?"):
            await memory.add_message(text, thread_id=first.id, resource_id="ada")
        second = await memory.create_thread(resource_id="ada")
        await memory.add_message("a new day, a new chat", thread_id=second.id, resource_id="ada")
        result = await memory.recall(thread_id=second.id, resource_id="ada", query="my cat is called Tom")
        print("context for the model:")
        for message in result.messages:
            print(f"  [{'this thread' if message.thread_id == second.id else 'recalled'}] {message.text}")
        for thread in (first, second):
            await memory.delete_thread(thread.id)


if __name__ == "__main__":
    asyncio.run(main())
