"""The in-memory backend's domain stores, one module per domain."""
