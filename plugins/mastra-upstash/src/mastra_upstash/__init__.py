"""mastra storage on Upstash or any Redis: ``UpstashStore`` (backend id ``upstash``).

Two transports, chosen by the URL: Upstash's REST API (``https://`` + token, over httpx) or the Redis
protocol (redis-py). Importing this package never connects; the drivers are imported when a store opens.
"""

from importlib.metadata import version as _version

from .config import UpstashConfig
from .store import UpstashStore

__version__ = _version("mastra-upstash")  # the one place is pyproject.toml

__all__ = ["UpstashConfig", "UpstashStore"]
