"""/me (我的学习): practice record, mistakes and reviews, study points (积分) and streak, the
roster entry, official exams sat and passed, and progress toward each exam's prerequisite."""

from __future__ import annotations

from bot.app.context import Turn, main_menu
from bot.app.messages import Reply
from bot.app.official import OfficialExams, amount
from bot.deps import Deps
from bot.domain import official_exam as rules
from bot.domain.study import ACTIVITIES
from bot.domain.study_time import format_hours
from bot.services.org import Org
from bot.services.study_hours import StudyHours
from bot.texts import join


class MeFlow:
    def __init__(self, deps: Deps, org: Org, official: OfficialExams):
        self.deps = deps
        self.store = deps.storage
        self.org = org
        self.official = official
        self.hours = StudyHours(deps)

    async def show(self, turn: Turn) -> list[Reply]:
        answers, right = await self.store.practice.answer_stats(turn.user)
        wrong = len(await self.store.reviews.wrong_entries(turn.user))
        due = await self.store.reviews.count_due(turn.user, turn.now)
        recent = await self.store.attempts.attempts_of(turn.user, 5)
        if recent:
            lines = []
            for _id, exam_id, _status, score, passed in recent:
                definition = self.deps.catalog.exams.get(exam_id)
                title = definition.title_for(turn.locale) if definition else exam_id
                lines.append(turn.t("me_exam_line", title=title, score=f"{score:g}",
                                    verdict=turn.t("passed" if passed else "failed")))
            exams = turn.t("me_exams", lines="\n".join(lines))
        else:
            exams = turn.t("me_no_exams")
        rate = f"{right / answers:.0%}" if answers else "—"
        parts = [turn.t("me", answers=answers, rate=rate, wrong=wrong, due=due, exams=exams)]
        parts.append(await self._study(turn))
        return [Reply("\n\n".join(parts), main_menu(turn))]

    async def _study(self, turn: Turn) -> str:
        entry = await self.org.entry(turn.user)
        users = await self.store.roster.users_of(entry.id) if entry else [turn.user]
        summary = await self.org.study_summary(users, turn.now)
        rules_ = self.org.rules()
        today = join(turn.locale, (
            turn.t("me_today_item", activity=turn.t(f"activity_{a}"), points=summary.today.get(a, 0),
                   cap=rules_[a].daily_cap or "∞")
            for a in ACTIVITIES if rules_[a].points), "items")
        lines = [turn.t("me_points", total=summary.total, streak=summary.streak, days=summary.study_days, today=today)]
        spent = await self.hours.summary(users, turn.now)
        lines.append(turn.t("me_hours", today=format_hours(spent.today), minutes=int(spent.today // 60), week=format_hours(spent.week),
                            year=format_hours(spent.year)))
        if entry is None:
            lines.append(turn.t("me_not_bound"))
            return "\n".join(lines)
        tree = await self.org.tree()
        record = await self.store.attempts.official_record(entry.id)
        sat = {exam_id for exam_id, _ in record}
        passed = {exam_id for exam_id, ok in record if ok}
        lines.append(turn.t("me_bound", name=entry.name, unit=tree.name(entry.unit_id), sat=len(sat), passed=len(passed)))
        for definition in self.official.definitions():
            gate = await self.official.gate(turn, definition)
            if gate.decision.reason == "official_not_target" or not gate.spec.prerequisite.required:
                continue
            if rules.phase_at(gate.spec, turn.now) == rules.CLOSED:
                continue
            have = await self.official.progress(users, gate.spec, turn.now)
            need = gate.spec.prerequisite
            progress = join(turn.locale, (turn.t(f"prereq_{k}", have=amount(min(getattr(have, k), getattr(need, k))),
                                                 need=amount(getattr(need, k)),
                                                 short=amount(max(0, getattr(need, k) - getattr(have, k))))
                                          for k in rules.PREREQ_KEYS if getattr(need, k)),
                            "clauses")
            done = not gate.missing
            lines.append(turn.t("me_prereq", title=definition.title_for(turn.locale), progress=progress,
                                state=turn.t("me_prereq_done" if done else "me_prereq_todo")))
        return "\n".join(lines)
