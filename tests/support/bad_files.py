"""Files that are not what they claim, for the import tests: a zip bomb made from a real .xlsx."""

from __future__ import annotations

import zipfile
from pathlib import Path


def zip_bomb(path: Path, source: Path, megabytes: int) -> Path:
    """source with `megabytes` MB of spaces inside its first sheet's XML: a few hundred KB of zip
    that unpacks to more than `megabytes` MB."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, data)
                continue
            head, _, tail = data.partition(b"</sheetData>")
            with out.open(item.filename, "w", force_zip64=True) as member:
                member.write(head)
                chunk = b" " * (1 << 20)
                for _ in range(megabytes):
                    member.write(chunk)
                member.write(b"</sheetData>" + tail)
    return path
