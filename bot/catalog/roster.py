"""Importers for the unit tree and the roster: YAML, CSV or Excel (.xlsx), with an error per bad
row (`file:row: reason`) so an admin can fix the sheet and import again."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.catalog.yamlsrc import LINE_KEY, SourceError, line_of, load_yaml
from bot.catalog.zipsize import unpacked_too_large, unreadable_reason
from bot.domain.units import RosterEntry, Unit, cycle_in

MAX_ROWS = 500_000
HEADER_SEARCH = 10  # non-blank rows looked at for the header row
_ID_RE = re.compile(r"^[\w\-.]{1,40}$")
_HEADERS = {  # accepted column titles -> field
    "id": "id", "编号": "id", "单位编号": "id", "单位代码": "id",
    "name": "name", "名称": "name", "单位名称": "name", "姓名": "name",
    "parent": "parent", "上级": "parent", "上级单位": "parent", "上级编号": "parent", "上级单位编号": "parent",
    "sort": "sort", "排序": "sort",
    "staff_no": "staff_no", "工号": "staff_no", "编号/工号": "staff_no", "人员编号": "staff_no",
    "unit": "unit", "单位": "unit", "所在单位": "unit", "unit_id": "unit",
    "role": "role", "身份": "role", "角色": "role", "类别": "role", "人员类别": "role",
    "phone_tail": "phone_tail", "手机尾号": "phone_tail", "手机后四位": "phone_tail",
}


UNIT_COLUMNS = (("id", "编号"), ("name", "名称"))  # required (field, column name as errors say it)
ROSTER_COLUMNS = (("staff_no", "工号"), ("name", "姓名"), ("unit", "单位"))


class UnreadableFile(SourceError):
    """Not a readable .xlsx (a renamed text file, a truncated, encrypted or bomb-sized zip): the
    loaders pass it on, so each caller can refuse the whole file in one line."""


@dataclass(frozen=True, slots=True)
class RowError:
    source: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.row}: {self.reason}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 1001 as 1001.0
    text = str(value)
    if not text.isprintable():  # control characters (a NUL, a tab pasted into a name) are dropped
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    return text.strip()


def _xlsx_rows(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[int, str]]]:
    """The first sheet's rows and its merged cells (first row, range); a file that is no readable
    .xlsx (a renamed text file, a truncated or encrypted one, a zip bomb) is an UnreadableFile,
    never openpyxl's exception."""
    import zipfile

    from openpyxl import load_workbook

    from bot.catalog.bank_io.xlsx import first_sheet_merges

    try:
        with zipfile.ZipFile(path) as archive:
            too_large = unpacked_too_large(archive)
        if too_large:
            raise UnreadableFile(path, 0, too_large)
        merged = first_sheet_merges(path)
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)] if book.worksheets else []
        finally:
            book.close()
        return rows, merged
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile, openpyxl and XML errors: the file is the problem
        raise UnreadableFile(path, 0, unreadable_reason(path, exc)) from None


def read_table(path: Path, required: Sequence[tuple[str, str]] = ()) -> list[tuple[int, dict[str, str]]]:
    """(row number, {field: text}) from a CSV or .xlsx file with a header row. Unknown columns
    are ignored; the row number is the one a spreadsheet shows. A header without one of the
    `required` (field, column name) is a SourceError (one line, not one per row); a file that is
    not a readable .xlsx an UnreadableFile."""
    suffix = path.suffix.lower()
    rows: Iterable[Sequence[Any]]
    merged: list[tuple[int, str]] = []
    if suffix == ".xlsx":
        rows, merged = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        # Excel in China saves CSV as GBK, and "Unicode text" as tab-separated UTF-16 with a BOM
        encodings = ("utf-16",) if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "gb18030")
        for encoding in encodings:
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SourceError(path, 1, "not UTF-8 or GB18030 text")
        first = next((line for line in text.splitlines() if line.strip()), "")
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=max(",\t;", key=first.count))
    else:
        raise SourceError(path, 0, "use .yaml, .csv or .xlsx")
    try:
        return _table(path, rows, required, merged)
    except csv.Error as exc:  # a field over csv's size limit, a stray quote at the end
        raise SourceError(path, getattr(rows, "line_num", 0), f"malformed CSV: {exc}") from None


def _header_fields(cells: list[str]) -> list[str | None]:
    return [_HEADERS.get(c.lower()) or _HEADERS.get(c) for c in cells]


def _table(path: Path, rows: Iterable[Sequence[Any]], required: Sequence[tuple[str, str]],
           merged: Sequence[tuple[int, str]] = ()) -> list[tuple[int, dict[str, str]]]:
    """The header is the first of the first HEADER_SEARCH non-blank rows that names two known
    columns (a title such as 2026年学法人员名单 may stand above it), else the first non-blank row."""
    table = []
    for number, row in enumerate(rows, start=1):
        if number > 2 * MAX_ROWS:  # blank rows included: a limit before all of it is in memory
            raise SourceError(path, number, f"more than {MAX_ROWS} rows")
        table.append((number, [_cell(v) for v in row]))
    filled = [(i, cells) for i, (_number, cells) in enumerate(table) if any(cells)]
    if not filled:
        raise SourceError(path, 1, "the file is empty")
    at = next((i for i, cells in filled[:HEADER_SEARCH] if sum(1 for f in _header_fields(cells) if f) >= 2), filled[0][0])
    number, cells = table[at]
    header = _header_fields(cells)
    missing = [shown for f, shown in required if f not in header]
    if missing:
        raise SourceError(path, number, f"no {'/'.join(missing)} column in the header row")
    for top, ref in merged:  # a merged title above the header is fine; a merged 单位 over people is not
        if top >= number:
            raise SourceError(path, top, f"merged cells {ref}: unmerge them and fill in every cell")
    out: list[tuple[int, dict[str, str]]] = []
    for number, cells in table[at + 1:]:
        if not any(cells):
            continue
        out.append((number, {f: cells[i] if i < len(cells) else "" for i, f in enumerate(header) if f}))
        if len(out) > MAX_ROWS:
            raise SourceError(path, number, f"more than {MAX_ROWS} rows")
    return out


def _fields(node: dict[Any, Any]) -> dict[Any, Any]:
    """A YAML mapping with its keys read like a table's header (工号 → staff_no, 名称 → name, …)."""
    return {k if k == LINE_KEY else (_HEADERS.get(str(k).strip().lower()) or _HEADERS.get(str(k).strip()) or k): v
            for k, v in node.items()}


def _flatten_yaml_units(nodes: Any, parent: str | None, out: list[tuple[int, dict[str, str]]]) -> None:
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict):
            out.append((line_of(node, 0), {"id": "", "name": "", "_bad": "a unit must be a mapping"}))
            continue
        node = _fields(node)
        out.append((line_of(node), {"id": _cell(node.get("id")), "name": _cell(node.get("name")),
                                    "parent": parent or _cell(node.get("parent")), "sort": _cell(node.get("sort"))}))
        _flatten_yaml_units(node.get("children"), _cell(node.get("id")), out)


def load_units(path: Path, known: Iterable[str] = ()) -> tuple[list[Unit], list[RowError]]:
    """A unit tree; a parent may be in the file or already stored (known). Raises UnreadableFile."""
    shown = path.name
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = load_yaml(path)
            rows: list[tuple[int, dict[str, str]]] = []
            _flatten_yaml_units(data.get("units") if isinstance(data, dict) else data, None, rows)
        else:
            rows = read_table(path, UNIT_COLUMNS)
    except UnreadableFile:
        raise
    except SourceError as exc:
        return [], [RowError(shown, exc.line, exc.reason)]
    errors: list[RowError] = []
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        uid, name, parent = row.get("id", ""), row.get("name", ""), row.get("parent", "") or None
        if row.get("_bad"):
            errors.append(RowError(shown, number, row["_bad"]))
        elif not _ID_RE.match(uid) or len(uid.encode()) > 40:
            errors.append(RowError(shown, number, f"unit id {uid!r} must be letters, digits, - _ . (at most 40 bytes)"))
        elif not name:
            errors.append(RowError(shown, number, f"unit {uid} has no name"))
        elif uid in seen:
            errors.append(RowError(shown, number, f"unit {uid} is already on row {seen[uid]}"))
        elif row.get("sort") and not row["sort"].lstrip("-").isdigit():
            errors.append(RowError(shown, number, f"sort must be a whole number, got {row['sort']!r}"))
        else:
            seen[uid] = number
            units.append(Unit(uid, name, parent, int(row.get("sort") or number)))
    ids = set(seen) | set(known)
    for unit in units:
        if unit.parent is not None and unit.parent not in ids:
            errors.append(RowError(shown, seen[unit.id], f"unknown parent unit {unit.parent!r}"))
    cyclic = cycle_in({u.id: u.parent for u in units})
    if cyclic:
        errors.append(RowError(shown, seen[cyclic], f"unit {cyclic} is its own ancestor"))
    return units, errors


def load_roster(path: Path, units: dict[str, str]) -> tuple[list[RosterEntry], list[RowError]]:
    """units: id -> name of the stored unit tree; the unit column may hold either. Raises UnreadableFile."""
    shown = path.name
    by_name: dict[str, list[str]] = {}
    for uid, name in units.items():
        by_name.setdefault(name, []).append(uid)
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = load_yaml(path)
            people = data.get("roster") if isinstance(data, dict) else data
            rows = [(line_of(p, 0), {k: _cell(v) for k, v in _fields(p).items() if k != LINE_KEY} if isinstance(p, dict) else {})
                    for p in (people if isinstance(people, list) else [])]
        else:
            rows = read_table(path, ROSTER_COLUMNS)
    except UnreadableFile:
        raise
    except SourceError as exc:
        return [], [RowError(shown, exc.line, exc.reason)]
    errors: list[RowError] = []
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        staff_no, name, unit = row.get("staff_no", ""), row.get("name", ""), row.get("unit", "") or row.get("unit_id", "")
        # full-width letters and digits (ＳＬ０００１, １２３４) as ASCII: people type /bind SL0001
        staff_no, phone = unicodedata.normalize("NFKC", staff_no), unicodedata.normalize("NFKC", row.get("phone_tail", ""))
        if not staff_no or len(staff_no) > 40 or not _ID_RE.match(staff_no):
            errors.append(RowError(shown, number, f"staff number {staff_no!r} missing or invalid"))
        elif not name or len(name) > 40:
            errors.append(RowError(shown, number, f"name missing or too long on staff number {staff_no}"))
        elif staff_no in seen:
            errors.append(RowError(shown, number, f"staff number {staff_no} is already on row {seen[staff_no]}"))
        elif phone and not (phone.isdigit() and 4 <= len(phone) <= 6):
            errors.append(RowError(shown, number, f"phone_tail must be the last 4-6 digits, got {phone!r}"))
        else:
            unit_id = unit if unit in units else None
            if unit_id is None and len(by_name.get(unit, [])) == 1:
                unit_id = by_name[unit][0]
            if unit_id is None:
                why = "is ambiguous (use the unit id)" if len(by_name.get(unit, [])) > 1 else "is not in the unit tree"
                errors.append(RowError(shown, number, f"unit {unit!r} {why}"))
                continue
            seen[staff_no] = number
            entries.append(RosterEntry(staff_no=staff_no, name=name, unit_id=unit_id, role=row.get("role", "")[:40],
                                       phone_tail=phone))
    return entries, errors
