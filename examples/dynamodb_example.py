"""A thread, its messages and a user's working memory on the ``dynamodb`` backend.

Run: ``pip install -e core -e plugins/mastra-dynamodb`` then ``python examples/dynamodb_example.py`` (the URL comes
from ``MASTRA_STORAGE_URL``, default ``dynamodb://127.0.0.1:8000/mastra-example?create_table_if_missing=true``).
Where the data lives: One table (created here for development; use `mastra dynamodb create-table` or TABLE_SETUP.md
in production). AWS credentials come from the usual chain: for DynamoDB Local any values do (AWS_ACCESS_KEY_ID=local
AWS_SECRET_ACCESS_KEY=local).
"""

import asyncio
import os
import uuid

from mastra_core import Message, Thread, open_storage

URL = os.environ.get("MASTRA_STORAGE_URL", "dynamodb://127.0.0.1:8000/mastra-example?create_table_if_missing=true")


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
