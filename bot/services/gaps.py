"""咨询缺口: the residents' questions the lookup had no good answer for (logged by
bot/app/lookup.py as "unsure", or "none_of_these" when the resident rejected every candidate),
grouped by question text, most asked first, with a "handled" mark (who, when) an admin sets once a
guide, case or law covers it. A question asked again after it was marked shows as asked again.

The gap log holds questions from everyone, residents included, not from a unit: reading and
marking it is for super admins (as the chat's /stats gaps is)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.deps import Deps
from bot.services.rights import Actor
from bot.storage.ports import GapMark

DAY = 86_400
MAX_QUERY = 200  # lookup.py keeps the first 200 characters of a question
MAX_NOTE = 200


class GapError(Exception):
    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Gap:
    query: str
    count: int  # times asked in the period
    users: int  # distinct askers
    rejected: int  # times the resident said "none of these"
    last_at: float
    mark: GapMark | None

    @property
    def handled(self) -> bool:
        return self.mark is not None

    @property
    def asked_again(self) -> bool:
        """Asked again after it was marked handled."""
        return self.mark is not None and self.last_at > self.mark.handled_at


async def top_gaps(deps: Deps, actor: Actor, now: float, *, days: int = 30, limit: int = 50,
                   show: str = "open") -> list[Gap]:
    """The most asked unanswered questions of the last `days` days. show: open (not handled, or
    asked again since), handled, all."""
    actor.require_super()
    days = min(max(1, days), 3650)
    limit = min(max(1, limit), 200)
    # handled ones are filtered after grouping: ask for enough rows to fill the page
    rows = await deps.storage.gaps.top_gaps(now - days * DAY, limit if show == "all" else limit * 4)
    marks = await deps.storage.gap_marks.gap_marks([r.query for r in rows])
    gaps = [Gap(r.query, r.count, r.users, r.rejected, r.last_at, marks.get(r.query)) for r in rows]
    if show == "open":
        gaps = [g for g in gaps if not g.handled or g.asked_again]
    elif show == "handled":
        gaps = [g for g in gaps if g.handled]
    return gaps[:limit]


async def mark_handled(deps: Deps, actor: Actor, query: str, now: float, note: str = "") -> GapMark:
    actor.require_super()
    query = query.strip()[:MAX_QUERY]
    if not query:
        raise GapError("gap_err_query")
    note = note.strip()[:MAX_NOTE]
    async with deps.storage.atomic():
        before = (await deps.storage.gap_marks.gap_marks([query])).get(query)
        await deps.storage.gap_marks.mark_gap(query, actor.user, now, note)
        await _record(deps, actor, "gap.handled", f"gap:{query}",
                      before=None if before is None else {"by": before.handled_by, "at": before.handled_at},
                      after={"by": actor.user, "at": now, "note": note})
    return GapMark(query, actor.user, now, note)


async def unmark(deps: Deps, actor: Actor, query: str) -> bool:
    actor.require_super()
    query = query.strip()[:MAX_QUERY]
    async with deps.storage.atomic():
        before = (await deps.storage.gap_marks.gap_marks([query])).get(query)
        removed = await deps.storage.gap_marks.unmark_gap(query)
        if removed and before is not None:
            await _record(deps, actor, "gap.reopen", f"gap:{query}",
                          before={"by": before.handled_by, "at": before.handled_at}, after=None)
    return removed


async def _record(deps: Deps, actor: Actor, action: str, target: str, **values: Any) -> None:
    from bot.services import audit

    await audit.record(deps, actor, action, target, unit=None, **values)
