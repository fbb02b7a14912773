"""Moodle Aiken: question line(s), options `A. …`, then `ANSWER: X`. Aiken has one correct answer
and nothing else, so the export carries stem, options and answer only (判断 as A. 正确 / B. 错误;
多选 questions are left out and counted). On import, lines `解析: …`, `依据: …`, `标签: …`,
`难度: …`, `编号: …`, `对象: …`, `题型: …` after ANSWER are accepted (many Chinese exam systems
write them), and `ANSWER: AB` makes a 多选. A small parser: no maintained PyPI package reads Aiken."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.catalog.bank_io.columns import OPTION_FIELDS, ImportProblem, Record, header_field, read_utf8, to_raw
from bot.catalog.bank_io.progress import progress
from bot.domain.models import LETTERS, QType, Question

_OPTION_RE = re.compile(r"^([A-Ha-h])\s*[.)．、）]\s*(.*)$")
_ANSWER_RE = re.compile(r"^ANSWER\s*[:：]\s*(.*)$", re.IGNORECASE)
_EXTRA_RE = re.compile(r"^([^:：]{1,8})[:：]\s*(.*)$")
PARTS = {"id": "编号", "stem": "question", "answer": "ANSWER", "explanation": "解析", "cite": "依据",
         "tags": "标签", "audience": "对象", "difficulty": "难度", "type": "题型",
         **{f: "options" for f in OPTION_FIELDS}}


def _is_extra(line: str) -> bool:
    match = _EXTRA_RE.match(line)
    return bool(match and header_field(match.group(1)))


def read_aiken(path: Path, shown: str | None = None, show_progress: bool = True) -> tuple[list[Record], list[ImportProblem]]:
    shown = shown or path.name
    text, problem = read_utf8(path, shown, "Aiken")
    if problem or text is None:
        return [], [problem] if problem else []
    groups: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start, answered = 0, False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        starts_new = not stripped or (answered and not _is_extra(stripped))
        if starts_new and current:
            groups.append((start, current))
            current, answered = [], False
        if not stripped:
            continue
        if not current:
            start = number
        current.append(stripped)
        answered = answered or bool(_ANSWER_RE.match(stripped))
    if current:
        groups.append((start, current))
    if not groups:
        return [], [ImportProblem(shown, "the file is empty (no questions)")]
    records = []
    for start, lines in progress(groups, len(groups), f"reading {shown}", show_progress):
        record = Record(file=shown, row=start, raw={}, columns=PARTS, unit="line")
        record.raw = to_raw(_parse(lines, record), record)
        records.append(record)
    return records, []


def _parse(lines: list[str], record: Record) -> dict[str, Any]:
    values: dict[str, Any] = {}
    stem: list[str] = []
    options: list[str] = []
    answer_seen = False
    for line in lines:
        answer = _ANSWER_RE.match(line)
        option = _OPTION_RE.match(line)
        if answer and not answer_seen:
            values["answer"], answer_seen = answer.group(1).strip(), True
        elif answer_seen:
            extra = _EXTRA_RE.match(line)
            field = header_field(extra.group(1)) if extra else None
            if field and extra:
                values[field] = extra.group(2).strip()
        elif option and (options or stem):
            expected = LETTERS[len(options)] if len(options) < len(LETTERS) else "none"
            if option.group(1).upper() != expected:
                record.problems.append(record.problem(
                    f"option {option.group(1).upper()} out of order (expected {expected})", "options"))
            options.append(option.group(2).strip())
        elif options:
            options[-1] += "\n" + line
        else:
            stem.append(line)
    if not answer_seen:
        record.problems.append(record.problem("missing answer (no ANSWER: line)", "answer"))
    values["stem"] = "\n".join(stem)
    for name, text in zip(OPTION_FIELDS, options, strict=False):
        values[name] = text
    if "type" not in values:
        letters = re.sub(r"[\s,，、]", "", str(values.get("answer", "")))
        if tuple(options) in (("正确", "错误"), ("对", "错")):
            values["type"] = "judge"
        else:
            values["type"] = "multiple" if len(letters) > 1 else "single"
    return values


def aiken_block(q: Question) -> str | None:
    """None for what Aiken cannot carry: 多选, 填空 and 材料题."""
    if q.type not in (QType.SINGLE, QType.JUDGE):
        return None
    options = ("正确", "错误") if q.type is QType.JUDGE else q.options
    lines = [" ".join(q.stem.split())]
    lines.extend(f"{LETTERS[i]}. {' '.join(o.split())}" for i, o in enumerate(options))
    lines.append(f"ANSWER: {LETTERS[min(q.answer)]}")
    return "\n".join(lines)


def write_aiken(questions: list[Question], path: Path, show_progress: bool = True) -> dict[QType, int]:
    """Returns how many questions of each type were left out (多选: Aiken has one correct answer;
    填空 and 材料题 have no Aiken form)."""
    skipped: dict[QType, int] = {}
    with path.open("w", encoding="utf-8") as out:
        for q in progress(questions, len(questions), f"writing {path.name}", show_progress):
            block = aiken_block(q)
            if block is None:
                skipped[q.type] = skipped.get(q.type, 0) + 1
                continue
            out.write(block + "\n\n")
    return skipped
