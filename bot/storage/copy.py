"""Copy an embedded SQLite deployment into a PostgreSQL database, table by table.

Tables go in dependency order (parents before the rows that point at them), each in primary-key
order, in batches of one transaction each (asyncpg's COPY). A copy that was interrupted leaves,
per table, a prefix of the source's rows; a re-run recognises it (the target's rows are exactly
the source's first rows) and goes on after the last key copied. A target holding anything else
is refused unless `force`, which empties it first. Afterwards each table's rows are counted and
checksummed on both sides (a SHA-256 over the rows in key order, values normalised by column
type so SQLite's and PostgreSQL's representations agree), and the id sequences are moved past
the largest id copied."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Double, Float, Integer, LargeBinary, Table, create_engine, func, inspect, select, tuple_
from sqlalchemy.engine import make_url

from bot.storage import schema
from bot.storage.tables import metadata

BATCH = 5000


class CopyError(Exception):
    """The copy cannot start or finish; `key` and `values` name the text shown to the admin."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass
class TableCopy:
    table: str
    source_rows: int
    target_rows: int
    source_sum: str
    target_sum: str
    resumed_after: int = 0  # rows already there from an earlier, interrupted run

    @property
    def same(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sum == self.target_sum


def _normaliser(table: Table) -> list[Callable[[Any], object]]:
    """Per column: the value as both databases should hand it over (SQLite may return an int
    for a REAL column, or a float for an INTEGER one written as 1.0)."""
    out: list[Callable[[Any], object]] = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, (Double, Float)):
            out.append(lambda v: None if v is None else float(v))
        elif isinstance(kind, Integer):
            out.append(lambda v: None if v is None else int(v))
        elif isinstance(kind, LargeBinary):
            out.append(lambda v: None if v is None else bytes(v))
        else:
            out.append(lambda v: v)
    return out


def _row_bytes(row: tuple) -> bytes:
    parts = []
    for v in row:
        if v is None:
            parts.append("\\N")
        elif isinstance(v, bytes):
            parts.append("x" + v.hex())
        elif isinstance(v, float):
            parts.append(repr(v))
        else:
            parts.append(str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"))
    return ("\t".join(parts) + "\n").encode("utf-8")


def _pages(fetch: Callable[[tuple | None, int], list[tuple]], npk: int, batch: int,
           limit: int | None = None) -> Iterable[list[tuple]]:
    """Rows in key order, `batch` at a time (keyset pagination on the first `npk` columns)."""
    last, seen = None, 0
    while limit is None or seen < limit:
        size = batch if limit is None else min(batch, limit - seen)
        rows = fetch(last, size)
        if not rows:
            return
        seen += len(rows)
        yield rows
        last = tuple(rows[-1][:npk])


class _Source:
    """The SQLite file, read with SQLAlchemy Core (read-only use)."""

    def __init__(self, path: Path):
        self.engine = create_engine(f"sqlite:///{path}")
        self.conn = self.engine.connect()
        self.tables = set(inspect(self.conn).get_table_names())

    def revision(self) -> str | None:
        return schema.current_revision(self.conn)

    def count(self, table: Table) -> int:
        return int(self.conn.execute(select(func.count()).select_from(table)).scalar_one())

    def fetch(self, table, last: tuple | None, size: int) -> list[tuple]:
        pk = list(table.primary_key.columns)
        others = [c for c in table.columns if c not in pk]
        stmt = select(*pk, *others).order_by(*pk).limit(size)
        if last is not None:
            stmt = stmt.where(tuple_(*pk) > tuple_(*last))
        return [tuple(r) for r in self.conn.execute(stmt)]

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


def column_order(table) -> list:
    """Primary-key columns first (pagination), then the others, in table order."""
    pk = list(table.primary_key.columns)
    return pk + [c for c in table.columns if c not in pk]


async def copy_sqlite_to_postgres(source: Path, target_url: str, *, force: bool = False, batch: int = BATCH,
                                  on_table: Callable[[TableCopy], None] | None = None,
                                  on_batch: Callable[[str, int], None] | None = None) -> list[TableCopy]:
    """Copy the SQLite file `source` into the PostgreSQL database `target_url`; see the module
    docstring. `on_table` hears each finished table, `on_batch` (table, rows so far) each batch."""
    from bot.storage.sql.database import PostgresDatabase
    from bot.storage.sql.store import open_store

    if "://" not in target_url or make_url(target_url).get_backend_name() != "postgresql":
        raise CopyError("db_copy_target_not_pg", url=target_url)
    if not source.is_file():
        raise CopyError("db_check_missing", file=str(source))
    src = _Source(source)
    try:
        head = schema.head_revision()
        if src.revision() != head:
            raise CopyError("db_copy_source_old", file=str(source), revision=src.revision() or "-", head=head)
        store = await open_store(target_url, pool_size=2)  # creates or upgrades the target's schema
        try:
            assert isinstance(store.db, PostgresDatabase)  # the URL was checked above
            return await _copy(src, store.db.pool, force, batch, on_table, on_batch)
        finally:
            await store.close()
    finally:
        src.close()


async def _copy(src: _Source, pool, force: bool, batch: int, on_table, on_batch) -> list[TableCopy]:
    # derived tables (the statistics rollups) are kept by the target's triggers as rows arrive
    tables = [t for t in metadata.sorted_tables if t.name in src.tables and not t.info.get("derived")]
    async with pool.acquire() as conn:
        present = {r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        derived = [t for t in metadata.sorted_tables if t.info.get("derived") and t.name in present]
        tables = [t for t in tables if t.name in present]
        if force:
            names = ", ".join(f'"{t.name}"' for t in [*tables, *derived])
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        plans = []
        for t in tables:  # decide everything before writing anything
            have = await conn.fetchval(f'SELECT count(*) FROM "{t.name}"')
            if have:
                ours = await _checksum_pg(conn, t, batch, None)
                theirs = _checksum_sqlite(src, t, batch, limit=have)
                if ours != theirs or have > src.count(t):
                    raise CopyError("db_copy_not_empty", table=t.name, rows=have)
            plans.append((t, have))
        results = []
        for t, have in plans:
            await _copy_table(src, conn, t, have, batch, on_batch)
            await _fix_sequence(conn, t)
            result = TableCopy(t.name, src.count(t), await conn.fetchval(f'SELECT count(*) FROM "{t.name}"'),
                               _checksum_sqlite(src, t, batch), await _checksum_pg(conn, t, batch, None),
                               resumed_after=have)
            results.append(result)
            if on_table:
                on_table(result)
    return results


async def _copy_table(src: _Source, conn, table, have: int, batch: int, on_batch) -> None:
    columns = column_order(table)
    npk = len(table.primary_key.columns)
    norm = {c.name: f for c, f in zip(table.columns, _normaliser(table), strict=True)}
    fixes = [norm[c.name] for c in columns]
    last = None
    if have:
        pk = ", ".join(f'"{c.name}"' for c in columns[:npk])
        row = await conn.fetchrow(f'SELECT {pk} FROM "{table.name}" ORDER BY {pk} DESC LIMIT 1')
        last = tuple(row)
    done = have
    while True:
        rows = src.fetch(table, last, batch)
        if not rows:
            return
        records = [tuple(f(v) for f, v in zip(fixes, r, strict=True)) for r in rows]
        async with conn.transaction():
            await conn.copy_records_to_table(table.name, records=records, columns=[c.name for c in columns])
        done += len(rows)
        last = tuple(rows[-1][:npk])
        if on_batch:
            on_batch(table.name, done)


def _digest(rows_pages: Iterable[list[tuple]], fixes: list[Callable]) -> tuple[int, str]:
    h = hashlib.sha256()
    n = 0
    for rows in rows_pages:
        for r in rows:
            h.update(_row_bytes(tuple(f(v) for f, v in zip(fixes, r, strict=True))))
            n += 1
    return n, h.hexdigest()


def _fixes(table) -> list[Callable]:
    norm = {c.name: f for c, f in zip(table.columns, _normaliser(table), strict=True)}
    return [norm[c.name] for c in column_order(table)]


def _checksum_sqlite(src: _Source, table, batch: int, limit: int | None = None) -> str:
    pages = _pages(lambda last, size: src.fetch(table, last, size), len(table.primary_key.columns), batch, limit)
    return _digest(pages, _fixes(table))[1]


async def _checksum_pg(conn, table, batch: int, limit: int | None) -> str:
    columns = column_order(table)
    npk = len(table.primary_key.columns)
    pk = ", ".join(f'"{c.name}"' for c in columns[:npk])
    cols = ", ".join(f'"{c.name}"' for c in columns)
    fixes = _fixes(table)
    h = hashlib.sha256()
    last = None
    while True:
        if last is None:
            rows = await conn.fetch(f'SELECT {cols} FROM "{table.name}" ORDER BY {pk} LIMIT {int(batch)}')
        else:
            marks = ", ".join(f"${i + 1}" for i in range(npk))
            rows = await conn.fetch(f'SELECT {cols} FROM "{table.name}" WHERE ({pk}) > ({marks}) '
                                    f'ORDER BY {pk} LIMIT {int(batch)}', *last)
        if not rows:
            return h.hexdigest()
        for r in rows:
            h.update(_row_bytes(tuple(f(v) for f, v in zip(fixes, r, strict=True))))
        last = tuple(rows[-1])[:npk]


async def _fix_sequence(conn, table) -> None:
    """Move an id sequence (serial or identity column) past the largest id copied."""
    for column in table.primary_key.columns:
        if not (column.autoincrement is True or (column.autoincrement == "auto" and isinstance(column.type, Integer)
                                                 and len(table.primary_key.columns) == 1)):
            continue
        seq = await conn.fetchval("SELECT pg_get_serial_sequence($1, $2)", f'"{table.name}"', column.name)
        if seq:
            await conn.execute(f'SELECT setval($1, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, '
                               f'false)', seq)
