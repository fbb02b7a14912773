"""Moodle GIFT. Written here rather than with a PyPI parser: pygiftparser (2017) and its forks
are unmaintained and map to their own models; the subset exchanged for these banks (single,
multiple, true/false, short answer, general feedback) is small. A one-blank 填空 travels as a
Moodle short-answer question with the blank in place (`前文{=甲 =乙####解析}后文`); a 填空 with
several blanks and a 材料题 have no GIFT form and are left out of an export (counted). lawbot's own fields that GIFT has no place for
(编号 travels as the ::title::, 依据/标签/对象/难度) are written as `// key: value` comment lines,
which Moodle ignores, so lawbot -> GIFT -> lawbot is lossless while Moodle keeps the rest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.catalog.bank_io.columns import (
    HEADERS,
    OPTION_FIELDS,
    ImportProblem,
    Record,
    header_field,
    question_cells,
    read_utf8,
    to_raw,
)
from bot.catalog.bank_io.progress import progress
from bot.domain import fill
from bot.domain.models import LETTERS, QType, Question

_SPECIAL = "~=#{}:\\"
META_FIELDS = ("cite", "tags", "audience", "difficulty")
PARTS = {"id": "::title::", "stem": "question text", "answer": "answers {…}", "explanation": "#### feedback",
         **{f: "answers {…}" for f in OPTION_FIELDS}, "type": "answers {…}",
         **{f: f"// {HEADERS[f]}" for f in META_FIELDS}}
_META_RE = re.compile(r"^([^:：]+)[:：](.*)$")
_WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")


def escape(text: str) -> str:
    text = "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _split_unescaped(text: str, marks: str) -> list[tuple[str, str]]:
    """'=a~b~c' -> [('=', 'a'), ('~', 'b'), ('~', 'c')] splitting on unescaped marks."""
    parts: list[tuple[str, str]] = []
    mark, buf, i = "", [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i:i + 2])
            i += 2
            continue
        if ch in marks:
            if mark or "".join(buf).strip():
                parts.append((mark, "".join(buf)))
            mark, buf = ch, []
        else:
            buf.append(ch)
        i += 1
    if mark or "".join(buf).strip():
        parts.append((mark, "".join(buf)))
    return parts


def _find_unescaped(text: str, target: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(target, i):
            return i
        i += 1
    return -1


def _blocks(text: str) -> list[tuple[int, list[str], str]]:
    """-> (first line number, comment lines, question text) per question; blank lines separate."""
    blocks: list[tuple[int, list[str], str]] = []
    comments: list[str] = []
    body: list[str] = []
    start, depth = 0, 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if depth == 0 and not body:
            if not stripped:
                comments, start = [], 0
                continue
            if stripped.startswith("$CATEGORY"):
                continue
            if stripped.startswith("//"):
                comments.append(stripped[2:].strip())
                start = start or number
                continue
        if depth == 0 and not stripped:
            blocks.append((start, comments, "\n".join(body)))
            comments, body, start = [], [], 0
            continue
        start = start or number
        body.append(line)
        depth += line.count("{") - line.count("\\{") - (line.count("}") - line.count("\\}"))
    if body:
        blocks.append((start, comments, "\n".join(body)))
    return blocks


def read_gift(path: Path, shown: str | None = None, show_progress: bool = True) -> tuple[list[Record], list[ImportProblem]]:
    shown = shown or path.name
    text, problem = read_utf8(path, shown, "GIFT")
    if problem or text is None:
        return [], [problem] if problem else []
    blocks = _blocks(text)
    if not blocks:
        return [], [ImportProblem(shown, "the file is empty (no questions)")]
    records = []
    for line, comments, body in progress(blocks, len(blocks), f"reading {shown}", show_progress):
        record = Record(file=shown, row=line, raw={}, columns=PARTS, unit="line")
        values = _parse_block(body, record)
        for comment in comments:
            match = _META_RE.match(comment)
            field = header_field(match.group(1)) if match else None
            if match is not None and (field in META_FIELDS or field == "id"):
                values.setdefault(field, match.group(2).strip())
        record.raw = to_raw(values, record)
        records.append(record)
    return records, []


def _parse_block(body: str, record: Record) -> dict[str, Any]:
    values: dict[str, Any] = {}
    text = body.strip()
    if text.startswith("::"):
        end = _find_unescaped(text, "::", 2)
        if end > 0:
            values["id"] = unescape(text[2:end]).strip()
            text = text[end + 2:]
    if text.startswith("[") and "]" in text:  # [html] / [markdown] text format markers
        text = text[text.index("]") + 1:]
    open_at = _find_unescaped(text, "{")
    close_at = _find_unescaped(text, "}", open_at + 1) if open_at >= 0 else -1
    if open_at < 0 or close_at < 0:
        record.problems.append(record.problem("no answers: a GIFT question needs {…} after its text", "answer"))
        values["stem"] = unescape(text).strip()
        return values
    after = text[close_at + 1:]
    values["stem"] = unescape(text[:open_at]).strip()
    inner = text[open_at + 1:close_at]
    feedback_at = _find_unescaped(inner, "####")
    if feedback_at >= 0:
        values["explanation"] = unescape(inner[feedback_at + 4:]).strip()
        inner = inner[:feedback_at]
    head = inner.strip()
    verdict = head.split("#", 1)[0].strip().upper()
    if verdict in ("T", "TRUE", "F", "FALSE"):
        values["type"], values["answer"] = "judge", verdict.startswith("T")
        return values
    items = _split_unescaped(head, "=~")
    if items and all(mark == "=" for mark, _ in items) and not any("->" in item for _, item in items):
        # short answer: every answer right -> a one-blank 填空 with the blank where {…} stood
        accepted = []
        for _, item in items:
            item = _split_unescaped(item, "#")[0][1] if _find_unescaped(item, "#") >= 0 else item
            weight_match = _WEIGHT_RE.match(item.strip())
            accepted.append(unescape(item.strip()[weight_match.end():] if weight_match else item).strip())
        values["type"] = "fill"
        values["stem"] = (unescape(text[:open_at]).rstrip() + fill.BLANK + unescape(after).rstrip()).strip()
        values["answer"] = "|".join(a for a in accepted if a)
        return values
    if after.strip():
        record.problems.append(record.problem("text after {…} (missing-word questions are not supported)", "stem"))
    if not items or any(mark not in "=~" or not mark for mark, _ in items):
        record.problems.append(record.problem("unsupported GIFT answers (single, multiple or true/false only)",
                                              "answer"))
        return values
    correct, options = [], []
    for i, (mark, item) in enumerate(items):
        item = _split_unescaped(item, "#")[0][1] if _find_unescaped(item, "#") >= 0 else item
        weight_match = _WEIGHT_RE.match(item.strip())
        weight = float(weight_match.group(1)) if weight_match else (100.0 if mark == "=" else 0.0)
        option = unescape(item.strip()[weight_match.end():] if weight_match else item).strip()
        if "->" in option:
            record.problems.append(record.problem("matching questions are not supported", "answer"))
            return values
        options.append(option)
        if weight > 0:
            correct.append(i)
    if len(options) > len(OPTION_FIELDS):
        record.problems.append(record.problem(f"{len(options)} answers; at most {len(OPTION_FIELDS)}", "options"))
        options = options[:len(OPTION_FIELDS)]
    for field, option in zip(OPTION_FIELDS, options, strict=False):
        values[field] = option
    values["type"] = "multiple" if len(correct) > 1 else "single"
    values["answer"] = "".join(LETTERS[i] for i in correct if i < len(LETTERS))
    return values


def representable(q: Question) -> bool:
    """GIFT has no 材料题 and no question with several blanks."""
    return q.type in (QType.SINGLE, QType.MULTIPLE, QType.JUDGE) or (q.type is QType.FILL and len(q.blanks) == 1)


def gift_block(q: Question) -> str | None:
    if not representable(q):
        return None
    cells = question_cells(q)
    lines = [f"// {HEADERS[f]}: {cells[f]}" for f in META_FIELDS if cells.get(f) not in (None, "")]
    if q.type is QType.FILL:
        before, _, after = fill.canonical_stem(q.stem).partition(fill.BLANK)
        answers = " ".join("=" + escape(a) for a in q.blanks[0])
        lines.append(f"::{escape(q.id)}::{escape(before)}{{{answers} ####{escape(q.explanation)}}}{escape(after)}")
        return "\n".join(lines)
    lines.append(f"::{escape(q.id)}::{escape(q.stem)}{{")
    if q.type is QType.JUDGE:
        lines.append("TRUE" if 0 in q.answer else "FALSE")
    elif q.type is QType.SINGLE:
        lines.extend(("=" if i in q.answer else "~") + escape(o) for i, o in enumerate(q.options))
    else:
        share = f"{100 / len(q.answer):.5f}".rstrip("0").rstrip(".")
        lines.extend(f"~%{share if i in q.answer else '-100'}%{escape(o)}" for i, o in enumerate(q.options))
    lines.append(f"####{escape(q.explanation)}")
    lines.append("}")
    return "\n".join(lines)


def write_gift(questions: list[Question], path: Path, show_progress: bool = True) -> dict[QType, int]:
    """Returns how many questions of each type were left out (no GIFT form)."""
    skipped: dict[QType, int] = {}
    with path.open("w", encoding="utf-8") as out:
        out.write("// lawbot question bank (GIFT). Lines starting // carry lawbot fields Moodle ignores.\n\n")
        for q in progress(questions, len(questions), f"writing {path.name}", show_progress):
            block = gift_block(q)
            if block is None:
                skipped[q.type] = skipped.get(q.type, 0) + 1
                continue
            out.write(block + "\n\n")
    return skipped
