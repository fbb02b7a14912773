"""The few statements that differ between SQLite and PostgreSQL, named as such: upserts
(INSERT … ON CONFLICT, via each dialect's insert construct), row claims (FOR UPDATE SKIP LOCKED
on PostgreSQL; SQLite has one writer, so a plain SELECT inside BEGIN IMMEDIATE claims), and the
local day of a timestamp (integer division that floors on both)."""

from __future__ import annotations

from sqlalchemy import Integer, cast, func
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(dialect: str):
    """The insert() of a dialect, which offers on_conflict_do_nothing / on_conflict_do_update."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_ignore(dialect: str, table, keys=None):
    """INSERT … ON CONFLICT DO NOTHING (on `keys`, or on any unique constraint)."""
    return dialect_insert(dialect)(table).on_conflict_do_nothing(index_elements=keys)


def upsert(dialect: str, table, keys: list[str], update: list[str] | None = None, **set_exprs):
    """INSERT … ON CONFLICT(keys) DO UPDATE SET each column in `update` to the new value (and
    each of `set_exprs` to an expression of (table, excluded))."""
    ins = dialect_insert(dialect)(table)
    sets = {c: ins.excluded[c] for c in (update or [])}
    sets.update({c: f(table, ins.excluded) for c, f in set_exprs.items()})
    return ins.on_conflict_do_update(index_elements=keys, set_=sets)


def for_update_skip_locked(dialect: str, select):
    """Rows several workers may claim at once: PostgreSQL locks the chosen rows and skips rows
    another transaction holds; on SQLite the transaction is already the only writer."""
    if dialect == "postgresql":
        return select.with_for_update(skip_locked=True, of=select.selected_columns[0].table)
    return select


def local_day(dialect: str, at, offset):
    """The local day number of a UTC timestamp: floor((at + offset) / 86400)."""
    if dialect == "postgresql":
        return cast(func.floor((at + offset) / 86400), Integer)
    return cast((at + offset) / 86400, Integer)  # SQLite's CAST truncates; times are positive


def string_agg(dialect: str, expr, separator: str):
    """The texts of a group joined by `separator` (order unspecified)."""
    if dialect == "postgresql":
        return func.string_agg(expr, separator)
    return func.group_concat(expr, separator)
