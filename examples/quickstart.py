"""A thread, its messages and a user's working memory, on whichever backend the URL names.

The same program runs on every backend: only the URL changes (that is the point of the library). Give the URL as
the first argument or in ``MASTRA_STORAGE_URL``; the default is an embedded file next to where you run it.

    pip install -e core -e plugins/mastra-libsql
    python examples/quickstart.py                                   # file:./agent.db (embedded libSQL)

    # each backend is its own distribution: install the one the URL needs
    python examples/quickstart.py memory:                           # core only; nothing kept
    python examples/quickstart.py postgresql://postgres@127.0.0.1:5432/postgres     # mastra-pg: `public` schema
    python examples/quickstart.py mongodb://127.0.0.1:27017/mastra  # mastra-mongodb: database from the path
    python examples/quickstart.py mysql://root@127.0.0.1:3306/mastra_example        # mastra-mysql (created at init)
    python examples/quickstart.py 'redis://127.0.0.1:6379/0?prefix=example:'        # mastra-upstash (or upstash://)
    AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\
      python examples/quickstart.py 'dynamodb://127.0.0.1:8000/mastra-example?create_table_if_missing=true'
      # mastra-dynamodb: one table, created here for development (production: TABLE_SETUP.md)
"""

import asyncio
import os
import sys
import uuid

from mastra_core import Message, Thread, open_storage

URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MASTRA_STORAGE_URL", "file:./agent.db")


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
