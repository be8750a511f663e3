"""mastra-openai-agents: an OpenAI Agents SDK ``Session`` over any mastra storage backend.

``Runner.run(agent, input, session=MastraSession("chat-1", storage))`` keeps the run's history (every
Responses-API input item) as v2 messages of the thread ``chat-1``, in PostgreSQL, DynamoDB, a libSQL file
or any other backend.
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .codec import item_to_message, message_to_items
    from .session import MastraSession

__version__ = _version("mastra-openai-agents")  # the one place is pyproject.toml

__all__ = ["MastraSession", "item_to_message", "message_to_items"]


def __getattr__(name: str) -> Any:
    """Import the public names lazily: importing the package loads neither the Agents SDK nor a backend."""
    if name == "MastraSession":
        from .session import MastraSession

        return MastraSession
    if name in ("item_to_message", "message_to_items"):
        from . import codec

        return getattr(codec, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
