"""Date and time cells of an .xlsx read as the text Excel shows, not as the serial number stored
(a date typed into the 答案 cell is stored as 45293 with a date style). A custom format
(yyyy/m/d, yyyy"年"m"月"d"日", yyyy-mm-dd h:mm) is rendered as written; a built-in one, whose look
depends on the reader's locale, and any format this does not know, as ISO (2024-01-02, 13:30)."""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree

# openpyxl's pieces are imported where used: importing openpyxl costs ~0.18 s at every start.
WINDOWS_1900 = dt.datetime(1899, 12, 30)  # Excel's day 0 (openpyxl's CALENDAR_WINDOWS_1900)
MAC_1904 = dt.datetime(1904, 1, 1)  # the 1904 date system's day 0 (openpyxl's CALENDAR_MAC_1904)
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# the East Asian locales' built-in date and time formats (ECMA-376 18.8.30), not in openpyxl's table
_LOCALE_DATE_IDS = set(range(27, 37)) | set(range(50, 59))
_TOKEN = re.compile(r'"([^"]*)"|\\(.)|[_*].|(\[[^\]]*\]|am/pm|a/p|y+|m+|d+|h+|s+|e|\.0+)|(.)', re.IGNORECASE | re.DOTALL)


def epoch_of(workbook: ElementTree.Element) -> dt.datetime:
    """The workbook's date system: 1900 (Windows), or 1904 (old Mac workbooks)."""
    pr = workbook.find(f"{_MAIN}workbookPr")
    flag = (pr.get("date1904") or "") if pr is not None else ""
    return MAC_1904 if flag.lower() in ("1", "true") else WINDOWS_1900


def date_styles(xml: bytes) -> dict[str, str]:
    """Style index (a cell's s attribute) -> number format code, for the styles that show a date
    or a time; "" for a built-in format."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    root = ElementTree.fromstring(xml)
    custom = {f.get("numFmtId", ""): f.get("formatCode", "") for f in root.iter(f"{_MAIN}numFmt")}
    xfs = root.find(f"{_MAIN}cellXfs")
    found = {}
    for index, xf in enumerate(xfs if xfs is not None else ()):
        fid = xf.get("numFmtId", "0")
        code = custom.get(fid)
        if code is not None:
            if is_date_format(code):
                found[str(index)] = code
        elif fid.isdigit() and (int(fid) in _LOCALE_DATE_IDS or is_date_format(BUILTIN_FORMATS.get(int(fid), ""))):
            found[str(index)] = ""
    return found


def date_shown(serial: int | float, code: str, epoch: dt.datetime) -> str | int | float:
    """The serial number of a date cell as Excel shows it (the number itself if it is no date)."""
    from openpyxl.utils.datetime import from_excel

    try:
        when = from_excel(serial, epoch)
    except (ValueError, OverflowError, TypeError):
        return serial
    if not isinstance(when, (dt.datetime, dt.time)):
        return serial
    return (_render(code, when) if code else None) or _iso(when)


def _iso(when: dt.datetime | dt.time) -> str:
    clock = f"{when.hour:02d}:{when.minute:02d}" + (f":{when.second:02d}" if when.second else "")
    if isinstance(when, dt.time):
        return clock
    return when.date().isoformat() + ("" if clock == "00:00" else f" {clock}")


def _render(code: str, when: dt.datetime | dt.time) -> str | None:
    """A format code's first section with when's fields; None for what it does not know (month
    and weekday names, AM/PM, elapsed hours, Chinese digits, fractions of a second)."""
    parts: list[tuple[str, str]] = []  # (token or "", text)
    for literal, escaped, token, other in _TOKEN.findall(code.split(";")[0]):
        if token:
            lower = token.lower()
            if lower.startswith("[$") or lower in ("[red]", "[black]", "[blue]", "[green]"):
                continue
            if lower[0] in "[a.e" or (lower[0] in "md" and len(lower) > 2):
                return None
            parts.append((lower, ""))
        else:
            parts.append(("", literal or escaped or other))
    tokens = [i for i, (t, _) in enumerate(parts) if t]
    out = []
    for i, (token, text) in enumerate(parts):
        if not token:
            out.append(text)
            continue
        at = tokens.index(i)
        before = parts[tokens[at - 1]][0] if at else ""
        after = parts[tokens[at + 1]][0] if at + 1 < len(tokens) else ""
        kind = "n" if token[0] == "m" and (before[:1] == "h" or after[:1] == "s") else token[0]
        value = _field(kind, when)
        if value is None:
            return None
        if token[0] == "y":  # y and yy: two digits; yyy and yyyy: four
            out.append(str(value) if len(token) > 2 else f"{value % 100:02d}")
        else:
            out.append(f"{value:02d}" if len(token) > 1 else str(value))
    return "".join(out) if tokens else None


def _field(kind: str, when: dt.datetime | dt.time) -> int | None:
    if kind in "ymd":
        if not isinstance(when, dt.datetime):
            return None
        return {"y": when.year, "m": when.month, "d": when.day}[kind]
    return {"h": when.hour, "n": when.minute, "s": when.second}[kind]
