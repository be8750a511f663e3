"""The libSQL domain stores, one module per domain (registered through the plugin's domain hooks)."""
