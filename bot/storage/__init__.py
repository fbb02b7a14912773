"""Persistence: repository interfaces (ports.py) and their SQLite implementation (sqlite.py)."""
