"""The MongoDB domain stores, one module per domain; each is registered through its hook in ``plugin.py``."""
