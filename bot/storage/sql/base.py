"""What every repository holds: the database it runs on and that database's dialect name."""

from __future__ import annotations

import json
from typing import Any

from bot.storage.sql.database import Database


class Repo:
    def __init__(self, db: Database):
        self.db = db
        self.dialect = db.dialect_name


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]
