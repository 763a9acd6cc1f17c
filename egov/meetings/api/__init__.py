"""Meetings API (mounted under /api/v1/), one module per area; `urls.py` collects them."""
