"""The storage ports implemented with SQLAlchemy Core, for SQLite and PostgreSQL alike."""
