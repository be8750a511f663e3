"""The domain stores of the pg backend, one module per domain (registered in ``plugin.py``)."""
