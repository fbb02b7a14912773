"""Export the bank (or part of it) to xlsx, csv, gift, aiken or yaml."""

from __future__ import annotations

from pathlib import Path

from bot.catalog.bank_io.aiken import write_aiken
from bot.catalog.bank_io.csvfile import write_csv
from bot.catalog.bank_io.gift import write_gift
from bot.catalog.bank_io.xlsx import write_xlsx
from bot.catalog.bank_io.yamlbank import write_yaml
from bot.catalog.laws import LawLibrary
from bot.domain.models import QType, Question

FORMATS = ("xlsx", "csv", "gift", "aiken", "yaml")
EXTENSIONS = {"xlsx": ".xlsx", "csv": ".csv", "gift": ".gift", "aiken": ".txt", "yaml": ".yaml"}


def select(questions: list[Question], laws: LawLibrary | None = None, law: str | None = None,
           tag: str | None = None) -> list[Question]:
    """Filter by cited law (any spelling LawLibrary knows) and/or tag."""
    chosen = questions
    if law:
        found = laws.get(law) if laws else None
        name = found.short_name if found else law.strip().strip("《》")
        chosen = [q for q in chosen if q.cite.law == name]
    if tag:
        chosen = [q for q in chosen if tag in q.tags]
    return chosen


def export_questions(questions: list[Question], path: Path, fmt: str, show_progress: bool = True) -> list[str]:
    """Write questions to path; returns notes on what the format could not carry."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} ({', '.join(FORMATS)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    if fmt == "xlsx":
        write_xlsx(questions, path, show_progress)
    elif fmt == "csv":
        write_csv(questions, path, show_progress)
    elif fmt == "gift":
        skipped = write_gift(questions, path, show_progress)
        notes.append("note: Moodle keeps stem, options, answer and explanation (general feedback); "
                     "依据/标签/对象/难度 are in // comments that only lawbot reads back")
        if skipped.get(QType.FILL):
            notes.append(f"注意：{skipped[QType.FILL]} 道有多个空的填空题无法用 GIFT 格式表示，未导出"
                         f"（GIFT 的简答题只有一个空）")
        if skipped.get(QType.MATERIAL):
            notes.append(f"注意：{skipped[QType.MATERIAL]} 道材料题无法用 GIFT 格式表示，未导出"
                         f"（请改用 xlsx、csv 或 yaml）")
    elif fmt == "aiken":
        skipped = write_aiken(questions, path, show_progress)
        notes.append("note: Aiken carries stem, options and answer only (no id, explanation, citation, "
                     "tags, audience or difficulty)")
        if skipped.get(QType.MULTIPLE):
            notes.append(f"note: {skipped[QType.MULTIPLE]} multiple-choice question(s) left out: Aiken has one correct answer")
        for qtype, name in ((QType.FILL, "填空题"), (QType.MATERIAL, "材料题")):
            if skipped.get(qtype):
                notes.append(f"注意：{skipped[qtype]} 道{name}无法用 Aiken 格式表示，未导出（请改用 xlsx、csv 或 yaml）")
    else:
        write_yaml(questions, path, show_progress)
    return notes
