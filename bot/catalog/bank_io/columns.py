"""The spreadsheet layout shared by the xlsx and CSV formats: header spellings, one row <-> the raw
question mapping that bot.catalog.questions.build_question validates, and where an error points."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from bot.catalog.bank_io.progress import progress
from bot.catalog.yamlsrc import LINE_KEY
from bot.domain import fill
from bot.domain.models import LETTERS, QType, Question
from bot.domain.numerals import article_label

GENERATED_ID = "__generated_id__"  # raw marker: the id was derived from the stem
MATERIAL_ID = "__material_id__"  # raw marker: the row is a sub-question of this material
POINTS_GIVEN = "__points__"  # raw marker: a 分值 was given (checked, not stored)
OPTION_FIELDS = tuple(f"option_{ch}" for ch in LETTERS)

# field -> the header written on export (the layout Chinese exam systems use)
HEADERS: dict[str, str] = {
    "type": "题型", "stem": "题干",
    **{f: f"选项{ch}" for f, ch in zip(OPTION_FIELDS, LETTERS, strict=True)},
    "answer": "答案", "explanation": "解析", "cite": "依据", "tags": "标签", "difficulty": "难度",
    "points": "分值", "id": "编号", "audience": "对象",
    "material_id": "材料编号", "material": "材料",
}
EXPORT_FIELDS = tuple(HEADERS)
REQUIRED = ("type", "stem", "answer", "explanation", "cite")

_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "题号", "试题编号", "题目编号", "id", "qid"),
    "type": ("题型", "题目类型", "试题类型", "类型", "题类", "type"),
    "stem": ("题干", "题目", "试题", "题目内容", "试题内容", "问题", "stem", "question"),
    "answer": ("答案", "正确答案", "参考答案", "标准答案", "answer"),
    "explanation": ("解析", "答案解析", "试题解析", "题目解析", "解释", "explanation"),
    "cite": ("依据", "法律依据", "法条依据", "出处", "法条", "来源", "cite", "citation"),
    "tags": ("标签", "知识点", "分类", "tags", "tag"),
    "difficulty": ("难度", "难易度", "难易程度", "difficulty"),
    "points": ("分值", "分数", "score", "points"),
    "audience": ("对象", "适用对象", "受众", "audience"),
    "material_id": ("材料编号", "材料题编号", "案例编号", "material_id"),
    "material": ("材料", "材料内容", "案例材料", "案例", "material"),
}
for _f, _ch in zip(OPTION_FIELDS, LETTERS, strict=True):
    _ALIASES[_f] = (f"选项{_ch}", _ch, f"{_ch}选项", f"选项{_ch.lower()}", f"option{_ch}", f"答案{_ch}")
_HEADER_INDEX = {alias.lower(): f for f, aliases in _ALIASES.items() for alias in aliases}
_NOTE_RE = re.compile(r"[（(【\[].*?[）)】\]]|[*＊:：\s]")

AUDIENCE_WORDS = {
    "civil_servant": "civil_servant", "公职人员": "civil_servant", "公务员": "civil_servant",
    "干部": "civil_servant", "国家工作人员": "civil_servant",
    "resident": "resident", "群众": "resident", "居民": "resident", "公众": "resident", "市民": "resident",
}
AUDIENCE_LABELS = {"civil_servant": "公职人员", "resident": "群众"}
TYPE_LABELS = {QType.SINGLE: "单选题", QType.MULTIPLE: "多选题", QType.JUDGE: "判断题", QType.FILL: "填空题"}
JUDGE_OPTION_PAIRS = {("正确", "错误"), ("对", "错"), ("是", "否"), ("√", "×"), ("true", "false")}
_SPLIT_RE = re.compile(r"[,，;；、|｜\n]+")


def header_field(text: Any) -> str | None:
    """'题干', '题干*', '正确答案（必填）', 'A' -> the field it names; None for unknown columns."""
    if text is None:
        return None
    key = _NOTE_RE.sub("", unicodedata.normalize("NFKC", str(text))).lower()
    return _HEADER_INDEX.get(key)


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One import error: where it is (file, sheet, row, column) and why."""

    file: str
    reason: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # e.g. "J (答案)"
    unit: str = "row"  # "line" for the text formats (GIFT, Aiken)

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet is not None:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"{self.unit} {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return ", ".join(where) + f": {self.reason}"


@dataclass(slots=True)
class Record:
    """One question as read from a file, before validation."""

    file: str
    row: int
    raw: dict[str, Any]  # the mapping build_question takes
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field -> "J (答案)"
    problems: list[ImportProblem] = field(default_factory=list)  # found while reading
    unit: str = "row"

    def problem(self, reason: str, field_name: str = "") -> ImportProblem:
        return ImportProblem(self.file, reason, self.sheet, self.row, self.column_of(field_name), self.unit)

    def column_of(self, field_name: str) -> str | None:
        if field_name == "options":
            return self.columns.get(OPTION_FIELDS[0])
        return self.columns.get(field_name)


def stable_id(stem: str) -> str:
    """An id for a row without 编号, derived from the stem so that re-importing updates it."""
    norm = re.sub(r"\s+", "", unicodedata.normalize("NFKC", stem))
    return "imp-" + hashlib.sha1(norm.encode("utf-8")).hexdigest()[:12]


def text_of(value: Any) -> str:
    """A cell as text; control characters (a NUL, an ESC colour code pasted from a terminal) are
    dropped, line breaks kept (\r\n as \n)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isprintable():
        text = "".join(ch for ch in text.replace("\r\n", "\n") if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return text.strip()


def split_list(value: Any) -> list[str]:
    return [part.strip() for part in _SPLIT_RE.split(text_of(value)) if part.strip()]


def to_raw(values: dict[str, Any], record: Record) -> dict[str, Any]:
    """Cell values by field -> the raw question mapping (lenient spellings normalised here)."""
    stem = text_of(values.get("stem"))
    options = [text_of(values.get(f)) for f in OPTION_FIELDS]
    while options and not options[-1]:
        options.pop()
    for i, text in enumerate(options):
        if not text:
            record.problems.append(record.problem(
                f"option {LETTERS[i]} is empty but a later option is filled", OPTION_FIELDS[i]))
            break
    qtype = re.sub(r"\s+", "", text_of(values.get("type")))
    answer: Any = values.get("answer")
    answer = answer if isinstance(answer, bool) else unicodedata.normalize("NFKC", text_of(answer))
    if qtype.lower() in ("judge", "判断", "判断题", "是非题"):
        qtype = "judge"
        pair = tuple(o.lower() for o in options)
        if pair in JUDGE_OPTION_PAIRS and isinstance(answer, str) and answer.upper() in ("A", "B"):
            answer = "true" if answer.upper() == "A" else "false"
        if pair in JUDGE_OPTION_PAIRS:
            options = []
    if not answer and answer is not False and not any(p.column == record.column_of("answer") for p in record.problems):
        record.problems.append(record.problem("missing answer", "answer"))
    raw: dict[str, Any] = {
        LINE_KEY: record.row,
        "id": text_of(values.get("id")) or (stable_id(stem) if stem else ""),
        "type": qtype, "stem": stem, "options": options or None, "answer": answer,
        "explanation": text_of(values.get("explanation")),
        "cite": unicodedata.normalize("NFKC", text_of(values.get("cite"))).replace("<", "《").replace(">", "》"),
        "tags": split_list(values.get("tags")),
    }
    if not text_of(values.get("id")) and stem:
        raw[GENERATED_ID] = True
    material_id = text_of(values.get("material_id"))
    if material_id:  # one sub-question of a 材料题; the importer groups the rows by 材料编号
        raw[MATERIAL_ID] = material_id
        raw["material"] = text_of(values.get("material"))
    elif text_of(values.get("material")):
        record.problems.append(record.problem("材料 is filled but 材料编号 is empty", "material_id"))
    audience = []
    for word in split_list(values.get("audience")):
        audience.append(AUDIENCE_WORDS.get(word.lower(), word))
    raw["audience"] = audience
    difficulty = values.get("difficulty")
    if text_of(difficulty):
        text = text_of(difficulty)
        raw["difficulty"] = int(text) if text.isdigit() else text
    points = text_of(values.get("points"))
    if points:
        raw[POINTS_GIVEN] = True
        try:
            if float(points) <= 0:
                raise ValueError
        except ValueError:
            record.problems.append(record.problem(f"score {points!r} must be a positive number", "points"))
    return raw


def question_rows(q: Question) -> list[dict[str, Any]]:
    """A question as spreadsheet rows of cells: one row, or one per sub-question of a material
    (材料编号 on each, the 材料 text on the first; the material's tags, audience and difficulty)."""
    if q.type is not QType.MATERIAL:
        return [question_cells(q)]
    rows = []
    for k, sub in enumerate(q.subs):
        cells = question_cells(sub)
        cells.update(material_id=q.id, material=q.stem if k == 0 else None, tags=",".join(q.tags),
                     difficulty=q.difficulty, audience=",".join(AUDIENCE_LABELS.get(a, a) for a in q.audience))
        if sub.id == f"{q.id}.{k + 1}":
            cells["id"] = None  # the default id, derived again on import
        rows.append(cells)
    return rows


def answer_cell(q: Question) -> str:
    if q.type is QType.JUDGE:
        return "正确" if 0 in q.answer else "错误"
    if q.type is QType.FILL:
        return fill.blanks_text(q.blanks)
    return "".join(LETTERS[i] for i in sorted(q.answer))


def question_cells(q: Question) -> dict[str, Any]:
    """A question as spreadsheet cells, by field (the inverse of to_raw)."""
    cells: dict[str, Any] = {
        "id": q.id, "type": TYPE_LABELS[q.type], "stem": q.stem,
        "answer": answer_cell(q),
        "explanation": q.explanation, "cite": cite_text(q),
        "tags": ",".join(q.tags), "difficulty": q.difficulty, "points": None,
        "audience": ",".join(AUDIENCE_LABELS.get(a, a) for a in q.audience),
    }
    for f, option in zip(OPTION_FIELDS, q.options, strict=False):
        cells[f] = option
    return cells


def cite_text(q: Question) -> str:
    return f"《{q.cite.law}》{article_label(q.cite.article)}"


def blank(values: Sequence[Any]) -> bool:
    return not any(v is not None and str(v).strip() for v in values)


def nothing_read(shown: str, header_only: Sequence[str | None], foreign: Sequence[str | None],
                 empty: Sequence[str | None]) -> list[ImportProblem]:
    """Why a file gave no questions and no problems, per sheet: a header and no rows below it, a
    table whose header names none of the bank's columns (a roster sent as a bank, say), or empty."""
    if header_only:
        return [ImportProblem(shown, "a header row but no questions below it", sheet) for sheet in header_only]
    if foreign:
        names = "/".join(HEADERS[f] for f in REQUIRED)
        return [ImportProblem(shown, f"no {names} column in the header row", sheet) for sheet in foreign]
    return [ImportProblem(shown, "the sheet is empty (no header row and no questions)", sheet) for sheet in empty]


def _header_text(header: Sequence[Any], index: int) -> str:
    return str(header[index]).strip() if index < len(header) and header[index] is not None else ""


HEADER_SEARCH = 10  # non-blank rows looked at for the header row


def read_table(rows: Iterable[Sequence[Any]], shown: str, sheet: str | None, max_row: int | None,
               show_progress: bool = True, merged: Sequence[tuple[str, int, str]] = (),
               formulas: AbstractSet[tuple[str, int]] = frozenset()) -> tuple[list[Record], list[ImportProblem], bool]:
    """Rows of cells -> records; also returns whether it was empty. The header is the first row
    naming two of the bank's columns within the first HEADER_SEARCH non-blank rows (a title such
    as 2026年学法题库 may stand above it), else the first non-blank row.
    merged: (first column, first row, range) of merged cells; formulas: (column, row) of formula cells."""
    rows = iter(rows)
    header: Sequence[Any] | None = None
    header_row, first, seen = 0, None, 0
    for number, values in enumerate(rows, start=1):
        if blank(values):
            continue
        first = first or (number, values)
        seen += 1
        if sum(1 for text in values if header_field(text)) >= 2:
            header_row, header = number, values
            break
        if seen >= HEADER_SEARCH:
            break
    if header is None and first is not None:  # no header found: reported on the first row (nothing is read)
        header_row, header = first
    if header is None:
        return [], [], True
    merged = [m for m in merged if m[1] >= header_row]  # a merged title above the header is fine
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        name = header_field(text)
        if name and name not in columns:
            columns[name] = index
    missing = [HEADERS[f] for f in REQUIRED if f not in columns]
    if missing:
        if not columns:  # another table (notes): not questions
            return [], [], True
        return [], [ImportProblem(shown, f"no {'/'.join(missing)} column in the header row", sheet, header_row)], False
    labels = {f: f"{column_letter(i)} ({_header_text(header, i)})" for f, i in columns.items()}
    letters = {i: column_letter(i) for i in columns.values()}
    problems = []
    for col, row, text in sorted(merged, key=lambda m: (m[1], m[0])):
        found = next((i for i, letter in letters.items() if letter == col), None)
        where = labels[next(f for f, i in columns.items() if i == found)] if found is not None else col
        problems.append(ImportProblem(shown, f"merged cells {text}: unmerge them and fill in every cell",
                                      sheet, row, where))
    merged_rows = {r for _, row, text in merged
                   for r in range(row, int(re.sub(r"^.*?:[A-Z]+", "", text) or row) + 1)}
    records = []
    total = max(0, (max_row or 0) - header_row)
    for number, values in enumerate(progress(rows, total, f"reading {shown}", show_progress), start=header_row + 1):
        if blank(values) or number in merged_rows:
            continue
        record = Record(file=shown, row=number, raw={}, sheet=sheet, columns=labels)
        cells = {f: (values[i] if i < len(values) else None) for f, i in columns.items()}
        if formulas:
            for f, i in columns.items():
                if (letters[i], number) in formulas:
                    record.problems.append(record.problem(
                        "formula cell: type the value itself (formulas are not evaluated)", f))
        record.raw = to_raw(cells, record)
        records.append(record)
    return records, problems, False


def read_utf8(path: Any, shown: str, kind: str) -> tuple[str | None, ImportProblem | None]:
    """Text formats (GIFT, Aiken) are UTF-8, with or without BOM."""
    try:
        return path.read_bytes().decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, ImportProblem(shown, f"unreadable text encoding: {kind} files must be UTF-8 "
                                          f"(invalid byte at offset {exc.start})")


MATERIAL_ROWS = "__material_rows__"  # raw marker: a material built from these rows


def group_materials(records: list[Record]) -> list[Record]:
    """Rows sharing a 材料编号 -> one record holding the material (at the first row's place):
    the 材料 text from the first row that has one; each row a sub-question (id from 编号, or the
    material's id + .N when 编号 is empty); tags, audience and difficulty from the first row."""
    grouped: list[Record] = []
    by_material: dict[str, Record] = {}
    for record in records:
        material_id = record.raw.get(MATERIAL_ID)
        if not material_id:
            grouped.append(record)
            continue
        sub = {k: v for k, v in record.raw.items() if k not in (MATERIAL_ID, "material", GENERATED_ID)}
        if record.raw.get(GENERATED_ID):
            sub.pop("id", None)
        for key in ("tags", "audience", "difficulty"):
            sub.pop(key, None)  # the material's (first row's) apply to every sub-question
        group = by_material.get(material_id)
        if group is None:
            raw = {LINE_KEY: record.row, "id": material_id, "type": "material", "material": record.raw.get("material", ""),
                   "tags": record.raw.get("tags") or [], "audience": record.raw.get("audience") or [],
                   "subs": [], MATERIAL_ROWS: True}
            if "difficulty" in record.raw:
                raw["difficulty"] = record.raw["difficulty"]
            group = Record(file=record.file, row=record.row, raw=raw, sheet=record.sheet, columns=record.columns,
                           problems=[], unit=record.unit)
            by_material[material_id] = group
            grouped.append(group)
        elif not group.raw["material"]:
            group.raw["material"] = record.raw.get("material", "")
        elif record.raw.get("material") and record.raw["material"] != group.raw["material"]:
            record.problems.append(record.problem(f"材料 differs from the first row of material {material_id}",
                                                  "material"))
        group.raw["subs"].append(sub)
        group.problems.extend(record.problems)
    return grouped
