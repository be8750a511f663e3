"""mastra storage on Upstash or any Redis 6.2+: ``UpstashStore`` (backend id ``upstash``)."""

from .store import UpstashConfig, UpstashStore

__all__ = ["UpstashConfig", "UpstashStore"]
