"""Tests peek at and poke the database with plain SQL (qmark parameters), on whichever database
the store runs (SQLite or PostgreSQL), inside the store's own transaction handling."""

from __future__ import annotations

import re

from sqlalchemy import text


def _statement(sql: str, params: tuple):
    count = iter(range(len(params)))
    named = re.sub(r"\?", lambda _m: f":p{next(count)}", sql)
    return text(named), {f"p{i}": v for i, v in enumerate(params)}


async def sql_all(store, sql: str, params: tuple = ()) -> list[tuple]:
    stmt, values = _statement(sql, params)
    return (await store.db.run(stmt, values)).rows


async def sql_one(store, sql: str, params: tuple = ()) -> tuple | None:
    rows = await sql_all(store, sql, params)
    return rows[0] if rows else None


async def sql_write(store, sql: str, params: tuple = ()) -> int:
    stmt, values = _statement(sql, params)
    return (await store.db.run(stmt, values)).rowcount
