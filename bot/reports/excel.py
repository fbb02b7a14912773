"""The statistics workbook (openpyxl, write-only for large rosters): a per-unit summary sheet,
a per-person results sheet and an item-analysis sheet, formatted to forward as is. Headers and
sheet names come from the caller (texts.py)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

PERCENT = "0.0%"
NUMBER = "0.0"
_HEAD_FONT = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="305496")
_TOTAL_FONT = Font(bold=True)
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(bottom=_THIN)


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


def build_workbook(sheets: list[Sheet]) -> bytes:
    book = Workbook(write_only=True)
    for spec in sheets:
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
            cell.font, cell.fill, cell.border = _HEAD_FONT, _HEAD_FILL, _BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            header.append(cell)
        ws.append(header)
        formats = [c.number_format for c in spec.columns]
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
                    cell.font = _TOTAL_FONT
                cells.append(cell)
            ws.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
