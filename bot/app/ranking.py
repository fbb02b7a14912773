"""Leaderboards (排行榜): units ranked by 参学率, average official exam score or points per person,
and people ranked by study points within a unit, for 本周 / 本月 / 本年.

`Leaderboards.board(RankQuery, now)` is the service a chat command or a web console calls: it
checks the viewer's rights and returns typed rows with names already masked where they must be
(others see 张*明; an admin sees full names of the units they administer; people who opted out
with /rank off appear only to those admins). `RankFlow` is the chat side (/rank, its buttons)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.app.context import Turn, main_menu
from bot.app.messages import Choice, Reply
from bot.deps import Deps
from bot.domain import study_time as st
from bot.domain.ranking import UNIT_METRICS, UnitFigures, competition_ranks, mask_name
from bot.domain.units import UnitTree
from bot.services.org import Org

TOP = 10
ADMIN_TOP = 30


class RankDenied(Exception):
    """The viewer may not see this board; args[0] is a texts.py key."""


@dataclass(frozen=True, slots=True)
class RankQuery:
    viewer: str  # the user key of who is looking
    period: str = "week"  # week | month | year
    metric: str = "rate"  # rate (参学率) | score (average score) | points (points per person)
    unit_id: str | None = None  # whose people to rank; None: the viewer's own unit
    limit: int | None = None  # people shown (default TOP, ADMIN_TOP for admins)


@dataclass(frozen=True, slots=True)
class UnitRank:
    rank: int
    unit_id: str
    name: str
    roster: int
    studied: int
    study_rate: float | None
    average_score: float | None  # on a 100-point scale
    points_per_person: float | None
    mine: bool  # the viewer's unit is in this one


@dataclass(frozen=True, slots=True)
class PersonRank:
    rank: int
    name: str  # masked unless the viewer may see it in full
    points: int
    seconds: float  # 学时 in the period
    me: bool
    opted_out: bool = False  # only ever true in an admin's view


@dataclass(frozen=True, slots=True)
class Leaderboard:
    period: str
    metric: str
    first_day: int
    last_day: int
    units: list[UnitRank]
    unit_id: str | None  # the unit whose people are ranked (None: the viewer has none)
    unit_name: str
    people: list[PersonRank]
    me: PersonRank | None  # the viewer's own row (also when outside the top)
    full_names: bool
    viewer_opted_out: bool
    people_total: int


class Leaderboards:
    def __init__(self, deps: Deps, org: Org):
        self.deps = deps
        self.store = deps.storage
        self.org = org

    async def set_opt_out(self, viewer: str, out: bool, now: float) -> bool:
        """Hide (or show again) the viewer on leaderboards; False when they are not on the roster."""
        entry = await self.org.entry(viewer)
        if entry is None:
            return False
        await self.store.ranking.set_opt_out(entry.id, out, now)
        return True

    async def board(self, query: RankQuery, now: float) -> Leaderboard:
        if query.period not in st.PERIODS or query.metric not in UNIT_METRICS:
            raise RankDenied("rank_bad_query")
        tree = await self.org.tree()
        entry = await self.org.entry(query.viewer)
        role = await self.org.role(query.viewer)
        unit_id = query.unit_id
        if unit_id is not None:
            if unit_id not in tree:
                raise RankDenied("rank_no_unit")
            own = entry is not None and entry.unit_id == unit_id
            if not own and (role is None or not role.covers(tree, unit_id)):
                raise RankDenied("rank_denied")
        elif entry is not None:
            unit_id = entry.unit_id
        elif role is not None:
            unit_id = role.unit if role.unit is not None else (tree.roots()[0] if len(tree.roots()) == 1 else None)
        zone = self.deps.config.timezone
        first, last = st.period_days(query.period, now, zone)
        await self.org.refresh_study(now)  # fold new answers and reading into study credit
        figures, scores = await self.store.ranking.unit_figures(
            first, last, st.day_start(first, zone), st.day_start(last + 1, zone),
            self.deps.config.study.studied_min_points)
        units = self._units(tree, figures, scores, query.metric, entry.unit_id if entry else None)

        full = role is not None and unit_id is not None and role.covers(tree, unit_id)
        people: list[PersonRank] = []
        me = None
        viewer_out = False
        total = 0
        if unit_id is not None:
            standing = await self.store.ranking.people_in_units(sorted(tree.subtree(unit_id) or {unit_id}), first, last)
            mine = entry.id if entry else None
            viewer_out = any(p.opted_out for p in standing if p.roster_id == mine)
            shown = [p for p in standing if full or not p.opted_out]
            total = len(shown)
            ranked = competition_ranks(shown, key=lambda p: (p.points, round(p.seconds)))
            limit = query.limit or (ADMIN_TOP if full else TOP)
            for rank, p in ranked:
                row = PersonRank(rank, p.name if full or p.roster_id == mine else mask_name(p.name), p.points,
                                 p.seconds, p.roster_id == mine, p.opted_out)
                if row.me:
                    me = row
                if len(people) < limit:
                    people.append(row)
        return Leaderboard(query.period, query.metric, first, last, units, unit_id,
                           tree.name(unit_id) if unit_id else "", people, me, full, viewer_out, total)

    def _units(self, tree: UnitTree, figures: list[UnitFigures], scores: list[tuple[str, str, float, int]],
               metric: str, own_unit: str | None) -> list[UnitRank]:
        """The level below the root (or the roots), each with its whole subtree summed."""
        roots = tree.roots()
        level = tree.children(roots[0]) if len(roots) == 1 and tree.children(roots[0]) else roots
        owner = tree.bucket_of(level)
        sums = {u: UnitFigures(u) for u in level}
        for f in figures:
            bucket = owner.get(f.unit_id)
            if bucket is not None:
                sums[bucket] = sums[bucket].merged(f)
        for unit, exam_id, total, n in scores:
            bucket = owner.get(unit)
            definition = self.deps.catalog.exams.get(exam_id)
            if bucket is None or definition is None or not definition.max_score:
                continue
            scaled = UnitFigures(bucket, score_sum=total * 100.0 / definition.max_score, scores=n)
            sums[bucket] = sums[bucket].merged(scaled)
        mine = owner.get(own_unit) if own_unit else None
        ranked = competition_ranks([s for s in sums.values() if s.roster], key=lambda s: s.sort_key(metric))
        return [UnitRank(rank, s.unit_id, tree.name(s.unit_id), s.roster, s.studied, s.study_rate, s.average_score,
                         s.points_per_person, s.unit_id == mine) for rank, s in ranked]


class RankFlow:
    """/rank in chat: both boards with buttons for the period and the unit metric; /rank off|on."""

    def __init__(self, deps: Deps, org: Org):
        self.deps = deps
        self.org = org
        self.boards = Leaderboards(deps, org)

    async def command(self, turn: Turn, args: str) -> list[Reply]:
        word = args.strip().lower()
        if word in ("off", "关闭", "隐藏", "on", "开启", "公开"):
            out = word in ("off", "关闭", "隐藏")
            if not await self.boards.set_opt_out(turn.user, out, turn.now):
                return [Reply(turn.t("rank_not_bound"), main_menu(turn))]
            return [Reply(turn.t("rank_off_done" if out else "rank_on_done"), main_menu(turn))]
        period = {"week": "week", "本周": "week", "month": "month", "本月": "month", "year": "year",
                  "本年": "year", "今年": "year"}.get(word)
        unit = args.strip() if word and period is None else None
        return await self.show(turn, period or "week", "rate", unit)

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        if len(parts) not in (3, 4) or parts[1] not in st.PERIODS or parts[2] not in UNIT_METRICS:
            return None
        return await self.show(turn, parts[1], parts[2], parts[3] if len(parts) == 4 and parts[3] else None)

    async def show(self, turn: Turn, period: str, metric: str, unit: str | None) -> list[Reply]:
        try:
            board = await self.boards.board(RankQuery(turn.user, period, metric, unit), turn.now)
        except RankDenied as exc:
            return [Reply(turn.t(exc.args[0]), main_menu(turn))]
        return [Reply(render(turn, board), self._choices(turn, board, unit))]

    def _choices(self, turn: Turn, board: Leaderboard, unit: str | None) -> list[list[Choice]]:
        tail = f":{unit}" if unit else ""
        periods = [Choice(("• " if p == board.period else "") + turn.t(f"rank_period_{p}"),
                          f"rk:{p}:{board.metric}{tail}") for p in st.PERIODS]
        metrics = [Choice(("• " if m == board.metric else "") + turn.t(f"rank_by_{m}"),
                          f"rk:{board.period}:{m}{tail}") for m in UNIT_METRICS]
        return [periods, metrics, [turn.choice("btn_menu", "m")]]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def render(turn: Turn, board: Leaderboard) -> str:
    lines = [turn.t("rank_title", period=turn.t(f"rank_period_{board.period}"),
                    metric=turn.t(f"rank_by_{board.metric}"))]
    if board.units:
        for row in board.units[:TOP] + [u for u in board.units[TOP:] if u.mine]:
            lines.append(turn.t("rank_unit_line", rank=row.rank, name=row.name, rate=_pct(row.study_rate),
                                score=_num(row.average_score), points=_num(row.points_per_person),
                                mine=turn.t("rank_mine") if row.mine else ""))
    else:
        lines.append(turn.t("rank_no_units"))
    lines.append("")
    if board.unit_id is None:
        lines.append(turn.t("rank_bind_hint"))
        return "\n".join(lines)
    lines.append(turn.t("rank_people_title", unit=board.unit_name, n=board.people_total))
    for person in board.people:
        lines.append(turn.t("rank_person_line", rank=person.rank, name=person.name, points=person.points,
                            hours=st.format_hours(person.seconds),
                            mark=turn.t("rank_me") if person.me else (turn.t("rank_hidden") if person.opted_out else "")))
    if not board.people:
        lines.append(turn.t("rank_no_people"))
    if board.me is not None and board.me not in board.people:
        lines.append(turn.t("rank_my_line", rank=board.me.rank, points=board.me.points,
                            hours=st.format_hours(board.me.seconds)))
    if board.viewer_opted_out:
        lines.append(turn.t("rank_you_hidden"))
    lines.append(turn.t("rank_full_names" if board.full_names else "rank_masked_note"))
    return "\n".join(lines)
