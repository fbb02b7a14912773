"""The small organisation the statistics contract tests start from: a city with units a and b and
six roster people S1-S6 (S4 a teacher, S5 in unit b), and official attempts tagged to them."""

from __future__ import annotations

from bot.domain.models import PaperItem
from bot.domain.units import RosterEntry, Unit

DAY = 20_000
AT = DAY * 86_400 + 3_600.0
STAFF = ("S1", "S2", "S3", "S4", "S5", "S6")


async def six_people(store) -> dict[str, int]:
    """Upsert the units and the six people; their roster ids by staff number (none bound yet)."""
    await store.roster.upsert_units([Unit("city", "市"), Unit("a", "甲局", "city", 1), Unit("b", "乙局", "city", 2)])
    await store.roster.upsert_roster([
        RosterEntry(id=0, staff_no=s, name=n, unit_id=u, role=r) for s, n, u, r in
        (("S1", "张三", "a", "公务员"), ("S2", "李四", "a", "公务员"), ("S3", "王五", "a", "公务员"),
         ("S4", "赵六", "a", "教师"), ("S5", "钱七", "b", "公务员"), ("S6", "孙八", "a", "公务员"))], 1.0)
    return {s: (await store.roster.roster_by_staff_no(s)).id for s in STAFF}


async def sit(store, user, roster_id, unit, score, passed, status="submitted", exam="xf") -> int:
    """An official attempt of `user` tagged to the person and unit, finished unless status is open."""
    attempt = await store.attempts.create_attempt(user, exam, "official", AT, AT + 600, [PaperItem("q1", (0,), 10.0)])
    await store.attempts.tag_attempt(attempt.id, roster_id, unit, "regular")
    if status != "open":
        await store.attempts.finish_attempt(attempt.id, status, AT + 60, score, passed)
    return attempt.id


async def sit_the_exams(store, ids: dict[str, int]) -> None:
    """S1 failed then passed xf (40, 90); S2 failed (30); S3 has an open attempt only; S5 passed
    xf in unit b (70) and failed another exam (10). Accounts tg:1, tg:2, tg:3, tg:5."""
    await sit(store, "tg:1", ids["S1"], "a", 40.0, False)
    await sit(store, "tg:1", ids["S1"], "a", 90.0, True)
    await sit(store, "tg:2", ids["S2"], "a", 30.0, False)
    await sit(store, "tg:3", ids["S3"], "a", None, None, status="open")
    await sit(store, "tg:5", ids["S5"], "b", 70.0, True)
    await sit(store, "tg:5", ids["S5"], "b", 10.0, False, exam="other")
