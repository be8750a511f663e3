"""A thread, its messages and a user's working memory on the ``pg`` backend.

Run: ``pip install -e core -e plugins/mastra-pg`` then ``python examples/pg_example.py`` (the URL comes from
``MASTRA_STORAGE_URL``, default ``postgresql://postgres@127.0.0.1:5432/postgres``). Where the data lives: Tables in
the `public` schema (`?schema_name=app` for another one).
"""

import asyncio
import os
import uuid

from mastra_core import Message, Thread, open_storage

URL = os.environ.get("MASTRA_STORAGE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def main() -> None:
    async with open_storage(URL) as storage:  # connects and creates/migrates the schema; fails fast with the reason
        thread_id = f"thread-{uuid.uuid4().hex[:8]}"
        await storage.memory.save_thread(thread=Thread(id=thread_id, resource_id="ada", title="Cats"))
        await storage.memory.save_messages(
            messages=[
                Message.from_text("my cat is called Tom", id=f"{thread_id}-1", thread_id=thread_id, resource_id="ada"),
                Message.from_text(
                    "Tom is a fine name for a cat.",
                    id=f"{thread_id}-2",
                    role="assistant",
                    thread_id=thread_id,
                    resource_id="ada",
                ),
            ]
        )
        await storage.memory.update_resource(resource_id="ada", working_memory="# Ada\n- cat: Tom")
        page = await storage.memory.list_messages(thread_id=thread_id)
        for message in page.items:
            print(f"{message.role}: {message.text}")
        resource = await storage.memory.get_resource_by_id(resource_id="ada")
        print("working memory:", resource.working_memory if resource else None)
        await storage.memory.delete_thread(thread_id=thread_id)  # keep the example's database tidy


if __name__ == "__main__":
    asyncio.run(main())
