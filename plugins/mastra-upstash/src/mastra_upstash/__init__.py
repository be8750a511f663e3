"""mastra storage on Upstash or any Redis: ``UpstashStore`` (backend id ``upstash``)."""

from .store import UpstashConfig, UpstashStore

__all__ = ["UpstashConfig", "UpstashStore"]
