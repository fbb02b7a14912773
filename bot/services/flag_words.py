"""Fair-exam flags in words: a flag's kind and evidence as chat lines, the web console's flags
page and the /export workbook's flags sheet (texts from bot/texts.py). The flags themselves are
listed by bot/services/flags.py; the rules are in bot/domain/fairness.py."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.domain import fairness as rules
from bot.domain.units import UnitTree
from bot.services.flags import FlagView, Person, list_flags
from bot.services.org import AdminRole
from bot.services.rights import Actor
from bot.texts import join, tr

if TYPE_CHECKING:
    from bot.reports.excel import Sheet

FAST_SHOWN = 5  # fast answers named per flag


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
