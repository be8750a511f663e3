"""mastra storage on Upstash or any Redis: ``UpstashStore`` (backend id ``upstash``).

Importing this package never connects; the redis driver is imported when a store opens.
"""

from .config import UpstashConfig
from .store import UpstashStore

__all__ = ["UpstashConfig", "UpstashStore"]
