"""Excel .xlsx: read (the sheet XML streamed with ElementTree), write (openpyxl write-only) and
the import template."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from bot.catalog.bank_io.columns import (
    EXPORT_FIELDS,
    HEADERS,
    ImportProblem,
    Record,
    blank,
    column_letter,
    nothing_read,
    question_rows,
    read_table,
)
from bot.catalog.bank_io.progress import byte_progress, progress
from bot.catalog.bank_io.xlsxdates import WINDOWS_1900, date_shown, date_styles, epoch_of
from bot.catalog.zipsize import unpacked_too_large, unreadable_reason
from bot.domain.models import Question

README_SHEETS = {"说明", "readme", "使用说明", "填写说明"}
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ROW, _CELL, _VALUE, _FORMULA, _INLINE = (f"{_MAIN}{t}" for t in ("row", "c", "v", "f", "is"))
_TEXT, _RUN, _SHARED, _MERGE = (f"{_MAIN}{t}" for t in ("t", "r", "si", "mergeCell"))
_CHUNK = 1 << 16
_DIGITS = "0123456789"
_COLUMN_INDEX = {column_letter(i): i for i in range(16384)}  # "A" -> 0 ... "XFD" (Excel's last column)
_MAX_ROW = 1_048_576  # Excel's last row: a forged r="999999999" must not allocate a billion rows

# Why not openpyxl here: its read-only mode builds several objects per cell and, for sheets without
# a <dimension> (openpyxl's own write-only output), parses the whole sheet once more to find
# max_row; it reports neither merged nor formula cells. One ElementTree pass over the sheet XML
# reads values, merged ranges and formulas at several times the speed.


class _Package:
    """The parts of an .xlsx zip needed to read cell values: sheets in order, shared strings."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        workbook = next(path for kind, path in self._rels("").values() if kind == "officeDocument")
        rels = self._rels(workbook)
        root = ElementTree.fromstring(archive.read(workbook))
        self.sheets = [(sheet.get("name", ""), rels[sheet.get(_REL_ID, "")][1])
                       for sheet in root.iter(f"{_MAIN}sheet")
                       if rels.get(sheet.get(_REL_ID, ""), ("",))[0] == "worksheet"]
        shared = [path for kind, path in rels.values() if kind == "sharedStrings"]
        self.strings = self._shared_strings(shared[0]) if shared else []
        styles = [path for kind, path in rels.values() if kind == "styles"]
        self.dates = self._date_styles(styles[0]) if styles else {}  # style index -> date format
        self.epoch = epoch_of(root)

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, part path) for a part ("" is the package itself)."""
        folder, _, name = part.rpartition("/")
        try:
            data = self.archive.read(posixpath.join(folder, "_rels", f"{name}.rels"))
        except KeyError:
            return {}
        found = {}
        for rel in ElementTree.fromstring(data):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[rel.get("Id", "")] = (rel.get("Type", "").rpartition("/")[2], path)
        return found

    def _date_styles(self, member: str) -> dict[str, str]:
        """The date styles; none when the styles part is missing or unreadable (values as stored)."""
        try:
            return date_styles(self.archive.read(member))
        except (KeyError, ValueError, ElementTree.ParseError):
            return {}

    def _shared_strings(self, member: str) -> list[str]:
        strings = []
        with self.archive.open(member) as source:
            for _, element in ElementTree.iterparse(source):
                if element.tag == _SHARED:
                    strings.append(_text(element).replace("x005F_", ""))  # as openpyxl reads them
                    element.clear()
        return strings


def _text(element: Any) -> str:
    """A string item (<si> or <is>): plain text plus rich-text runs, phonetic hints left out."""
    parts = []
    for child in element:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.extend(t.text or "" for t in child.iter(_TEXT))
    return "".join(parts)


def _number(text: str) -> int | float:
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


def _cell_value(cell: Any, strings: list[str]) -> Any:
    """A non-formula cell's value as openpyxl reads it (numbers typed, shared strings resolved)."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_INLINE)
        return _text(inline) if inline is not None else None
    text = cell.findtext(_VALUE) or None
    if text is None or kind in ("str", "e", "d"):
        return text
    if kind == "s":
        return strings[int(text)]
    if kind == "b":
        return text.strip() not in ("0", "false")
    return _number(text)


def _split_reference(reference: str) -> tuple[str, int]:
    letters = reference.rstrip(_DIGITS)
    return letters, int(reference[len(letters):] or 0)


def _ended(parser: ElementTree.XMLPullParser[ElementTree.Element]) -> Iterator[ElementTree.Element]:
    """The elements the parser has closed since the last call (it is asked for "end" events only)."""
    for event in parser.read_events():
        element = event[-1]
        if isinstance(element, ElementTree.Element):
            yield element


def _scan_sheet(archive: zipfile.ZipFile, member: str, strings: list[str], shown: str, show_progress: bool,
                dates: dict[str, str] | None = None, epoch: datetime | None = None,
                ) -> tuple[list[tuple[Any, ...]], list[tuple[str, int, str]], set[tuple[str, int]]]:
    """One streaming pass: rows of values (row 1 first, missing rows empty; a number in a date
    style as the date Excel shows), merged ranges (first column, first row, range text) and
    formula cells (column, row)."""
    dates = dates or {}
    epoch = epoch or WINDOWS_1900
    rows: list[tuple[Any, ...]] = []
    merged: list[tuple[str, int, str]] = []
    formulas: set[tuple[str, int]] = set()
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(("end",))
    size = archive.getinfo(member).file_size
    with archive.open(member) as source, byte_progress(size, f"reading {shown}", show_progress) as bar:
        while chunk := source.read(_CHUNK):
            bar.update(len(chunk))
            parser.feed(chunk)
            for element in _ended(parser):
                if element.tag == _ROW:
                    number = int(element.get("r") or len(rows) + 1)
                    if not 0 < number <= _MAX_ROW:
                        raise ValueError(f"row number {number}")
                    rows.extend(() for _ in range(number - 1 - len(rows)))
                    values: list[Any] = []
                    for cell in element.iter(_CELL):
                        reference = cell.get("r")
                        if reference:
                            column = _COLUMN_INDEX[reference.rstrip(_DIGITS)]
                            values.extend(None for _ in range(column - len(values)))
                        formula = cell.find(_FORMULA)
                        if formula is None:
                            value = _cell_value(cell, strings)
                            if dates and cell.get("t", "n") == "n" and value is not None \
                                    and (code := dates.get(cell.get("s", "0"))) is not None:
                                value = date_shown(value, code, epoch)
                            values.append(value)
                        else:  # reported as a problem; the text is kept as openpyxl shows it
                            formulas.add((column_letter(len(values)), number))
                            values.append("=" + (formula.text or ""))
                    while values and values[-1] is None:
                        values.pop()
                    rows.append(tuple(values))
                    element.clear()
                elif element.tag == _MERGE:
                    first, _, last = element.get("ref", "").partition(":")
                    col, row = _split_reference(first)
                    merged.append((col, row, f"{first}:{last}" if last else first))
    parser.close()
    return rows, merged, formulas


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]{1,3})([0-9]{1,7})(?::[A-Z]{1,3}[0-9]{1,7})?"')


def first_sheet_merges(path: Path) -> list[tuple[int, str]]:
    """(first row, range) of the merged cells of the first worksheet, for readers that use
    openpyxl's read-only mode (which does not report them). The sheet XML is searched as bytes."""
    found: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive:
        sheets = _Package(archive).sheets
        if not sheets:
            return []
        tail = b""
        with archive.open(sheets[0][1]) as source:
            while chunk := source.read(1 << 20):
                data = tail + chunk
                for match in _MERGE_REF.finditer(data):
                    ref = match.group(0).split(b'"')[1].decode()
                    found[ref] = int(match.group(2))
                tail = data[-128:]
    return sorted((row, ref) for ref, row in found.items())


def read_xlsx(path: Path, shown: str | None = None, show_progress: bool = True) -> tuple[list[Record], list[ImportProblem]]:
    shown = shown or path.name
    records: list[Record] = []
    problems: list[ImportProblem] = []
    empty_sheets: list[str] = []
    foreign: list[str] = []  # sheets with a table that is not questions (no 题型, 题干 … header)
    header_only: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            too_large = unpacked_too_large(archive)
            if too_large:
                return [], [ImportProblem(shown, too_large)]
            package = _Package(archive)
            for title, member in package.sheets:
                if title.strip().lower() in README_SHEETS:
                    continue
                rows, merged, formulas = _scan_sheet(archive, member, package.strings, shown, show_progress,
                                                     package.dates, package.epoch)
                sheet_records, sheet_problems, empty = read_table(rows, shown, title, len(rows), False,
                                                                  merged=merged, formulas=formulas)
                if empty:
                    (foreign if any(not blank(r) for r in rows) else empty_sheets).append(title)
                elif not sheet_records and not sheet_problems:
                    header_only.append(title)
                records.extend(sheet_records)
                problems.extend(sheet_problems)
    except (zipfile.BadZipFile, KeyError, StopIteration, ValueError, IndexError, ElementTree.ParseError,
            OSError) as exc:
        return [], [ImportProblem(shown, unreadable_reason(path, exc))]
    if not records and not problems:
        problems.extend(nothing_read(shown, header_only, foreign, empty_sheets or ["-"]))
    return records, problems


def write_xlsx(questions: list[Question], path: Path, show_progress: bool = True) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("题库")
    for i, f in enumerate(EXPORT_FIELDS):
        sheet.column_dimensions[column_letter(i)].width = 60 if f in ("stem", "explanation", "material") else 14
    sheet.freeze_panes = "A2"
    sheet.append([HEADERS[f] for f in EXPORT_FIELDS])
    for q in progress(questions, len(questions), f"writing {path.name}", show_progress):
        for cells in question_rows(q):
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
    {"type": "填空题", "stem": "（示例，导入前请删除）当事人要求听证的，应当在行政机关告知后____内提出。",
     "answer": "五日|5日", "explanation": "《行政处罚法》第六十四条规定，“当事人要求听证的，应当在行政机关告知后五日内提出”。",
     "cite": "《行政处罚法》第六十四条", "tags": "行政处罚法,听证", "difficulty": 2, "audience": "公职人员"},
    {"type": "判断题", "material_id": "demo-01",
     "material": "（示例，导入前请删除）交警在路面发现某公民违法停车，违法事实确凿，依法当场对其处以一百元罚款，"
     "并当场收缴了罚款。",
     "stem": "（示例）本案罚款数额在可以当场作出行政处罚决定的范围内。", "answer": "正确",
     "explanation": "《行政处罚法》第五十一条规定，违法事实确凿并有法定依据，“对公民处以二百元以下”罚款的，可以当场作出行政处罚决定。",
     "cite": "《行政处罚法》第五十一条", "tags": "行政处罚法,简易程序", "difficulty": 2, "audience": "公职人员"},
    {"type": "单选题", "material_id": "demo-01",
     "stem": "（示例）交警当场收缴罚款而不出具财政部门统一制发的专用票据的，当事人可以怎么做？",
     "option_A": "有权拒绝缴纳罚款", "option_B": "只能先缴纳再申请复议", "option_C": "应当加倍缴纳",
     "answer": "A", "explanation": "《行政处罚法》第七十条规定，“不出具财政部门统一制发的专用票据的，当事人有权拒绝缴纳罚款”。",
     "cite": "《行政处罚法》第七十条", "tags": "行政处罚法,简易程序", "difficulty": 2, "audience": "公职人员,群众"},
]

TEMPLATE_README = [
    ("列", "是否必填", "说明"),
    ("题型", "必填", "单选题 / 多选题 / 判断题 / 填空题（也可写 单选、单项选择题、多选、多项选择题、判断、填空）；"
     "材料题的每个小题写它自己的题型（单选、多选或判断）"),
    ("题干", "必填", "题目正文。同一题干视为同一题：再次导入会更新而不会重复。填空题的每个空写作 ____（至少三个下划线）"),
    ("选项A … 选项H", "单选、多选必填", "依次填写，2 至 8 个，不能相同，中间不能留空；判断题、填空题留空"),
    ("答案", "必填", "单选：一个字母，如 B；多选：至少两个字母，如 ABD、A,B,D、A、B、D 或 A B D；"
     "判断：对/错、正确/错误、√/×、T/F 或 A/B；填空：按空的顺序写，空与空之间用“；”，同一空的几种可接受写法用“|”，"
     "如 二年|两年；五年（比对时不计全角半角、空格和标点）"),
    ("解析", "必填", "说明理由；用“ ”引用的文字必须与所引法条原文一致"),
    ("依据", "必填", "法律名称加条号，如《行政处罚法》第三十三条 或 行政处罚法 33；须是题库已收录的法律和条文"),
    ("标签", "选填", "用逗号分隔，第一个写法律简称，如 行政处罚法,行政执法"),
    ("难度", "选填", "1（易）至 5（难），默认 2"),
    ("分值", "选填", "只作校验，不保存：考试分值由试卷蓝图决定"),
    ("编号", "选填", "字母、数字、- _ .，最长 40；不填则按题干自动生成 imp-xxxx"),
    ("对象", "选填", "公职人员 和/或 群众（civil_servant / resident），逗号分隔"),
    ("材料编号", "材料题必填", "材料题（案例分析）：每个小题占一行，同一材料的 2 至 5 行填同一个材料编号"
     "（字母、数字、- _ .，最长 37）；其他题型留空。材料题的标签、难度、对象取第一行的"),
    ("材料", "材料题必填", "案例材料正文，写在该材料的第一行（其余行可留空或写相同内容）"),
    ("", "", ""),
    ("导入", "", "lawbot bank import 文件.xlsx  （有错误时整批不导入；加 --skip-bad 只导入正确的行）"),
    ("", "", "不要合并单元格，不要使用公式；示例行导入前请删除或替换"),
]


def write_template(path: Path) -> None:
    """The import template: header row, one example per type, a 题型 dropdown, a 说明 sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

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
        sheet.column_dimensions[column_letter(i)].width = 50 if f in ("stem", "explanation", "material") else 14
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    type_column = column_letter(EXPORT_FIELDS.index("type"))
    choices = DataValidation(type="list", formula1='"单选题,多选题,判断题,填空题"', allow_blank=True,
                             showErrorMessage=True, errorTitle="题型", error="请选择 单选题、多选题、判断题 或 填空题")
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
