"""Import: read a file in any supported format, validate every row with the same rules as the
content check (build_question, quoted text in the cited article, unique ids, near-duplicate
stems), and merge the good questions into a bank YAML file. Nothing is written when any row is
bad unless skip_bad is set. A row whose stem (nearly) repeats a question already in the bank is
skipped and listed (a unit's bank naturally repeats statute sentences the shipped bank asks);
with strict=True it is a bad row instead. Near-duplicates within the file are always bad rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.catalog.bank_io.aiken import read_aiken
from bot.catalog.bank_io.columns import (
    GENERATED_ID,
    MATERIAL_ROWS,
    POINTS_GIVEN,
    ImportProblem,
    Record,
    group_materials,
)
from bot.catalog.bank_io.csvfile import read_csv
from bot.catalog.bank_io.gift import read_gift
from bot.catalog.bank_io.progress import progress
from bot.catalog.bank_io.xlsx import read_xlsx
from bot.catalog.bank_io.yamlbank import dump_questions, merge, read_yaml, write_atomically
from bot.catalog.check import near_duplicates, unquoted_spans
from bot.catalog.laws import LawLibrary
from bot.catalog.questions import build_question, load_bank_file
from bot.domain.models import Question

Reader = Callable[..., tuple[list[Record], list[ImportProblem]]]
READERS: dict[str, Reader] = {"xlsx": read_xlsx, "csv": read_csv, "gift": read_gift, "aiken": read_aiken,
                              "yaml": read_yaml}
SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".csv": "csv", ".tsv": "csv", ".gift": "gift",
            ".aiken": "aiken", ".yaml": "yaml", ".yml": "yaml"}
MAX_SHOWN_ERRORS = 200
_AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*[:：]", re.IGNORECASE | re.MULTILINE)


class ImportFormatError(ValueError):
    pass


def detect_format(path: Path, fmt: str = "auto") -> str:
    if fmt != "auto":
        if fmt not in READERS:
            raise ImportFormatError(f"unknown format {fmt!r} (auto, {', '.join(READERS)})")
        return fmt
    found = SUFFIXES.get(path.suffix.lower())
    if found:
        return found
    if path.suffix.lower() == ".txt":  # GIFT and Aiken are both plain text
        head = path.read_bytes()[:65536].decode("utf-8", "replace")
        if _AIKEN_ANSWER.search(head) and "{" not in head:  # ANSWER: B, also ANSWER：B (a Chinese colon)
            return "aiken"
        return "gift"
    raise ImportFormatError(f"{path.name}: unknown file type {path.suffix!r}; use --format "
                            f"({', '.join(READERS)})")


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A row skipped because the bank already has the question (`existing`)."""

    row: ImportProblem  # where the row is (its reason says what it repeats, in English)
    existing: str
    similarity: float

    def text(self, locale: str, with_file: bool = True) -> str:
        from bot.catalog.bank_io.messages import where
        from bot.texts import tr

        similar = "" if self.similarity >= 0.995 else tr(locale, "bankcli_similar", similarity=f"{self.similarity:.2f}")
        return tr(locale, "bankcli_duplicate", where=where(self.row, locale, with_file), id=self.existing,
                  similar=similar)


@dataclass
class ImportResult:
    questions: list[Question] = field(default_factory=list)  # valid ones, in file order
    problems: list[ImportProblem] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)  # skipped: already in the bank
    rows: int = 0
    bad_rows: int = 0
    notes: list[str] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    written: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def report_lines(self, locale: str = "en") -> list[str]:
        """Bad rows, skipped duplicates and notes, one line each, in `locale`."""
        from bot.catalog.bank_io.messages import localise, problem_text
        from bot.texts import tr

        lines = [problem_text(p, locale) for p in self.problems[:MAX_SHOWN_ERRORS]]
        if len(self.problems) > MAX_SHOWN_ERRORS:
            lines.append(tr(locale, "bankcli_more", n=len(self.problems) - MAX_SHOWN_ERRORS))
        lines.extend(d.text(locale) for d in self.duplicates[:MAX_SHOWN_ERRORS])
        if len(self.duplicates) > MAX_SHOWN_ERRORS:
            lines.append(tr(locale, "bankcli_more", n=len(self.duplicates) - MAX_SHOWN_ERRORS))
        lines.extend(localise(note, locale) for note in self.notes)
        return lines

    def summary(self, locale: str = "en") -> str:
        from bot.texts import tr

        text = tr(locale, "bankcli_summary", rows=self.rows, valid=len(self.questions), bad=self.bad_rows,
                  dups=len(self.duplicates))
        if self.written:
            text += " " + tr(locale, "bankcli_written", file=self.written, added=self.added, updated=self.updated)
        return text


def read_records(path: Path, fmt: str = "auto", shown: str | None = None,
                 show_progress: bool = True) -> tuple[list[Record], list[ImportProblem]]:
    kind = detect_format(path, fmt)
    return READERS[kind](path, shown or path.name, show_progress=show_progress)


def _merge_problems(record: Record, found: list) -> list[ImportProblem]:
    """Problems seen while reading win over build_question's for the same column."""
    problems = list(record.problems)
    taken = {p.column for p in problems}
    for problem in found:
        if problem.field == "id" and not record.raw.get("id"):
            continue  # no 编号 and no stem to derive one from: "empty stem" says it
        column = record.column_of(problem.field)
        if column is not None and column in taken:
            continue
        problems.append(record.problem(problem.reason, problem.field))
    return problems


def validate(records: list[Record], laws: LawLibrary, existing: dict[str, Question] | None = None,
             target: str | None = None, show_progress: bool = True, strict: bool = False) -> ImportResult:
    """Check every record; existing: the bank (id -> question, origin 'file:line'); target: the
    bank file imported into (ids from other bank files may not be reused). A record repeating a
    bank question is skipped (result.duplicates), or with strict a bad row."""
    result = ImportResult(rows=len(records))
    records = group_materials(records)
    by_record: list[tuple[Record, Question]] = []
    bad: dict[int, list[ImportProblem]] = {}
    seen: dict[str, Record] = {}
    for index, record in enumerate(progress(records, len(records), "validating", show_progress)):
        question, found = build_question(record.raw, record.file, laws)
        if record.raw.get(MATERIAL_ROWS):  # a sub-question's problem points at its own row
            problems = record.problems + [ImportProblem(record.file, p.reason, record.sheet, p.line,
                                                        record.column_of(p.field), record.unit) for p in found]
        else:
            problems = _merge_problems(record, found)
        for part in (question, *question.subs) if question is not None else ():
            for span in unquoted_spans(part.explanation, [part.cite], laws):
                problems.append(record.problem(f"explanation quotes “{span}”, which is not in "
                                               f"{part.cite.law} article {part.cite.article}", "explanation"))
        if question is not None:
            first = seen.get(question.id)
            if first is not None:
                what = "stem" if record.raw.get(GENERATED_ID) else "id"
                problems.append(record.problem(f"same {what} as {first.unit} {first.row} (id {question.id})",
                                               "stem" if what == "stem" else "id"))
            other = (existing or {}).get(question.id)
            if other is not None and target is not None and other.origin.rpartition(":")[0] != target:
                problems.append(record.problem(f"id {question.id} is already used by {other.origin}; "
                                               f"import into that file (--into) or change the id", "id"))
        if problems or question is None:
            bad[index] = problems
            continue
        seen[question.id] = record
        by_record.append((record, question))
    # near-duplicate stems against the bank (minus the questions being replaced) and each other
    position_of = {id(r): i for i, r in enumerate(records)}
    new_ids = {q.id for _, q in by_record}
    kept = [q for qid, q in (existing or {}).items() if qid not in new_ids]
    index_of = {id(q): i for i, (_, q) in enumerate(by_record)}
    repeats: dict[int, tuple[Question, float]] = {}  # record position -> the bank question it repeats
    for a, b, similarity in near_duplicates(kept + [q for _, q in by_record]):
        position = index_of.get(id(b))
        if position is None:
            continue
        record = by_record[position][0]
        if id(a) not in index_of:  # a is in the bank already
            if strict:
                bad.setdefault(position_of[id(record)], []).append(record.problem(
                    f"stem nearly duplicates {a.id} in the bank ({a.origin}, similarity {similarity:.2f})", "stem"))
            elif similarity > repeats.get(position, (None, -1.0))[1]:
                repeats[position] = (a, similarity)
            continue
        first = by_record[index_of[id(a)]][0]
        bad.setdefault(position_of[id(record)], []).append(record.problem(
            f"stem nearly duplicates {a.id} ({first.unit} {first.row}, similarity {similarity:.2f})", "stem"))
    bad_records = {id(records[i]) for i in bad}
    for position in sorted(repeats):
        record = by_record[position][0]
        if id(record) not in bad_records:
            bank_question, similarity = repeats[position]
            result.duplicates.append(Duplicate(record.problem(f"repeats {bank_question.id} already in the bank"),
                                               bank_question.id, similarity))
    skipped = {id(by_record[p][0]) for p in repeats}
    result.questions = [q for record, q in by_record if id(record) not in bad_records and id(record) not in skipped]
    result.bad_rows = len(bad)
    for index in sorted(bad):
        result.problems.extend(bad[index] or [records[index].problem("invalid question")])
    return result


def read_questions(path: Path, laws: LawLibrary, fmt: str = "auto", show_progress: bool = True,
                   existing: dict[str, Question] | None = None, target: str | None = None,
                   strict: bool = False) -> ImportResult:
    """Read and validate a file (nothing is written)."""
    records, read_problems = read_records(path, fmt, show_progress=show_progress)
    result = validate(records, laws, existing, target, show_progress, strict)
    result.problems = read_problems + result.problems
    if read_problems and not records:
        result.bad_rows = 0
    if any(r.raw.get(POINTS_GIVEN) for r in records):
        result.notes.append("note: 分值 is checked but not stored (exam points come from the exam blueprint)")
    return result


def import_into_bank(path: Path, root: Path, existing: dict[str, Question], laws: LawLibrary,
                     into: Path | None = None, skip_bad: bool = False, fmt: str = "auto",
                     show_progress: bool = True, strict: bool = False) -> ImportResult:
    """Validate path and merge it into the bank file `into` (default quizzes/bank/imported.yaml).
    Writes nothing when a row is bad, unless skip_bad; rows already in the bank are skipped."""
    target, target_shown = bank_target(root, into)
    result = read_questions(path, laws, fmt, show_progress, existing, target_shown, strict)
    if not result.questions or (result.problems and not skip_bad):
        return result
    current: list[Question] = []
    if target.exists():
        current, problems = load_bank_file(target, laws, target_shown)
        if problems:
            result.problems.extend(ImportProblem(target_shown, p.reason, row=p.line, unit="line") for p in problems)
            result.notes.append(f"not written: {target_shown} has problems of its own")
            return result
    merged, result.added, result.updated = merge(current, result.questions)
    write_atomically(target, dump_questions(merged))
    result.written = target_shown
    return result


def bank_target(root: Path, into: Path | None) -> tuple[Path, str]:
    """The bank file to merge into and how messages name it. A bare file name means quizzes/bank/NAME."""
    if into is None:
        target = root / "quizzes" / "bank" / "imported.yaml"
    elif not into.is_absolute() and into.parent == Path("."):
        target = root / "quizzes" / "bank" / into
    else:
        target = into
    return target, _shown(target, root)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
