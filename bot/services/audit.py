"""The audit log (操作日志): every write an admin makes, recorded in the same transaction as the
write (who, what, which target, the unit it concerns, before/after as JSON, when), and read back
page by page within the reader's scope: a super admin sees every entry, a unit admin the entries
of their unit and the units below it.

    async with deps.storage.atomic():
        ...  # the write
        await record(deps, actor, "roster.move", f"person:{staff_no}", unit=new_unit,
                     before={"unit": old_unit}, after={"unit": new_unit})
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from bot.deps import Deps
from bot.services.rights import Actor, Forbidden
from bot.storage.ports import AuditEntry

MAX_TEXT = 500  # action and target are short labels, not documents
MAX_JSON = 20_000  # before/after beyond this are cut (a marker says so)
_DEFAULT_UNIT = object()


def _json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    if len(text) > MAX_JSON:
        text = json.dumps({"truncated": True, "head": text[:MAX_JSON]}, ensure_ascii=False)
    return text


async def record(deps: Deps, actor: Actor | str, action: str, target: str, *,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                 unit: str | object | None = _DEFAULT_UNIT) -> int:
    """Append one entry and return its id. Call it inside the write's `deps.storage.atomic()`
    block so the entry and the write commit (or roll back) together. `action` is a dotted name
    ("exam.create", "roster.move", "web.login"); `target` names what changed ("exam:2026-q1");
    `unit` is the unit the change concerns (it decides which unit admins see the entry; default:
    the actor's own unit, None for a super admin = visible to super admins only)."""
    if isinstance(actor, Actor):
        user = actor.user
        own_unit = actor.role.unit
    else:
        user, own_unit = str(actor), None
    concerned = own_unit if unit is _DEFAULT_UNIT else unit
    assert concerned is None or isinstance(concerned, str)
    return await deps.storage.audit.add_audit(at=deps.clock.now(), actor=user[:MAX_TEXT], action=action[:MAX_TEXT],
                                              target=str(target)[:MAX_TEXT], unit_id=concerned,
                                              before=_json(before), after=_json(after))


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    unit: str | None  # the unit filter applied (None: the actor's whole scope)

    @property
    def newest_cursor(self) -> str | None:
        """The cursor of the page's first (newest) entry: `before=` it reads the page before."""
        return cursor_of(self.entries[0]) if self.entries else None

    @property
    def oldest_cursor(self) -> str | None:
        """The cursor of the page's last (oldest) entry: `after=` it reads the next page."""
        return cursor_of(self.entries[-1]) if self.entries else None


def cursor_of(entry: AuditEntry) -> str:
    """An entry's place in the log's (at, id) order, as a URL-safe text."""
    return f"{entry.at!r}_{entry.id}"


def parse_cursor(text: str | None) -> tuple[float, int] | None:
    """(at, id) of a cursor text; None for a missing or malformed one (the newest page)."""
    if not text:
        return None
    at, _, entry_id = text.rpartition("_")
    try:
        moment, number = float(at), int(entry_id)
    except ValueError:
        return None
    return (moment, number) if math.isfinite(moment) else None


async def entries(deps: Deps, actor: Actor, *, offset: int = 0, limit: int = 50, unit: str | None = None,
                  action: str | None = None, newest_first: bool = True, after: str | None = None,
                  before: str | None = None, last: bool = False, total: int | None = None) -> AuditPage:
    """A page of the entries the actor may read, newest first. `unit` narrows to that unit's
    subtree; a unit outside the actor's scope raises Forbidden (the console answers 403).

    Deep pages cost what the first does when reached by cursor: `after` (a page's oldest_cursor)
    gives the entries just older than it, `before` (a page's newest_cursor) those just newer,
    `last` the oldest page (as many entries as an offset-paged last page holds). `offset` is
    counted from the cursor when one is given. `total`, the count a previous page of the same
    filter reported, spares a cursor read the count (most of its cost on a large log); entries
    written since make the shown total and page numbers lag until the first page is read again."""
    if unit is not None:
        actor.require_unit(unit)
        if unit not in actor.tree.units:
            raise Forbidden("admin_unknown_unit", unit=unit)
        units: list[str] | None = sorted(actor.tree.subtree(unit))
    elif actor.is_super:
        units = None
    else:
        units = sorted(actor.scope())
    limit, offset = max(1, limit), max(0, offset)
    repo = deps.storage.audit
    older, newer = parse_cursor(after), parse_cursor(before)
    known = total if total is not None and total >= 0 and (last or older or newer) else None
    count = known is None
    if last:  # the oldest entries, read oldest first from the far end of the index
        rows, found = await repo.audit_entries(units=units, offset=0, limit=limit, action=action or None,
                                               newest_first=False, count=count)
        size = found if known is None else known
        keep = size - (max(1, math.ceil(size / limit)) - 1) * limit
        rows = rows[:keep][::-1] if newest_first else rows[:keep]
    elif newer is not None and older is None:  # the page before: read upwards from the cursor, show newest first
        rows, found = await repo.audit_entries(units=units, offset=offset, limit=limit, action=action or None,
                                               newest_first=not newest_first, newer_than=newer, count=count)
        rows = rows[::-1]
    else:
        rows, found = await repo.audit_entries(units=units, offset=offset, limit=limit, action=action or None,
                                               newest_first=newest_first, older_than=older, newer_than=newer,
                                               count=count)
    return AuditPage(rows, found if known is None else known, unit)
