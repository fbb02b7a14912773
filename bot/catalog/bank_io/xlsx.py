"""Excel .xlsx: read (openpyxl read-only streaming), write (write-only) and the import template."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from bot.catalog.bank_io.columns import (
    EXPORT_FIELDS, HEADERS, ImportProblem, Record, column_letter, question_cells, read_table,
)
from bot.catalog.bank_io.progress import progress
from bot.domain.models import Question

README_SHEETS = {"说明", "readme", "使用说明", "填写说明"}
_MERGE_RE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+)(?::([A-Z]+\d+))?"')
_FORMULA_RE = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*>\s*<f[ >/]')
_CHUNK = 1 << 22


def _scan_sheet_xml(archive: zipfile.ZipFile, member: str) -> tuple[list[tuple[str, int, str]], set[tuple[str, int]]]:
    """Merged ranges (first column, first row, range text) and formula cells, from the sheet XML.
    openpyxl's read-only mode reports neither, so the raw part is scanned once, in chunks."""
    merged: dict[tuple[str, int], str] = {}
    formulas: set[tuple[str, int]] = set()
    tail = b""
    with archive.open(member) as source:
        while chunk := source.read(_CHUNK):
            data = tail + chunk
            for m in _MERGE_RE.finditer(data):
                col, row = m.group(1).decode(), int(m.group(2))
                end = m.group(3).decode() if m.group(3) else ""
                merged[(col, row)] = f"{col}{row}:{end}" if end else f"{col}{row}"
            for m in _FORMULA_RE.finditer(data):
                formulas.add((m.group(1).decode(), int(m.group(2))))
            tail = data[-512:]
    return [(c, r, text) for (c, r), text in merged.items()], formulas


def read_xlsx(path: Path, shown: str | None = None, show_progress: bool = True) -> tuple[list[Record], list[ImportProblem]]:
    shown = shown or path.name
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        return [], [ImportProblem(shown, f"not a readable .xlsx file ({type(exc).__name__})")]
    records: list[Record] = []
    problems: list[ImportProblem] = []
    empty_sheets = []
    try:
        for sheet in workbook.worksheets:
            if sheet.title.strip().lower() in README_SHEETS:
                continue
            sheet_records, sheet_problems, empty = _read_sheet(workbook, sheet, shown, show_progress)
            if empty:
                empty_sheets.append(sheet.title)
            records.extend(sheet_records)
            problems.extend(sheet_problems)
    finally:
        workbook.close()
    if not records and not problems:
        for title in empty_sheets or ["-"]:
            problems.append(ImportProblem(shown, "the sheet is empty (no header row and no questions)", title))
    return records, problems


def _read_sheet(workbook: Any, sheet: Any, shown: str, show_progress: bool) -> tuple[list[Record], list[ImportProblem], bool]:
    merged, formulas = _scan_sheet_xml(workbook._archive, sheet._worksheet_path)
    return read_table(sheet.iter_rows(values_only=True), shown, sheet.title, sheet.max_row, show_progress,
                      merged=merged, formulas=formulas)


def write_xlsx(questions: list[Question], path: Path, show_progress: bool = True) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("题库")
    for i, f in enumerate(EXPORT_FIELDS):
        sheet.column_dimensions[column_letter(i)].width = 60 if f in ("stem", "explanation") else 14
    sheet.freeze_panes = "A2"
    sheet.append([HEADERS[f] for f in EXPORT_FIELDS])
    for q in progress(questions, len(questions), f"writing {path.name}", show_progress):
        cells = question_cells(q)
        sheet.append([cells.get(f) for f in EXPORT_FIELDS])
    workbook.save(path)


TEMPLATE_EXAMPLES: list[dict[str, Any]] = [
    {"type": "单选题", "stem": "（示例，导入前请删除）行政机关实施行政处罚，对违法事实不清、证据不足的，应当如何处理？",
     "option_A": "从轻处罚", "option_B": "不得给予行政处罚", "option_C": "减轻处罚", "option_D": "先行处罚再补充证据",
     "answer": "B", "explanation": "《行政处罚法》第四十条规定，违法事实不清、证据不足的，不得给予行政处罚。",
     "cite": "《行政处罚法》第四十条", "tags": "行政处罚法,行政执法", "difficulty": 2, "audience": "公职人员"},
    {"type": "多选题", "stem": "（示例，导入前请删除）下列哪些属于行政处罚的种类？",
     "option_A": "警告、通报批评", "option_B": "罚款、没收违法所得", "option_C": "记过、降级", "option_D": "行政拘留",
     "answer": "ABD", "explanation": "《行政处罚法》第九条列举了警告、通报批评，罚款、没收违法所得、没收非法财物，"
     "行政拘留等处罚种类；记过、降级属于处分。", "cite": "《行政处罚法》第九条", "tags": "行政处罚法,行政执法",
     "difficulty": 2, "audience": "公职人员,群众"},
    {"type": "判断题", "stem": "（示例，导入前请删除）违法行为轻微并及时改正，没有造成危害后果的，不予行政处罚。",
     "answer": "正确", "explanation": "《行政处罚法》第三十三条规定，“违法行为轻微并及时改正，没有造成危害后果的，不予行政处罚”。",
     "cite": "行政处罚法 33", "tags": "行政处罚法,行政执法", "difficulty": 1, "audience": "群众"},
]

TEMPLATE_README = [
    ("列", "是否必填", "说明"),
    ("题型", "必填", "单选题 / 多选题 / 判断题（也可写 单选、单项选择题、多选、多项选择题、判断）"),
    ("题干", "必填", "题目正文。同一题干视为同一题：再次导入会更新而不会重复"),
    ("选项A … 选项H", "单选、多选必填", "依次填写，2 至 8 个，不能相同，中间不能留空；判断题留空"),
    ("答案", "必填", "单选：一个字母，如 B；多选：至少两个字母，如 ABD、A,B,D、A、B、D 或 A B D；"
     "判断：对/错、正确/错误、√/×、T/F 或 A/B"),
    ("解析", "必填", "说明理由；用“ ”引用的文字必须与所引法条原文一致"),
    ("依据", "必填", "法律名称加条号，如《行政处罚法》第三十三条 或 行政处罚法 33；须是题库已收录的法律和条文"),
    ("标签", "选填", "用逗号分隔，第一个写法律简称，如 行政处罚法,行政执法"),
    ("难度", "选填", "1（易）至 5（难），默认 2"),
    ("分值", "选填", "只作校验，不保存：考试分值由试卷蓝图决定"),
    ("编号", "选填", "字母、数字、- _ .，最长 40；不填则按题干自动生成 imp-xxxx"),
    ("对象", "选填", "公职人员 和/或 群众（civil_servant / resident），逗号分隔"),
    ("", "", ""),
    ("导入", "", "lawbot bank import 文件.xlsx  （有错误时整批不导入；加 --skip-bad 只导入正确的行）"),
    ("", "", "不要合并单元格，不要使用公式；示例行导入前请删除或替换"),
]


def write_template(path: Path) -> None:
    """The import template: header row, one example per type, a 题型 dropdown, a 说明 sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题库"
    sheet.append([HEADERS[f] for f in EXPORT_FIELDS])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
    for example in TEMPLATE_EXAMPLES:
        sheet.append([example.get(f) for f in EXPORT_FIELDS])
    for i, f in enumerate(EXPORT_FIELDS):
        sheet.column_dimensions[column_letter(i)].width = 50 if f in ("stem", "explanation") else 14
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    type_column = column_letter(EXPORT_FIELDS.index("type"))
    choices = DataValidation(type="list", formula1='"单选题,多选题,判断题"', allow_blank=True,
                             showErrorMessage=True, errorTitle="题型", error="请选择 单选题、多选题 或 判断题")
    choices.add(f"{type_column}2:{type_column}5000")
    sheet.add_data_validation(choices)
    readme = workbook.create_sheet("说明")
    for line in TEMPLATE_README:
        readme.append(list(line))
    for cell in readme[1]:
        cell.font = bold
    readme.column_dimensions["A"].width = 16
    readme.column_dimensions["B"].width = 16
    readme.column_dimensions["C"].width = 100
    workbook.save(path)
