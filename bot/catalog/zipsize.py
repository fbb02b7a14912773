"""Why an .xlsx cannot be read, and a limit on what it (a zip) unpacks to, checked before any of it is read: a few
megabytes of zip can hold gigabytes of sheet XML (a zip bomb), and both the bank reader and
openpyxl hold what they parse in memory. zipfile never returns more bytes for a member than its
header's file_size, so the sum of those sizes bounds what reading the file can produce."""

from __future__ import annotations

import zipfile
from pathlib import Path

MAX_UNPACKED_MB = 200  # the whole shipped bank (2,054 questions) unpacks to 4 MB; 150,000 people to ~40 MB


def unpacked_too_large(archive: zipfile.ZipFile, limit_mb: int = MAX_UNPACKED_MB) -> str | None:
    """The English problem (an imp_* template) when the members unpack to more than limit_mb; None if fine."""
    total = sum(max(0, info.file_size) for info in archive.infolist())
    if total > limit_mb * 1024 * 1024:
        return f"the .xlsx file unpacks to {total // (1024 * 1024)} MB, more than {limit_mb} MB"
    return None


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: Excel 97-2003 .xls, or an encrypted .xlsx


def unreadable_reason(path: Path, error: Exception) -> str:
    """The English problem (an imp_* template) for an .xlsx that zipfile or openpyxl could not read."""
    try:
        with path.open("rb") as source:
            head = source.read(len(_OLE2))
    except OSError:
        head = b""
    if head == _OLE2:
        return "a password-protected workbook or an old .xls, not an .xlsx: save it as .xlsx without a password"
    if isinstance(error, zipfile.BadZipFile):  # not a zip at all: a renamed CSV or document, a cut-off copy
        return "not an .xlsx file: another kind of file renamed, or an incomplete copy"
    return f"not a readable .xlsx file ({type(error).__name__})"
