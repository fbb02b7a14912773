"""Fair-exam flags for admins: the flags of official exams within an actor's scope,
with the people they name, for chat /stats, the /export workbook and the web console. A super
admin sees every unit's flags, a unit admin those of their unit and the units below it; anyone
else is refused (actor_for raises Forbidden). Flags are for checking, never a penalty. Also the
bind and unbind events of roster entries, which the re-bind flag reads."""

from __future__ import annotations

from dataclasses import dataclass

from bot.deps import Deps
from bot.services.rights import Actor
from bot.storage.ports import FlagRecord

MAX_FLAGS = 5000


@dataclass(frozen=True, slots=True)
class Person:
    roster_id: int
    name: str
    staff_no: str
    unit_id: str
    outside: bool = False  # outside the reader's scope: name and 工号 are not given (only the unit)


@dataclass(frozen=True, slots=True)
class FlagView:
    """A flag with the people it names (None when the roster entry is gone)."""
    record: FlagRecord
    person: Person | None
    other: Person | None  # identical: the other person of the pair


async def list_flags(deps: Deps, actor: Actor, exam_id: str | None = None, unit: str | None = None,
                     limit: int = MAX_FLAGS) -> list[FlagView]:
    """Flags of `exam_id` (None: every exam) in `unit` and below (None: the actor's whole
    scope), newest first. Raises Forbidden for a unit outside the actor's scope."""
    records = await deps.storage.fairness.flags(exam_id, _units(actor, unit), limit)
    people: dict[int, Person | None] = {}
    for record in records:
        for roster_id in (record.roster_id, record.other_roster_id):
            if roster_id is not None and roster_id not in people:
                entry = await deps.storage.roster.roster_entry(roster_id)
                if entry is None:
                    people[roster_id] = None
                elif actor.covers(entry.unit_id):
                    people[roster_id] = Person(entry.id, entry.name, entry.staff_no, entry.unit_id)
                else:  # the other of an identical pair may be in another unit: its admins' data, not this reader's
                    people[roster_id] = Person(entry.id, "", "", entry.unit_id, outside=True)
    return [FlagView(r, people.get(r.roster_id), people.get(r.other_roster_id) if r.other_roster_id else None)
            for r in records]


def _units(actor: Actor, unit: str | None) -> list[str] | None:
    """The units whose flags `actor` asks for: `unit` and below, or the actor's scope (None: all)."""
    if unit is not None:
        actor.require_unit(unit)
    start = unit if unit is not None else actor.role.unit
    return None if start is None else sorted(actor.tree.subtree(start))


async def count_flags(deps: Deps, actor: Actor, exam_id: str, unit: str | None = None) -> int:
    """How many flags list_flags lists (up to MAX_FLAGS), without reading the people they name."""
    return len(await deps.storage.fairness.flags(exam_id, _units(actor, unit), MAX_FLAGS))


def counts(flags: list[FlagView]) -> dict[str, int]:
    """How many flags of each kind."""
    out: dict[str, int] = {}
    for view in flags:
        out[view.record.kind] = out.get(view.record.kind, 0) + 1
    return out


async def record_bind(deps: Deps, roster_id: int, user: str, now: float, by: str = "") -> None:
    """A chat account was bound to a roster entry (the re-bind flag reads these events)."""
    await deps.storage.fairness.record_bind_event(roster_id, user.split(":", 1)[0], user, "bind", now, by)


async def unbind_recorded(deps: Deps, roster_id: int, platform: str | None, by: str, now: float) -> int:
    """Unbind a roster entry's accounts (one platform or all) and record which were removed."""
    before = await deps.storage.roster.users_of(roster_id)
    removed = await deps.storage.roster.unbind(roster_id, platform)
    for user in before:
        if platform is None or user.split(":", 1)[0] == platform:
            await deps.storage.fairness.record_bind_event(roster_id, user.split(":", 1)[0], user, "unbind", now, by)
    return removed
