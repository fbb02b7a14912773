"""The statistics workbook (openpyxl, write-only): a per-unit summary sheet, a per-person
results sheet and an item-analysis sheet, formatted to forward as is. Headers and sheet names
come from the caller (texts.py).

A long sheet (the people of a city) is not written cell by cell through openpyxl, whose cell
objects cost ~10 µs each (a 150,000-person sheet has 1.65 million cells): openpyxl writes the
workbook with the sheet's header and one probe row (to learn the style of each formatted
column), then the sheet's rows are written as XML text straight into the saved file, streamed
into the zip entry in chunks. The cells are the ones openpyxl writes (inline strings, numbers
with the column's style and openpyxl's 16 significant digits, no value for "" or None); a text
that starts with "=" stays text.

`BookWriter` does the same for a sheet whose rows are not known yet (the people of a province,
read from the database a chunk at a time): the workbook is written to a file as the rows come,
so memory does not grow with the number of rows (the zip entry is compressed as it is written)."""

from __future__ import annotations

import io
import math
import numbers
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

PERCENT = "0.0%"
NUMBER = "0.0"
# openpyxl (with numpy and Pillow, ~0.18 s) is imported when a workbook is made, not when the bot
# or a command starts.


@dataclass
class Column:
    title: str
    width: float = 12
    number_format: str | None = None  # PERCENT, NUMBER or None


@dataclass
class Sheet:
    name: str
    columns: list[Column]
    rows: Sequence[Sequence[Any]]
    bold_rows: set[int] = field(default_factory=set)  # indexes of rows shown in bold (totals)
    title: str = ""  # a first line above the header


FAST_ROWS = 2000  # longer sheets without bold rows are written as XML text (see above)
KEPT_TEXTS = 2000  # escaped strings kept from one write of a long sheet's rows to the next


def build_workbook(sheets: list[Sheet]) -> bytes:
    saved, fast = _skeleton(sheets, set())
    if not fast:
        return saved.getvalue()
    return _fill_long_sheets(saved, fast)


def _skeleton(sheets: list[Sheet], streamed: set[int]) -> tuple[io.BytesIO, dict[int, Sheet]]:
    """The workbook saved by openpyxl, each long sheet (and each index in `streamed`) with its
    header and a probe row only; and those sheets by their number (sheet<n>.xml)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    head_font, head_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="305496")
    total_font, border = Font(bold=True), Border(bottom=Side(style="thin", color="BFBFBF"))
    book = Workbook(write_only=True)
    fast: dict[int, Sheet] = {}
    for number, spec in enumerate(sheets, start=1):
        ws = book.create_sheet(spec.name[:31])
        for i, column in enumerate(spec.columns):
            ws.column_dimensions[_letter(i)].width = column.width
        first = 1
        if spec.title:
            cell = WriteOnlyCell(ws, spec.title)
            cell.font = Font(bold=True, size=13)
            ws.append([cell])
            first = 2
        ws.freeze_panes = f"A{first + 1}"
        header = []
        for column in spec.columns:
            cell = WriteOnlyCell(ws, column.title)
            cell.font, cell.fill, cell.border = head_font, head_fill, border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            header.append(cell)
        ws.append(header)
        formats = [c.number_format for c in spec.columns]
        if number - 1 in streamed or (len(spec.rows) > FAST_ROWS and not spec.bold_rows):
            fast[number] = spec
            probe = []
            for fmt in formats:
                cell = WriteOnlyCell(ws, 0)
                if fmt:
                    cell.number_format = fmt
                probe.append(cell)
            ws.append(probe)
            continue
        styled = any(formats) or spec.bold_rows
        for index, row in enumerate(spec.rows):
            if not styled:
                ws.append(list(row))
                continue
            cells = []
            for value, fmt in zip(row, formats, strict=False):
                if fmt is None and index not in spec.bold_rows:
                    cells.append(value)
                    continue
                cell = WriteOnlyCell(ws, value)
                if fmt and value is not None:
                    cell.number_format = fmt
                if index in spec.bold_rows:
                    cell.font = total_font
                cells.append(cell)
            ws.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer, fast


def _fill_long_sheets(saved: io.BytesIO, fast: dict[int, Sheet]) -> bytes:
    """Copy the saved workbook, writing each long sheet's rows in place of its probe row."""
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as src, _output(out) as dst:
        for info in src.infolist():
            match = _SHEET_FILE.fullmatch(info.filename)
            spec = fast.get(int(match.group(1))) if match else None
            if spec is None:
                dst.writestr(info, src.read(info.filename))
                continue
            sheet = _SheetStream(src, dst, info, spec, len(spec.rows))
            sheet.write(spec.rows)
            sheet.close()
    return out.getvalue()


def _output(out: BinaryIO) -> zipfile.ZipFile:
    return zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)


class _SheetStream:
    """One long sheet's zip entry, open for rows: what openpyxl wrote before its probe row, then
    the rows as XML text (compressed as they are written), then what came after the probe."""

    def __init__(self, src: zipfile.ZipFile, dst: zipfile.ZipFile, info: zipfile.ZipInfo, spec: Sheet,
                 expected: int):
        text = src.read(info.filename).decode("utf-8")
        probe = list(_ROW.finditer(text))[-1]  # the last row written: the probe
        self.next = int(probe.group(1))
        styles = {m.group(1): m.group(2) for m in _CELL_STYLE.finditer(probe.group(0))}
        self.columns = [(_letter(i), f' s="{styles[_letter(i)]}"' if c.number_format and _letter(i) in styles else "")
                        for i, c in enumerate(spec.columns)]
        self.tail = text[probe.end():]
        self.texts: dict[str, str] = {}
        entry = zipfile.ZipInfo(info.filename, info.date_time)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry._compresslevel = 1  # type: ignore[attr-defined]  # 3x faster than the default, 20% larger
        self.file = dst.open(entry, "w", force_zip64=expected > 1_000_000)
        self.file.write(text[:probe.start()].encode("utf-8"))

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        if len(self.texts) > KEPT_TEXTS:  # mostly names and 工号 seen once: start again (units come back)
            self.texts.clear()
        for chunk in _rows_xml(rows, self.columns, self.next, texts=self.texts):
            self.file.write(chunk.encode("utf-8"))
        self.next += len(rows)

    def close(self) -> None:
        self.file.write(self.tail.encode("utf-8"))
        self.file.close()


class BookWriter:
    """A workbook written to `out` while the rows of one of its sheets (`streamed`, an index into
    `sheets`; its `rows` are ignored) arrive: `write(rows)` as often as needed, then `close()`.
    The other sheets are written as build_workbook writes them; the streamed sheet is written as
    a long sheet (the same cells) whatever its length. Memory stays that of one call's rows.
    `expected` (the rows to come, roughly) only decides whether the entry is ZIP64 (> 1,000,000)."""

    def __init__(self, sheets: list[Sheet], streamed: int, out: BinaryIO, expected: int = 0):
        saved, fast = _skeleton(sheets, {streamed})
        self._src = zipfile.ZipFile(saved)
        self._dst = _output(out)
        self._rest = iter(self._src.infolist())
        name = f"xl/worksheets/sheet{streamed + 1}.xml"
        for info in self._rest:
            if info.filename == name:
                self._sheet = _SheetStream(self._src, self._dst, info, fast[streamed + 1], expected)
                break
            self._dst.writestr(info, self._src.read(info.filename))
        else:  # pragma: no cover - openpyxl names sheets sheet1.xml, sheet2.xml, ...
            raise ValueError(f"no {name} in the saved workbook")

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        self._sheet.write(rows)

    def close(self) -> None:
        """The rest of the workbook; `out` then holds the whole file."""
        self._sheet.close()
        for info in self._rest:
            self._dst.writestr(info, self._src.read(info.filename))
        self._dst.close()
        self._src.close()


_SHEET_FILE = re.compile(r"xl/worksheets/sheet(\d+)\.xml")
_ROW = re.compile(r'<row r="(\d+)"[^>]*>.*?</row>', re.S)
_CELL_STYLE = re.compile(r'<c r="([A-Z]+)\d+" s="(\d+)"')
# XML text: escape markup, drop the control characters XML 1.0 cannot hold (openpyxl refuses them)
_ESCAPE = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;",
           **{c: None for c in (*range(9), 11, 12, *range(14, 32))}}


def _rows_xml(rows: Sequence[Sequence[Any]], columns: list[tuple[str, str]], first: int,
              chunk: int = 2000, texts: dict[str, str] | None = None) -> Iterator[str]:
    """`<row>` elements for rows numbered from `first`, a chunk of rows per string; `texts` keeps
    the escaped text of repeated strings (units, roles, 是/否) from one call to the next."""
    parts: list[str] = []
    texts = {} if texts is None else texts
    for n, row in enumerate(rows, start=first):
        cells = []
        for value, (letter, style) in zip(row, columns, strict=False):
            kind = type(value)
            if value is None or value == "":  # openpyxl writes no value for either
                continue
            if kind is str:
                text = texts.get(value)
                if text is None:
                    text = value.translate(_ESCAPE)
                    if text[:1].isspace() or text[-1:].isspace():
                        text = f'<t xml:space="preserve">{text}</t>'
                    else:
                        text = f"<t>{text}</t>"
                    if len(texts) < 50_000:
                        texts[value] = text
                cells.append(f'<c r="{letter}{n}" t="inlineStr"><is>{text}</is></c>')
            elif kind is int:
                cells.append(f'<c r="{letter}{n}"{style} t="n"><v>{value}</v></c>')
            elif kind is float or (kind is not bool and isinstance(value, numbers.Real | Decimal)):
                number = float(value)
                if math.isfinite(number):
                    cells.append(f'<c r="{letter}{n}"{style} t="n"><v>{number:.16g}</v></c>')  # as openpyxl
            elif kind is bool:
                cells.append(f'<c r="{letter}{n}"{style} t="b"><v>{int(value)}</v></c>')
            else:
                cells.append(f'<c r="{letter}{n}" t="inlineStr"><is><t>{str(value).translate(_ESCAPE)}</t></is></c>')
        parts.append(f'<row r="{n}">{"".join(cells)}</row>')
        if len(parts) >= chunk:
            yield "".join(parts)
            parts = []
    if parts:
        yield "".join(parts)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
