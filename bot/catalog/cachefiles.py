"""What the on-disk caches (the checked catalog, bot.catalog.cache; the search index,
bot.search.cache) share: the folder they live in, the check a file passes before it is read
(both hold pickles, which can run code), and the hashing of the files a cache entry is made
from."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Protocol


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...


def default_dir() -> Path | None:
    """LAWBOT_CACHE_DIR (None when it says off, none or 0), else $XDG_CACHE_HOME/lawbot or
    ~/.cache/lawbot."""
    chosen = os.environ.get("LAWBOT_CACHE_DIR", "").strip()
    if chosen:
        return None if chosen.lower() in ("off", "none", "0") else Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lawbot"


def private(path: Path) -> bool:
    """Whether the file or folder belongs to this user and nobody else may write it. Raises
    OSError (FileNotFoundError) when it is missing. Always true where there are no user ids."""
    if not hasattr(os, "getuid"):
        return True
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def trusted(path: Path) -> bool:
    """Whether a cache file may be unpickled: it and the folder holding it are private (so nobody
    else can have written it or put another file in its place). Raises OSError when missing."""
    return private(path.parent) and private(path)


def files(top: Path, suffix: str = "") -> list[tuple[str, Path]]:
    """(path relative to top with "/", path) of the files under top whose names end with suffix,
    sorted by that relative path, __pycache__ folders left out; none if top is missing."""
    found = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel = Path(folder).relative_to(top).as_posix()
        for name in names:
            if name.endswith(suffix):
                found.append((name if rel == "." else f"{rel}/{name}", Path(folder) / name))
    return sorted(found)


def hash_files(digest: _Digest, tag: str, label: str, top: Path, suffix: str = "") -> None:
    """Feed digest each file under top (see files): a "<tag> <label>/<path> <size>" line, then
    its bytes."""
    for name, path in files(top, suffix):
        data = path.read_bytes()
        digest.update(f"{tag} {label}/{name} {len(data)}\n".encode())
        digest.update(data)
