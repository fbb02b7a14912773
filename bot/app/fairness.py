"""Fair official exams in chat: each question's own clock (per_question_seconds), raising the
flags for admins when an attempt is handed in, and showing the flags in /stats. The rules are in
bot/domain/fairness.py; the bind/unbind events are recorded by bot/services/flags.py and the
flags put into words (chat lines, the /export workbook's sheet) by bot/services/flag_words.py.
Flags are never a penalty, only something for the unit's admins to check."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.app.context import Turn
from bot.app.messages import Choice, Reply
from bot.deps import Deps
from bot.domain import fairness as rules
from bot.domain.answers import Answer, is_given
from bot.domain.models import Attempt, ExamDefinition, PaperItem, QType, Question
from bot.domain.official_exam import effective
from bot.services.flag_words import describe
from bot.services.flags import FlagView, list_flags
from bot.services.org import AdminRole, Org
from bot.services.rights import Actor, Forbidden
from bot.storage.ports import FlagRecord

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
LIST_LIMIT = 30  # flags listed in one chat message (the workbook has them all)


def thresholds(deps: Deps) -> rules.Thresholds:
    cfg = deps.config.fairness
    return rules.Thresholds(cfg.reading_chars_per_second, cfg.long_stem_chars, cfg.fast_ratio,
                            cfg.fast_min_answers, cfg.identical_min_common, cfg.identical_max_chance)


def shown_chars(question: Question, material: Question | None) -> int:
    """The characters a person reads for a question: stem and options, and the case text where a
    材料题 shows it (at its first sub-question)."""
    chars = len(question.stem) + sum(len(o) for o in question.options)
    if material is not None and material.subs and material.subs[0].id == question.id:
        chars += len(material.stem)
    return chars


def answer_key(chosen: Answer) -> str:
    """An answer as the question's own options (papers shuffle the letters) or the typed blanks."""
    if isinstance(chosen, tuple):
        return "|".join(part.strip() for part in chosen)
    return ",".join(str(i) for i in sorted(chosen))


class FairExams:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.store = deps.storage

    # --- each question's own clock ---------------------------------------------------------------
    async def stamp(self, turn: Turn, attempt: Attempt, definition: ExamDefinition, pos: int,
                    shown: dict[int, float]) -> dict[int, float]:
        """Record when question `pos` of an official attempt is first shown; `shown` (the times read
        for a per-question limit, else empty) comes back with it. The user's state remembers the
        positions already recorded, so a question shown again costs no statement (a lost state
        only costs an insert the database ignores)."""
        if definition.official is None or not attempt.is_open or pos in shown:
            return shown
        mark = turn.state.get("shown")
        seen = mark[1] if isinstance(mark, list) and len(mark) == 2 and mark[0] == attempt.id else []
        if pos not in seen:
            await self.store.fairness.mark_shown(attempt.id, pos, turn.now)
            turn.state["shown"] = [attempt.id, [*seen, pos]]
            shown = {**shown, pos: turn.now}
        return shown

    async def shown(self, attempt: Attempt, definition: ExamDefinition) -> dict[int, float]:
        if not definition.per_question_seconds:
            return {}
        return await self.store.fairness.shown_times(attempt.id)

    @staticmethod
    def seconds_left(attempt: Attempt, definition: ExamDefinition, shown_at: float, now: float) -> int:
        ends = rules.question_ends(shown_at, definition.per_question_seconds, attempt.deadline)
        return max(0, int(ends - now + 0.999))

    # --- flags, when an attempt is handed in -----------------------------------------------------
    async def on_handed_in(self, attempt: Attempt, definition: ExamDefinition, now: float) -> int:
        """Raise the flags this hand-in shows (idempotent: each flag has a key); how many were new."""
        if definition.official is None:
            return 0
        tags = await self.store.fairness.attempt_tags(attempt.id)
        if tags is None:
            return 0
        roster_id, unit_id, phase = tags
        limits = thresholds(self.deps)
        shown = await self.store.fairness.shown_times(attempt.id)
        answered = await self.store.fairness.answer_times(attempt.id)
        found: list[FlagRecord] = []

        def flag(key: str, kind: str, evidence: dict[str, Any], other_roster: int | None = None,
                 other_attempt: int | None = None) -> None:
            found.append(FlagRecord(None, key, kind, definition.id, phase or "regular", unit_id or "", roster_id,
                                    attempt.id, other_roster, other_attempt, evidence, now))

        catalog = self.deps.catalog
        timed = []
        for pos, at in answered.items():
            if pos in shown and pos < len(attempt.paper) and attempt.paper[pos].qid in catalog.questions:
                question = catalog.questions[attempt.paper[pos].qid]
                timed.append(rules.Timed(pos, question.id, shown_chars(question, catalog.material_of(question)),
                                         shown[pos], at))
        evidence = rules.fast_flag(timed, limits)
        if evidence is not None:
            flag(f"fast:{attempt.id}", rules.FAST, evidence)

        mine = self._givens(attempt.paper, {p: (c, answered.get(p, now)) for p, c in attempt.answers.items()})
        sheets = await self.store.fairness.window_sheets(definition.id, unit_id, phase, roster_id) if unit_id else []
        if mine and sheets:
            odds = await self._odds({g.qid for g in mine})
            for sheet in sheets:
                theirs = self._givens(sheet.paper, sheet.answers)
                evidence = rules.identical_flag(mine, theirs, odds, limits)
                if evidence is not None:
                    low, high = sorted((attempt.id, sheet.attempt_id))
                    flag(f"identical:{low}:{high}", rules.IDENTICAL, evidence, sheet.roster_id, sheet.attempt_id)

        spec = effective(definition.official, await self.store.windows.window_override(definition.id))
        opens = spec.makeup_opens if phase == "makeup" and spec.makeup_opens is not None else spec.opens
        for unbind, bind in rules.rebinds(await self.store.fairness.bind_events(roster_id), opens, now):
            flag(f"rebind:{definition.id}:{bind.id}", rules.REBIND, rules.rebind_evidence(unbind, bind))

        raised = 0
        for record in found:
            raised += await self.store.fairness.add_flag(record)
        if raised:
            log.info("attempt %s: %d fairness flag(s) for admins", attempt.id, raised)
        return raised

    def _givens(self, paper: list[PaperItem], answers: dict[int, tuple[Any, float]]) -> list[rules.Given]:
        out = []
        for pos, (chosen, at) in answers.items():
            if pos >= len(paper) or not is_given(chosen):
                continue
            question = self.deps.catalog.questions.get(paper[pos].qid)
            if question is None:
                continue
            out.append(rules.Given(question.id, answer_key(chosen), question.is_correct(chosen), at))
        return out

    async def _odds(self, qids: set[str]) -> dict[str, rules.Odds]:
        stats = await self.store.pk.answer_stats(sorted(qids))  # real answers: practice, exams, daily
        out = {}
        for qid in qids:
            question = self.deps.catalog.questions[qid]
            n, right = stats.get(qid, (0, 0, None))[:2]
            out[qid] = rules.Odds(rules.smoothed_rate(n, right),
                                  rules.wrong_choices(question.type.value, question.option_count
                                                      if question.type is not QType.FILL else 0))
        return out


class FairStatsView:
    """The flags in chat /stats: a count line and a button under the report, and the list with
    the evidence (a:f:<exam index>:<unit>) for admins whose scope covers the unit."""

    def __init__(self, deps: Deps, org: Org) -> None:
        self.deps = deps
        self.org = org

    async def on_report(self, turn: Turn, role: AdminRole, verb: str, definition: ExamDefinition, unit: str | None,
                        index: int, replies: list[Reply] | None) -> list[Reply] | None:
        """Add the count and the button to a /stats report (other replies pass unchanged)."""
        if verb != "u" or not replies:
            return replies
        first = replies[0]
        export = next((c.action for c in first.flat_choices() if c.action.startswith(f"a:x:{index}:")), None)
        if export is None:  # a refusal or a question, not a report
            return replies
        shown_unit = export.split(":", 3)[3] or None
        try:
            flags = await list_flags(self.deps, Actor(role, await self.org.tree()), definition.id, shown_unit)
        except Forbidden:
            return replies
        button = Choice(turn.t("btn_fair_flags"), f"a:f:{index}:{shown_unit or ''}")
        return [replace(first, text=first.text + "\n" + stats_line(turn, flags),
                        choices=[*first.choices, [button]])] + replies[1:]

    async def flags(self, turn: Turn, role: AdminRole, definition: ExamDefinition, unit: str | None, index: int) -> list[Reply]:
        tree = await self.org.tree()
        if unit is not None and unit not in tree:
            return [Reply(turn.t("admin_unknown_unit", unit=unit[:40]))]
        try:
            flags = await list_flags(self.deps, Actor(role, tree), definition.id, unit)
        except Forbidden:
            log.warning("refused fairness flags of %s for %s (scope %s)", unit, turn.user, role.unit)
            return [Reply(turn.t("admin_not_your_unit"))]
        shown = unit or role.unit
        unit_name = tree.name(shown) if shown else turn.t("admin_scope_all")
        lines = [turn.t("fair_list_head", exam=definition.title_for(turn.locale), unit=unit_name, n=len(flags))]
        for i, view in enumerate(flags[:LIST_LIMIT], 1):
            lines.append(f"{i}. " + describe(turn.locale, view, tree, self.deps.config.timezone))
        if len(flags) > LIST_LIMIT:
            lines.append(turn.t("fair_list_more", n=len(flags) - LIST_LIMIT))
        if not flags:
            lines.append(turn.t("fair_list_none"))
        lines.append(turn.t("fair_list_note"))
        return [Reply("\n".join(lines), [[turn.choice("btn_stats_back", f"a:u:{index}:{unit or ''}")]])]


def stats_line(turn: Turn, flags: list[FlagView]) -> str:
    if not flags:
        return turn.t("fair_stats_none")
    kinds = {k: 0 for k in rules.KINDS}
    for view in flags:
        kinds[view.record.kind] = kinds.get(view.record.kind, 0) + 1
    return turn.t("fair_stats_line", n=len(flags), fast=kinds[rules.FAST], identical=kinds[rules.IDENTICAL],
                  rebind=kinds[rules.REBIND])
