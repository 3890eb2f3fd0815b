"""The calendar's web pages: one module per page family, and `urls.py` that routes them.
Thin views over the domain: they may import Django and `events` modules, never `sync`.
Templates live in templates/; the URL names in `urls.py` are what they link to.
"""
