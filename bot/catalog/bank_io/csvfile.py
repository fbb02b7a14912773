"""CSV with the spreadsheet columns. Reading accepts UTF-8 (with or without BOM), UTF-16 with BOM
(Excel's "Unicode text") and GBK/GB18030 (what Excel on Chinese Windows saves): the encoding is
the one under which the header row names known columns. Writing uses UTF-8 with BOM so Excel
opens it correctly."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.catalog.bank_io.columns import (
    EXPORT_FIELDS,
    HEADERS,
    ImportProblem,
    Record,
    header_field,
    nothing_read,
    question_rows,
    read_table,
)
from bot.catalog.bank_io.progress import progress
from bot.domain.models import Question


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip(" ,;\t\"'"):
            return line
    return ""


def _dialect(line: str) -> str:
    return max(",\t;", key=line.count) if line else ","


def _names_columns(text: str) -> bool:
    line = _first_line(text)
    cells = next(csv.reader([line], delimiter=_dialect(line)), [])
    return sum(1 for cell in cells if header_field(cell)) >= 2


def decode(data: bytes, shown: str) -> tuple[str | None, str, ImportProblem | None]:
    """bytes -> (text, encoding name, problem)."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    decoded: list[tuple[str, str]] = []
    failure = ""
    for encoding in candidates:
        try:
            decoded.append((data.decode(encoding), encoding))
        except UnicodeDecodeError as exc:
            failure = failure or f"{encoding}: invalid byte at offset {exc.start}"
    for text, encoding in decoded:
        if _names_columns(text):
            return text, encoding, None
    if decoded and (decoded[0][1] in ("utf-8-sig", "utf-16", "utf-8") or not _first_line(decoded[0][0])):
        return decoded[0][0], decoded[0][1], None  # decodes cleanly: let the header check speak
    tried = " or ".join("GBK/GB18030" if c == "gb18030" else c.upper() for c in candidates)
    if decoded:
        return None, "", ImportProblem(shown, f"unreadable text encoding: read as {tried} the header row names "
                                              "no known column (save the file as UTF-8 or GBK)")
    return None, "", ImportProblem(shown, f"unreadable text encoding: not {tried} ({failure}); "
                                          "save the file as UTF-8 or GBK")


def read_csv(path: Path, shown: str | None = None, show_progress: bool = True) -> tuple[list[Record], list[ImportProblem]]:
    shown = shown or path.name
    text, _, problem = decode(path.read_bytes(), shown)
    if problem:
        return [], [problem]
    assert text is not None
    total = text.count("\n") + 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(_first_line(text)))
    try:
        records, problems, empty = read_table(reader, shown, None, total, show_progress)
    except csv.Error as exc:
        return [], [ImportProblem(shown, f"malformed CSV: {exc}", None, reader.line_num)]
    if empty and _first_line(text):  # a table, but not of questions
        problems.extend(nothing_read(shown, [], [None], []))
    elif empty:
        problems.append(ImportProblem(shown, "the file is empty (no header row and no questions)"))
    elif not records and not problems:
        problems.extend(nothing_read(shown, [None], [], []))
    return records, problems


def write_csv(questions: list[Question], path: Path, show_progress: bool = True) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([HEADERS[f] for f in EXPORT_FIELDS])
        for q in progress(questions, len(questions), f"writing {path.name}", show_progress):
            for cells in question_rows(q):
                writer.writerow(["" if cells.get(f) is None else cells.get(f) for f in EXPORT_FIELDS])
