"""Fair official exams in chat: each question's own clock (per_question_seconds), raising the
flags for admins when an attempt is handed in, recording bind/unbind events, and showing the
flags in /stats and the /export workbook. The rules are in bot/domain/fairness.py; flags are
never a penalty, only something for the unit's admins to check."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.app.context import Turn
from bot.app.messages import Choice, Reply
from bot.app.org import AdminRole, Org
from bot.deps import Deps
from bot.domain import fairness as rules
from bot.domain.answers import Answer, is_given
from bot.domain.models import Attempt, ExamDefinition, PaperItem, QType, Question
from bot.domain.official_exam import effective
from bot.domain.units import UnitTree
from bot.services.flags import FlagView, Person, list_flags
from bot.services.rights import Actor, Forbidden
from bot.storage.ports import FlagRecord
from bot.texts import join, tr

if TYPE_CHECKING:
    from bot.reports.excel import Sheet

log = logging.getLogger(__name__)
LIST_LIMIT = 30  # flags listed in one chat message (the workbook has them all)
FAST_SHOWN = 5  # fast answers named per flag in chat


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


def _when(ts: float, zone: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(zone)).strftime("%m-%d %H:%M")


def _who(locale: str, person: Person | None, tree: UnitTree) -> str:
    if person is None:
        return tr(locale, "fair_person_gone")
    if person.outside:  # outside the reader's units: the unit, never a blank name
        return tr(locale, "fair_person_outside", unit=tree.name(person.unit_id))
    return tr(locale, "fair_person", name=person.name, staff_no=person.staff_no, unit=tree.name(person.unit_id))


def kind_label(locale: str, kind: str) -> str:
    return tr(locale, f"fair_kind_{kind}")


def evidence_text(locale: str, view: FlagView, tree: UnitTree, zone: str) -> str:
    """The evidence of one flag in words (chat and the workbook's evidence column)."""
    record, ev = view.record, view.record.evidence
    if record.kind == rules.FAST:
        items = join(locale, (tr(locale, "fair_fast_item", n=f["n"], chars=f["chars"], reading=f"{f['reading_s']:g}",
                                 took=f"{f['took_s']:g}") for f in ev.get("fast", [])[:FAST_SHOWN]), "items")
        more = tr(locale, "fair_fast_more", n=len(ev["fast"]) - FAST_SHOWN) if len(ev.get("fast", [])) > FAST_SHOWN else ""
        return tr(locale, "fair_fast", n=len(ev.get("fast", [])), long=ev.get("long", 0), items=items + more)
    if record.kind == rules.IDENTICAL:
        return tr(locale, "fair_identical", other=_who(locale, view.other, tree), common=ev.get("common", 0),
                  wrong=ev.get("same_wrong", 0), chance=f"{ev.get('chance', 0):.1e}")
    if record.kind == rules.REBIND:
        return tr(locale, "fair_rebind", platform=ev.get("platform", ""), old=ev.get("old_account", ""),
                  new=ev.get("new_account", ""), unbound=_when(ev.get("unbound_at", 0), zone),
                  by=ev.get("unbound_by") or "—", bound=_when(ev.get("bound_at", 0), zone))
    return str(ev)


def describe(locale: str, view: FlagView, tree: UnitTree, zone: str) -> str:
    phase = tr(locale, "fair_phase_makeup_note") if view.record.phase == "makeup" else ""
    return tr(locale, "fair_line", kind=kind_label(locale, view.record.kind), who=_who(locale, view.person, tree),
              phase=phase, evidence=evidence_text(locale, view, tree, zone))


def sheet_rows(locale: str, flags: list[FlagView], tree: UnitTree, zone: str) -> list[list[Any]]:
    """Rows of the workbook's flags sheet (headers: sheet_columns)."""
    rows = []
    for view in flags:
        person = view.person
        rows.append([kind_label(locale, view.record.kind), person.staff_no if person else "",
                     person.name if person else "", tree.name(view.record.unit_id),
                     tr(locale, "fair_phase_makeup" if view.record.phase == "makeup" else "fair_phase_regular"),
                     _who(locale, view.other, tree) if view.record.other_roster_id else "",
                     evidence_text(locale, view, tree, zone), _when(view.record.created_at, zone)])
    return rows


async def operator_flags_sheet(deps: Deps, exam_id: str, unit: str | None, tree: UnitTree, locale: str) -> Sheet:
    """The flags sheet for `lawbot stats export` (the operator on the server sees every unit)."""
    from bot.app.org import AdminRole

    flags = await list_flags(deps, Actor(AdminRole("cli:operator", None), tree), exam_id, unit)
    return flags_sheet(locale, flags, tree, deps.config.timezone)


def flags_sheet(locale: str, flags: list[FlagView], tree: UnitTree, zone: str) -> Sheet:
    from bot.reports.excel import Column, Sheet

    def t(key: str) -> str:
        return tr(locale, key)

    return Sheet(t("xl_sheet_flags"), [
        Column(t("xl_flag_kind"), 14), Column(t("xl_staff_no"), 12), Column(t("xl_name"), 10),
        Column(t("xl_unit"), 26), Column(t("xl_flag_phase"), 8), Column(t("xl_flag_other"), 24),
        Column(t("xl_flag_evidence"), 80), Column(t("xl_flag_at"), 12)], sheet_rows(locale, flags, tree, zone))
