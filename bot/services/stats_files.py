"""The statistics as files: the Excel workbook and the three charts, with their labels taken
from texts.py. Shared by /export, /stats buttons, `lawbot stats export` and bench/stats.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from bot.catalog.catalog import Catalog
from bot.domain.statistics import ItemAnalysis, UnitStats, ranked
from bot.domain.study_time import hours
from bot.reports import charts
from bot.reports.excel import NUMBER, PERCENT, BookWriter, Column, Sheet, build_workbook
from bot.services.stats_report import Report
from bot.storage.ports import ERASED_PREFIX, PersonRow
from bot.texts import tr


def person_name(locale: str, staff_no: str, name: str) -> str:
    """The name to show in person lists and workbooks: （已删除） for a person whose personal data
    was deleted in 人员名册 (blank name, 工号 erased-<id>), else the name."""
    if not name and staff_no.startswith(ERASED_PREFIX):
        return tr(locale, "person_erased")
    return name


def _summary_row(stats: UnitStats, rank: int | str) -> list[Any]:
    return [rank, stats.name, stats.roster, stats.registered, stats.studied, stats.sat, stats.passed,
            stats.study_rate, stats.sit_rate, stats.pass_rate, stats.pass_rate_roster,
            None if stats.average is None else round(stats.average, 2),
            None if stats.median is None else round(stats.median, 2)]


def workbook(report: Report, items: list[ItemAnalysis], catalog: Catalog, locale: str,
             extra: list[Sheet] | None = None) -> bytes:
    """The summary, people and item sheets, then `extra` (the fair-exam flags sheet), from the
    people Stats.load_people put in the report (held at once; PeopleWorkbook streams them)."""
    assert report.people is not None, "the people are loaded (Stats.load_people) before a workbook"
    hours_of = report.hours or {}
    sheets = _sheets(report, items, catalog, locale, extra)
    sheets[1].rows = person_rows(report, [(p, hours_of.get(p.roster_id, 0.0)) for p in report.people], locale)
    return build_workbook(sheets)


class PeopleWorkbook:
    """The workbook of `workbook`, written to `out` while the people arrive a chunk at a time
    (Stats.people_chunks): `write(chunk)` for each, then `close()`. Only one chunk's rows are
    held at once, whatever the size of the organisation."""

    def __init__(self, report: Report, items: list[ItemAnalysis], catalog: Catalog, locale: str, out: BinaryIO,
                 extra: list[Sheet] | None = None, expected: int = 0):
        self.report, self.locale = report, locale
        self.book = BookWriter(_sheets(report, items, catalog, locale, extra), 1, out, expected)

    def write(self, people: Sequence[tuple[PersonRow, float]]) -> None:
        self.book.write(person_rows(self.report, people, self.locale))

    def close(self) -> None:
        self.book.close()


def person_rows(report: Report, people: Iterable[tuple[PersonRow, float]], locale: str) -> list[list[Any]]:
    """The people sheet's rows for (person, 学时 seconds) pairs."""
    yes, no = tr(locale, "xl_yes"), tr(locale, "xl_no")
    tree = report.tree
    return [
        [p.staff_no, person_name(locale, p.staff_no, p.name), tree.name(p.unit_id), p.role,
         yes if p.registered else no, p.study_points,
         yes if report.studied(p) else no, hours(seconds),
         p.attempts, p.score, "" if p.score is None else (yes if p.passed else no)]
        for p, seconds in people]


def _sheets(report: Report, items: list[ItemAnalysis], catalog: Catalog, locale: str,
            extra: list[Sheet] | None) -> list[Sheet]:
    """The workbook's sheets, the people sheet (the second) without its rows."""

    def t(key: str, **kw: object) -> str:
        return tr(locale, key, **kw)

    rank_of = {id(row): rank for rank, row in ranked(report.rows)}
    summary_rows = [_summary_row(row, rank_of[id(row)]) for row in report.rows]
    summary_rows.append(_summary_row(report.total, t("xl_total")))
    summary = Sheet(t("xl_sheet_summary"), [
        Column(t("xl_rank"), 7), Column(t("xl_unit"), 26), Column(t("xl_roster"), 9), Column(t("xl_registered"), 9),
        Column(t("xl_studied"), 9), Column(t("xl_sat"), 9), Column(t("xl_passed"), 9),
        Column(t("xl_study_rate"), 10, PERCENT), Column(t("xl_sit_rate"), 10, PERCENT),
        Column(t("xl_pass_rate"), 10, PERCENT), Column(t("xl_pass_rate_roster"), 12, PERCENT),
        Column(t("xl_average"), 9, NUMBER), Column(t("xl_median"), 9, NUMBER)],
        summary_rows, bold_rows={len(summary_rows) - 1},
        title=t("xl_title", exam=report.exam.title_for(locale), unit=report.unit_name))
    people = Sheet(t("xl_sheet_people"), [
        Column(t("xl_staff_no"), 12), Column(t("xl_name"), 10), Column(t("xl_unit"), 26), Column(t("xl_role"), 10),
        Column(t("xl_registered"), 8), Column(t("xl_points"), 8), Column(t("xl_studied"), 8),
        Column(t("xl_study_hours"), 8, NUMBER), Column(t("xl_attempts"), 8), Column(t("xl_final_score"), 10),
        Column(t("xl_passed"), 8)], [])
    item_rows = []
    for item in items:
        question = catalog.questions.get(item.question_id)
        stem = question.stem[:60] if question else ""
        law = f"{question.cite.law} {question.cite.article}" if question else ""
        item_rows.append([item.question_id, law, stem, item.n, item.correct_rate,
                          None if item.discrimination is None else round(item.discrimination, 3)])
    analysis = Sheet(t("xl_sheet_items"), [
        Column(t("xl_question"), 16), Column(t("xl_cite"), 24), Column(t("xl_stem"), 60), Column(t("xl_answers"), 9),
        Column(t("xl_correct_rate"), 10, PERCENT), Column(t("xl_discrimination"), 10, "0.000")], item_rows)
    return [summary, people, analysis, *(extra or [])]


def rates_chart(report: Report, locale: str, fmt: str = "png") -> bytes:
    rows = report.rows or [report.total]
    series = {tr(locale, "chart_study_rate"): [r.study_rate for r in rows],
              tr(locale, "chart_sit_rate"): [r.sit_rate for r in rows],
              tr(locale, "chart_pass_rate"): [r.pass_rate_roster for r in rows]}
    title = tr(locale, "chart_rates_title", exam=report.exam.title_for(locale), unit=report.unit_name)
    return charts.rates_by_unit([r.name for r in rows], series, title, fmt)


def histogram_chart(report: Report, locale: str, fmt: str = "png") -> bytes:
    exam = report.exam
    return charts.score_histogram(report.total.scores, exam.max_score, exam.pass_mark,
                                  tr(locale, "chart_hist_title", exam=exam.title_for(locale), unit=report.unit_name),
                                  tr(locale, "chart_score"), tr(locale, "chart_people"),
                                  tr(locale, "chart_pass_mark", mark=f"{exam.pass_mark:g}"), fmt)


def trend_chart(report: Report, trend: list[tuple[str, float | None, float | None, float | None]], locale: str,
                fmt: str = "png") -> bytes:
    series = {tr(locale, "chart_study_rate"): [p[1] for p in trend],
              tr(locale, "chart_sit_rate"): [p[2] for p in trend],
              tr(locale, "chart_pass_rate"): [p[3] for p in trend]}
    title = tr(locale, "chart_trend_title", exam=report.exam.title_for(locale), unit=report.unit_name)
    return charts.rates_over_time([p[0] for p in trend], series, title, fmt)
