"""Admin commands in chat: appoint unit admins, one-time binding codes, rebinding, opening and
closing official exams, /stats with drill-down, charts, the not-yet list, item analysis and
/export. Every command and button checks the role: a super admin acts on every unit, a unit
admin on their unit and below; anyone else gets a plain refusal."""

from __future__ import annotations

import logging

from bot.app.context import Turn, idle_menu
from bot.app.fairness import FairStatsView  # fair-exam flags
from bot.app.messages import Attachment, Choice, Reply
from bot.app.official import _when
from bot.deps import Deps
from bot.domain.models import ExamDefinition, OfficialSpec
from bot.domain.statistics import percent
from bot.domain.study_time import format_hours
from bot.services import stats as stats_service
from bot.services.org import AdminRole, Org
from bot.services.rights import Actor, Forbidden
from bot.services.stats_report import Report, Stats, StatsError
from bot.texts import join

log = logging.getLogger(__name__)
DAY = 86_400
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
LIST_LIMIT = 40
ITEM_LIMIT = 15
CHART_FILES = {"c": ("rates", "rates.png"), "h": ("hist", "scores.png"), "t": ("trend", "trend.png")}
COMMANDS = ("admin", "code", "unbind", "exam_open", "exam_close", "makeup_open", "stats", "export")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


class AdminFlow:
    def __init__(self, deps: Deps, org: Org):
        self.deps = deps
        self.store = deps.storage
        self.org = org
        self.stats = Stats(deps, org)

    # --- entry points ----------------------------------------------------------------
    async def command(self, turn: Turn, name: str, args: str) -> list[Reply]:
        role = await self.org.role(turn.user)
        if role is None:
            log.warning("refused admin command /%s from %s", name, turn.user)
            return [Reply(turn.t("admin_only"), idle_menu(turn))]
        words = args.split()
        handler = getattr(self, f"_cmd_{name}")
        replies: list[Reply] | None = await handler(turn, role, words)
        if replies is None:  # a report the statistics refused
            return [Reply(turn.t("bad_action"), idle_menu(turn))]
        return replies

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        """a:<verb>:<exam index>[:<unit>] — None when malformed (the service refuses it)."""
        if len(parts) not in (3, 4) or not parts[2].isdigit():
            return None
        role = await self.org.role(turn.user)
        if role is None:
            return [Reply(turn.t("admin_only"), idle_menu(turn))]
        exams = self.stats.official_exams()
        index = int(parts[2])
        if index >= len(exams):
            return None
        unit = parts[3] if len(parts) == 4 and parts[3] else None
        if parts[1] == "f":  # the fair-exam flags of this view, with their evidence
            return await FairStatsView(self.deps, self.org).flags(turn, role, exams[index], unit, index)
        replies = await self._stats_view(turn, role, parts[1], exams[index], unit)
        return await FairStatsView(self.deps, self.org).on_report(turn, role, parts[1], exams[index], unit, index,
                                                                   replies)

    # --- roles -----------------------------------------------------------------------
    async def _cmd_admin(self, turn: Turn, role: AdminRole, words: list[str]) -> list[Reply]:
        tree = await self.org.tree()
        if not words:
            scope = turn.t("admin_scope_all") if role.is_super or role.unit is None else tree.name(role.unit)
            return [Reply(turn.t("admin_help", scope=scope))]
        if not role.is_super:
            return [Reply(turn.t("admin_super_only"))]
        verb = words[0]
        if verb == "list":
            admins = await self.store.admins.list_admins()
            lines = [f"{u} · {turn.t('admin_scope_all') if unit is None else tree.name(unit)}" for u, unit in admins]
            supers = [f"{u} · {turn.t('admin_scope_all')} (config)" for u in self.deps.config.admin.super_admins]
            return [Reply(turn.t("admin_list", lines="\n".join(supers + lines) or "—"))]
        if verb == "add" and len(words) == 3 and ":" in words[1]:
            unit = None if words[2] in ("all", "全部") else words[2]
            if unit is not None and unit not in tree:
                return [Reply(turn.t("admin_unknown_unit", unit=unit[:40]))]
            await self.store.admins.set_admin(words[1][:80], unit, turn.user, turn.now)
            await self.store.admins.log_admin(turn.user, "admin_add", f"{words[1]} {unit}", turn.now)
            scope = turn.t("admin_scope_all") if unit is None else tree.name(unit)
            return [Reply(turn.t("admin_added", user=words[1][:80], scope=scope))]
        if verb == "remove" and len(words) == 2:
            removed = await self.store.admins.remove_admin(words[1][:80])
            await self.store.admins.log_admin(turn.user, "admin_remove", words[1], turn.now)
            return [Reply(turn.t("admin_removed" if removed else "admin_not_found", user=words[1][:80]))]
        return [Reply(turn.t("admin_usage"))]

    async def _cmd_code(self, turn: Turn, role: AdminRole, words: list[str]) -> list[Reply]:
        if len(words) != 1:
            return [Reply(turn.t("code_usage"))]
        from bot.services import roster as roster_service  # the console's use case (audit, scope)
        from bot.services.rights import Actor as RosterActor

        actor = RosterActor(role, await self.org.tree())
        person = await roster_service.person_by_staff_no(self.deps, actor, words[0])
        if person is None:  # the same answer for "no such person" and "not yours"
            return [Reply(turn.t("admin_no_person", staff_no=words[0][:40]))]
        issued = await roster_service.issue_bind_code(self.deps, actor, person.id)
        return [Reply(turn.t("code_issued", name=person.name, staff_no=person.staff_no, code=issued.code,
                             hours=issued.hours))]

    async def _cmd_unbind(self, turn: Turn, role: AdminRole, words: list[str]) -> list[Reply]:
        if len(words) not in (1, 2):
            return [Reply(turn.t("unbind_usage"))]
        from bot.services import roster as roster_service  # the console's use case (audit, scope, events)

        actor = Actor(role, await self.org.tree())
        person = await roster_service.person_by_staff_no(self.deps, actor, words[0])
        if person is None:  # the same answer for "no such person" and "not yours"
            return [Reply(turn.t("admin_no_person", staff_no=words[0][:40]))]
        _person, removed = await roster_service.unbind_person(self.deps, actor, person.id,
                                                              words[1] if len(words) == 2 else None)
        return [Reply(turn.t("unbind_done", name=person.name, n=removed))]

    # --- official exam windows (super admins: an exam spans units) ----------------------
    async def _window(self, turn: Turn, role: AdminRole, words: list[str], kind: str) -> list[Reply]:
        """/exam_open, /exam_close, /makeup_open: the same use case as the console's buttons
        (bot.services.exams.move_window), so both see console-created exams and the same rules."""
        from bot.services import exams as exam_service
        from bot.services.rights import Actor, Forbidden

        await exam_service.refresh(self.deps)
        definition = self.deps.catalog.exams.get(words[0]) if words else None
        days = words[1] if len(words) > 1 else "7"
        if definition is None or not definition.official or not days.isdigit() or not 1 <= int(days) <= 365:
            if not role.is_super:
                return [Reply(turn.t("admin_super_only"))]
            return [Reply(turn.t("window_usage", exams=self._exam_ids()))]
        actor = Actor(role, await self.org.tree())
        try:
            change = await exam_service.move_window(self.deps, actor, definition.id, kind, turn.now, int(days))
        except Forbidden as exc:
            return [Reply(turn.t(exc.key, **exc.values))]
        except exam_service.ExamError as exc:
            return [Reply(exam_service.text_of(self.deps, turn.locale, exc))]
        await self.store.admins.log_admin(turn.user, f"exam_{kind}", " ".join(words), turn.now)
        gate_spec, zone = change.after, self.deps.config.timezone
        text = turn.t(f"window_{kind}", title=definition.title_for(turn.locale),
                      opens=_when(gate_spec.opens, zone), closes=_when(gate_spec.closes, zone),
                      makeup_opens=_when(gate_spec.makeup_opens or turn.now, zone),
                      makeup_closes=_when(gate_spec.makeup_closes or turn.now, zone))
        if kind == "open" and gate_spec.makeup_opens is not None and gate_spec.makeup_closes is not None:
            text += "\n" + turn.t("window_makeup_moved" if change.makeup_moved else "window_makeup_kept",
                                  opens=_when(gate_spec.makeup_opens, zone), closes=_when(gate_spec.makeup_closes, zone))
        return [Reply(text)]

    async def org_spec(self, definition: ExamDefinition) -> OfficialSpec:
        from bot.domain.official_exam import effective

        assert definition.official is not None, "an official exam"
        return effective(definition.official, await self.store.windows.window_override(definition.id))

    async def _cmd_exam_open(self, turn: Turn, role: AdminRole, words: list[str]) -> list[Reply]:
        return await self._window(turn, role, words, "open")

    async def _cmd_exam_close(self, turn: Turn, role: AdminRole, words: list[str]) -> list[Reply]:
        return await self._window(turn, role, words, "close")

    async def _cmd_makeup_open(self, turn: Turn, role: AdminRole, words: list[str]) -> list[Reply]:
        return await self._window(turn, role, words, "makeup")

    def _exam_ids(self) -> str:
        return "、".join(d.id for d in self.stats.official_exams()) or "—"

    # --- statistics ------------------------------------------------------------------
    async def _pick(self, turn: Turn, words: list[str], verb: str) -> tuple[ExamDefinition | None, str | None, list[Reply] | None]:
        """/stats [EXAM] [UNIT]: one word is an exam id, else a unit id; two words are an exam id and
        a unit id, in that order. A word that is not what its place asks for is named in the reply."""
        exams = self.stats.official_exams()
        if not exams:
            return None, None, [Reply(turn.t("stats_no_exams"))]
        by_id = {d.id: d for d in exams}
        tree = await self.org.tree()
        exam_ids = join(turn.locale, by_id)
        if len(words) > 2:
            return None, None, [Reply(turn.t("stats_usage", exam=exams[0].id, unit=next(iter(tree.units), "—"),
                                             exams=exam_ids))]
        definition, unit = None, None
        if words and words[0] in by_id:
            definition = by_id[words[0]]
        elif len(words) == 1 and words[0] in tree:
            unit = words[0]
        elif words:
            key = "stats_no_such_exam" if len(words) == 2 else "stats_no_such_exam_or_unit"
            return None, None, [Reply(turn.t(key, word=words[0][:40], exams=exam_ids))]
        if len(words) == 2:
            if words[1] not in tree:
                return None, None, [Reply(turn.t("admin_unknown_unit", unit=words[1][:40]))]
            unit = words[1]
        if definition is None and len(exams) == 1:
            definition = exams[0]
        if definition is None:
            rows = [[Choice(d.title_for(turn.locale), f"a:{verb}:{i}:{unit or ''}")] for i, d in enumerate(exams)]
            return None, None, [Reply(turn.t("stats_pick_exam"), rows)]
        return definition, unit, None

    async def _cmd_stats(self, turn: Turn, role: AdminRole, words: list[str]) -> list[Reply] | None:
        definition, unit, replies = await self._pick(turn, words, "u")
        if replies or definition is None:
            return replies
        replies = await self._stats_view(turn, role, "u", definition, unit)
        index = self.stats.official_exams().index(definition)
        return await FairStatsView(self.deps, self.org).on_report(turn, role, "u", definition, unit, index, replies)

    async def _cmd_export(self, turn: Turn, role: AdminRole, words: list[str]) -> list[Reply] | None:
        definition, unit, replies = await self._pick(turn, words, "x")
        if replies or definition is None:
            return replies
        return await self._stats_view(turn, role, "x", definition, unit)

    async def _stats_view(self, turn: Turn, role: AdminRole, verb: str, definition: ExamDefinition,
                          unit: str | None) -> list[Reply] | None:
        actor = Actor(role, await self.org.tree())
        query = stats_service.ViewQuery(definition.id, unit, turn.locale)
        try:
            if verb in CHART_FILES or (verb == "x" and turn.private):
                # the file's service reads the view itself (in the report process), so it is not read here too
                return await self._stats_file(turn, actor, verb, query)
            report = (await stats_service.overview(self.deps, actor, query, turn.now)).report
        except stats_service.NotFound as refused:
            if refused.key == "admin_unknown_unit":
                return [Reply(turn.t("admin_unknown_unit", unit=(unit or "")[:40]))]
            return None
        except Forbidden:
            log.warning("refused stats of %s for %s (scope %s)", unit, turn.user, role.unit)
            return [Reply(turn.t("admin_not_your_unit"))]
        except StatsError:
            return None
        if verb == "x" and not turn.private:
            return [Reply(turn.t("export_private_only"))]
        index = self.stats.official_exams().index(definition)
        key = f"{index}:{report.unit_id or ''}"
        query = stats_service.ViewQuery(definition.id, report.unit_id, turn.locale)
        if verb == "u":
            return [Reply(self._report_text(turn, report), self._report_buttons(turn, report, index, role))]
        if verb == "n":
            return [Reply(await self._not_yet_text(turn, actor, query, report),
                          [[turn.choice("btn_stats_back", f"a:u:{key}")]])]
        if verb == "i":
            return [Reply(await self._items_text(turn, actor, definition), [[turn.choice("btn_stats_back", f"a:u:{key}")]])]
        return None

    async def _stats_file(self, turn: Turn, actor: Actor, verb: str,
                          query: stats_service.ViewQuery) -> list[Reply]:
        """A chart (c, h, t) or the workbook (x) of a view; a refusal raises as overview() does."""
        if verb in CHART_FILES:
            kind, name = CHART_FILES[verb]
            data = await stats_service.chart(self.deps, actor, query, kind, turn.now, "png")
            return [Reply(turn.t("chart_caption"), attachment=Attachment(name, data, "image"))]
        try:
            file = await stats_service.workbook(self.deps, actor, query, turn.now)
        except stats_service.TooBig as too_big:
            return [Reply(turn.t("export_too_big", n=too_big.n))]
        return [Reply(turn.t("export_caption"), attachment=Attachment(file.filename, file.data, "document"))]

    def _report_text(self, turn: Turn, report: Report) -> str:
        total = report.total
        lines = [turn.t("stats_head", exam=report.exam.title_for(turn.locale), unit=report.unit_name),
                 turn.t("stats_total", roster=total.roster, registered=total.registered,
                        registered_rate=percent(total.register_rate), studied=total.studied,
                        study_rate=percent(total.study_rate), sat=total.sat, sit_rate=percent(total.sit_rate),
                        passed=total.passed, pass_rate=percent(total.pass_rate),
                        pass_rate_roster=percent(total.pass_rate_roster), average=_num(total.average),
                        median=_num(total.median))]
        if report.hours_per_person is not None:
            lines.append(turn.t("stats_hours", hours=format_hours(report.hours_per_person)))
        if report.rows:
            lines.append(turn.t("stats_sub_head"))
            for rank, row in report.ranking():
                lines.append(turn.t("stats_row", rank=rank, unit=row.name, roster=row.roster,
                                    study_rate=percent(row.study_rate), sit_rate=percent(row.sit_rate),
                                    pass_rate=percent(row.pass_rate), pass_rate_roster=percent(row.pass_rate_roster),
                                    average=_num(row.average), median=_num(row.median)))
        return "\n".join(lines)

    def _report_buttons(self, turn: Turn, report: Report, index: int, role: AdminRole) -> list[list[Choice]]:
        key = f"{index}:{report.unit_id or ''}"
        rows = []
        drill = [Choice(row.name[:20], f"a:u:{index}:{row.unit_id}") for row in report.rows
                 if row.unit_id != report.unit_id and row.unit_id in report.tree]
        rows += [drill[i:i + 3] for i in range(0, min(len(drill), 12), 3)]
        parent = report.tree.units[report.unit_id].parent if report.unit_id in report.tree.units else None
        if parent is not None and role.covers(report.tree, parent):
            rows.append([Choice(turn.t("btn_stats_up", unit=report.tree.name(parent)[:20]), f"a:u:{index}:{parent}")])
        rows.append([turn.choice("btn_chart_rates", f"a:c:{key}"), turn.choice("btn_chart_hist", f"a:h:{key}"),
                     turn.choice("btn_chart_trend", f"a:t:{key}")])
        rows.append([turn.choice("btn_not_yet", f"a:n:{key}"), turn.choice("btn_items", f"a:i:{key}"),
                     turn.choice("btn_export", f"a:x:{key}")])
        return rows

    async def _not_yet_text(self, turn: Turn, actor: Actor, query: stats_service.ViewQuery, report: Report) -> str:
        async def names(which: str) -> tuple[int, str]:
            page = await stats_service.people(self.deps, actor, stats_service.PeopleQuery(
                query.exam_id, query.unit_id, which, 1, LIST_LIMIT, "unit", locale=turn.locale), turn.now)
            shown = join(turn.locale, (f"{p.name}({p.staff_no}·{p.unit_name})" for p in page.items))
            more = turn.t("list_more", n=page.total - LIST_LIMIT) if page.total > LIST_LIMIT else ""
            return page.total, (shown + more) or turn.t("list_none")

        n_study, study = await names("not_studied")
        n_sat, sat = await names("not_sat")
        return turn.t("not_yet", unit=report.unit_name, n_study=n_study, study=study, n_sat=n_sat, sat=sat)

    async def _items_text(self, turn: Turn, actor: Actor, definition: ExamDefinition) -> str:
        found = await stats_service.items(self.deps, actor, definition.id)
        if not found:
            return turn.t("items_none")
        lines = [turn.t("items_head", exam=definition.title_for(turn.locale), n=len(found))]
        for item in found[:ITEM_LIMIT]:
            lines.append(turn.t("items_row", warn="⚠ " if item.warn else "", qid=item.question_id, n=item.n,
                                rate=percent(item.correct_rate),
                                disc="—" if item.discrimination is None else f"{item.discrimination:.2f}"))
        return "\n".join(lines)
