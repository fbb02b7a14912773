"""The checked catalog cached on disk: parsed and checked once per content version, read by
every process that starts on the same content (a bot's workers, the admin command line).

One pickle file per version, `<cache dir>/catalog-<key>.pickle`. The key is a SHA-256 of the
content root's path, of every file under content/ and quizzes/ (path and bytes), of the code
that parses and checks it (bot/catalog, bot/domain), and of the Python and PyYAML versions; so a
changed law, question, exam, guide or parsing rule gives a new key and the catalog is loaded
again, and nothing has to be cleared by hand. Only content without problems is stored (invalid
content is reported from a fresh check every time).

A writer pickles into a temporary file in the same folder and renames it into place (atomic):
two processes starting together may both load the content, but a reader never sees a
half-written file. A file that cannot be read is ignored (and replaced). A file is read only
when it belongs to this user and nobody else may write it, as a pickle can run code.

The folder (bot.catalog.cachefiles.default_dir, shared with the search index): LAWBOT_CACHE_DIR,
else $XDG_CACHE_HOME/lawbot (~/.cache/lawbot); LAWBOT_CACHE_DIR=off turns the cache off."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bot.catalog.cachefiles import default_dir, hash_files, trusted

if TYPE_CHECKING:
    from bot.catalog.catalog import Catalog

log = logging.getLogger(__name__)

__all__ = ["catalog_key", "default_dir", "load", "store"]

FORMAT = 1
PREFIX = "catalog-"
SUFFIX = ".pickle"
KEEP = 3  # files kept in the folder (the newest); older content versions are removed
CONTENT_DIRS = ("content", "quizzes")
_CODE = Path(__file__).resolve().parents[1]  # bot/
CODE_DIRS = ("catalog", "domain")


def catalog_key(root: Path) -> str:
    """SHA-256 over what the checked catalog is made from (see the module docstring)."""
    import yaml

    digest = hashlib.sha256()
    digest.update(f"format {FORMAT} {sys.version} pyyaml {yaml.__version__} "
                  f"{getattr(yaml, '__with_libyaml__', False)}\nroot {Path(root).resolve()}\n".encode())
    for folder in CODE_DIRS:
        hash_files(digest, "code", folder, _CODE / folder, ".py")
    for folder in CONTENT_DIRS:
        hash_files(digest, "file", folder, Path(root) / folder)
    return digest.hexdigest()


def cache_file(cache_dir: Path, key: str) -> Path:
    return Path(cache_dir) / f"{PREFIX}{key}{SUFFIX}"


def load(cache_dir: Path, key: str) -> Catalog | None:
    """The stored catalog for this key, or None when there is none or it is not usable."""
    from bot.catalog.catalog import Catalog

    path = cache_file(cache_dir, key)
    try:
        if not trusted(path):
            log.warning("catalog cache %s is writable by others or not ours; not read", path)
            return None
        with open(path, "rb") as handle:
            found = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - any unreadable file is rebuilt
        log.warning("catalog cache %s is not usable (%s: %s); loading the content", path, type(exc).__name__, exc)
        return None
    if not (isinstance(found, tuple) and len(found) == 2 and found[0] == key and isinstance(found[1], Catalog)):
        log.warning("catalog cache %s does not hold this content's catalog; loading the content", path)
        return None
    return found[1]


def store(cache_dir: Path, key: str, catalog: Catalog) -> bool:
    """Write the catalog for this key (atomically); False, with a warning, when it cannot be."""
    cache_dir = Path(cache_dir)
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{PREFIX}", suffix=".tmp", dir=cache_dir)
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump((key, catalog), out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, cache_file(cache_dir, key))
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except (OSError, pickle.PicklingError) as exc:
        log.info("catalog cache folder %s cannot be written (%s); the content is loaded on every start",
                    cache_dir, exc)
        return False
    _prune(cache_dir)
    return True


def _prune(cache_dir: Path) -> None:
    """Keep the KEEP newest catalog files."""
    try:
        files = sorted(cache_dir.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # another process pruned it first
