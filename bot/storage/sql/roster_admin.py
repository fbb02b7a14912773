"""The console's roster queries and writes: a page of people (search by name or 工号 within a set
of units, sorted and paged in SQL), moving a person to another unit, and erasing a person's
personal data (个人信息保护法) while the statistics keep anonymous counts.

Erasure: the roster row keeps its id, unit and active flag (so rates and roster sizes do not
change) but loses its name, 工号, role and phone tail; each chat account bound to it is renamed
to a pseudonym (`erased:<roster id>:<platform>`) in every table that counts answers, attempts,
study time or matches, and deleted from every table that only serves that person (their session,
settings, mistake book, queue places, pending messages). Any column named in PERSON_COLUMNS of
any table (also tables added later) that holds the account's key is renamed too."""

from __future__ import annotations

from sqlalchemy import Text, and_, delete, func, insert, or_, select, update

from bot.storage.ports import ERASED_PREFIX, Erasure, PersonRecord
from bot.storage.sql.base import Repo
from bot.storage.tables import (
    admin_log,
    bind_codes,
    bindings,
    certificates,
    metadata,
    outbox,
    rank_optouts,
    roster,
    units,
)

R = roster.c
B = bindings.c
SORTS = {"staff_no": R.staff_no, "name": R.name, "unit": R.unit_id}

# Tables that only serve the person: their rows are deleted (column holding the account key).
DELETE_BY_USER = {
    "users": "key", "sessions": "user_key", "wrong_book": "user_key", "review_cards": "user_key",
    "practice_progress": "user_key", "reminder_prefs": "user_key", "numbered_menus": "user_key",
    "pk_queue": "user_key", "pending_uploads": "user_key", "study_presence": "user_key", "admins": "user_key",
    "web_sessions": "user_key", "web_login_tokens": "user_key",
}
# Columns that may hold a chat account's key; in every other table they are renamed to the pseudonym.
PERSON_COLUMNS = ("user_key", "created_by", "issued_by", "used_by", "granted_by", "bound_by", "set_by",
                  "revoked_by", "winner", "actor", "user", "updated_by", "handled_by", "retired_by", "by")


def pseudonym(roster_id: int, platform: str) -> str:
    return f"erased:{roster_id}:{platform}"


class SqlRosterAdmin(Repo):
    def _where(self, scope: set[str] | None, text: str):
        conds = [~R.staff_no.startswith(ERASED_PREFIX)]
        if scope is not None:
            conds.append(R.unit_id.in_(sorted(scope)) if scope else R.id < 0)
        text = text.strip()
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conds.append(or_(R.staff_no.like(f"{escaped}%", escape="\\"),
                             R.name.like(f"%{escaped}%", escape="\\")))
        return and_(*conds)

    async def search(self, scope: set[str] | None, text: str, offset: int, limit: int,
                     sort: str = "staff_no", desc: bool = False,
                     active_only: bool = False) -> tuple[list[PersonRecord], int]:
        """A page of roster entries in `scope` (None: every unit) whose 工号 starts with or whose
        name contains `text`, and how many there are in all."""
        where = self._where(scope, text)
        if active_only:
            where = and_(where, R.active == 1)
        column = SORTS.get(sort, R.staff_no)
        order = [column.desc() if desc else column.asc(), R.id.asc()]
        rows = (await self.db.run(select(R.id, R.staff_no, R.name, R.unit_id, R.role, R.phone_tail, R.active)
                                  .where(where).order_by(*order).offset(max(offset, 0)).limit(limit))).rows
        total = (await self.db.run(select(func.count()).select_from(roster).where(where))).scalar() or 0
        people = [PersonRecord(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]
        if people:
            bound: dict[int, list[tuple[str, str, float]]] = {}
            for rid, platform, user, at in (await self.db.run(
                    select(B.roster_id, B.platform, B.user_key, B.bound_at)
                    .where(B.roster_id.in_([p.id for p in people])))).rows:
                bound.setdefault(rid, []).append((platform, user, at))
            people = [_with_bindings(p, bound.get(p.id, [])) for p in people]
        return people, int(total)

    async def person(self, roster_id: int) -> PersonRecord | None:
        row = (await self.db.run(select(R.id, R.staff_no, R.name, R.unit_id, R.role, R.phone_tail, R.active)
                                 .where(R.id == roster_id))).first()
        if row is None:
            return None
        bound = (await self.db.run(select(B.platform, B.user_key, B.bound_at).where(B.roster_id == roster_id)
                                   .order_by(B.platform))).rows
        return PersonRecord(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]),
                            tuple((p, u, at) for p, u, at in bound))

    async def staff_owners(self, staff_nos: list[str]) -> dict[str, str]:
        """工号 -> unit id of entries already on the roster (active or not)."""
        found: dict[str, str] = {}
        for start in range(0, len(staff_nos), 500):
            part = staff_nos[start:start + 500]
            for staff_no, unit_id in (await self.db.run(select(R.staff_no, R.unit_id)
                                                        .where(R.staff_no.in_(part)))).rows:
                found[staff_no] = unit_id
        return found

    async def move(self, roster_id: int, unit_id: str, now: float) -> bool:
        done = await self.db.run(update(roster).where(R.id == roster_id).values(unit_id=unit_id, updated_at=now))
        return done.rowcount == 1

    async def unit_exists(self, unit_id: str) -> bool:
        return (await self.db.run(select(units.c.id).where(units.c.id == unit_id))).first() is not None

    async def erase(self, roster_id: int, now: float, audit_target: str | None = None) -> Erasure | None:
        """Erase the person's personal data (see the module docstring), in one transaction. Rows of
        the audit tables (a `target` beside `before`/`after`) whose target is `audit_target` lose
        their before/after, which hold the person's name and 工号."""
        changed: dict[str, int] = {}

        def count(table: str, n: int) -> None:
            if n > 0:
                changed[table] = changed.get(table, 0) + n

        async with self.db.transaction():
            row = (await self.db.run(select(R.staff_no, R.name).where(R.id == roster_id))).first()
            if row is None:
                return None
            staff_no, _name = row
            accounts = (await self.db.run(select(B.platform, B.user_key).where(B.roster_id == roster_id))).rows
            for platform, user in accounts:
                alias = pseudonym(roster_id, platform)
                for table_name, user_column in DELETE_BY_USER.items():
                    table = metadata.tables.get(table_name)
                    if table is not None:
                        count(table_name, (await self.db.run(delete(table).where(table.c[user_column] == user))).rowcount)
                count("outbox", (await self.db.run(delete(outbox).where(
                    outbox.c.user_key == user, outbox.c.status.in_(["pending", "inflight"])))).rowcount)
                count("outbox", (await self.db.run(update(outbox).where(outbox.c.user_key == user)
                                                   .values(user_key=alias, payload="{}"))).rowcount)
                for table in metadata.sorted_tables:
                    if table.name in DELETE_BY_USER or table.name == "outbox":
                        continue
                    for column in table.columns:
                        if column.name in PERSON_COLUMNS and isinstance(column.type, Text):
                            n = (await self.db.run(update(table).where(column == user)
                                                   .values({column.name: alias}))).rowcount
                            count(table.name, n)
            count("bind_codes", (await self.db.run(delete(bind_codes).where(
                bind_codes.c.roster_id == roster_id))).rowcount)
            count("certificates", (await self.db.run(update(certificates).where(
                certificates.c.roster_id == roster_id).values(name=""))).rowcount)
            await self.db.run(delete(rank_optouts).where(rank_optouts.c.roster_id == roster_id))
            await self.db.run(insert(rank_optouts).values(roster_id=roster_id, at=now))  # off the leaderboards
            if staff_no and not staff_no.startswith(ERASED_PREFIX):
                like = staff_no.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                count("admin_log", (await self.db.run(update(admin_log).where(
                    admin_log.c.detail.like(f"%{like}%", escape="\\"))
                    .values(detail=func.replace(admin_log.c.detail, staff_no, "[erased]")))).rowcount)
            for table in metadata.sorted_tables:  # e.g. fair-exam flags: what admins were shown
                if "evidence" in table.c and "roster_id" in table.c:
                    about = table.c.roster_id == roster_id
                    if "other_roster_id" in table.c:
                        about = or_(about, table.c.other_roster_id == roster_id)
                    count(table.name, (await self.db.run(update(table).where(about).values(evidence="{}"))).rowcount)
            for table in metadata.sorted_tables if audit_target else ():
                if "target" not in table.c:
                    continue
                values: dict[str, str | None] = {c: None for c in ("before", "after")
                                                 if c in table.c and table.c[c].nullable}
                values.update({c: "{}" for c in ("before", "after") if c in table.c and not table.c[c].nullable})
                if values:
                    count(table.name, (await self.db.run(update(table).where(table.c.target == audit_target)
                                                         .values(values))).rowcount)
            await self.db.run(update(roster).where(R.id == roster_id).values(
                staff_no=f"{ERASED_PREFIX}{roster_id}", name="", role="", phone_tail="", updated_at=now))
            count("roster", 1)
        return Erasure(roster_id, len(accounts), changed)


def _with_bindings(p: PersonRecord, bound: list[tuple[str, str, float]]) -> PersonRecord:
    return PersonRecord(p.id, p.staff_no, p.name, p.unit_id, p.role, p.phone_tail, p.active,
                        tuple(sorted(bound)))
