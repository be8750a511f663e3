"""The DynamoDB backend's domain stores, one module per domain (``shared.py``: what they all use)."""
