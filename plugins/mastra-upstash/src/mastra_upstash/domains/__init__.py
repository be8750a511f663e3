"""The Upstash backend's domain stores, one module per domain, each registered through its hook in plugin.py."""
