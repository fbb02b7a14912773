"""Building the search index cache in a child process (`python -m bot.search.builder ROOT DIR KEY`).

A cold build is several seconds of pure-Python work. Run on a thread of a bot that is serving, it
holds the interpreter lock for most of that time, and under load the event loop thread (Ctrl-C,
Telegram's getMe and getUpdates, answers) waits for the lock at every switch. In a child process
the bot's own threads are left alone, the build runs at a lower priority, and the jieba and
pypinyin tables it needs (about 100 MB) never enter the bot's memory: the bot then opens the
written file as on any cache hit.

The child loads the content from the root (the checked catalog from its cache when there), checks
that the content still has the key the parent computed, and builds into the folder under the same
lock as any other writer (bot.search.cache.load_or_build). Exit status 0 when the folder holds the
index for the key afterwards. It runs in a session of its own: Ctrl-C at the bot's terminal stops
the bot at once and leaves the child to finish the file the next start reads; SIGTERM (a service
manager stopping the whole group) ends it, its temporary file removed."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

NICE = 10  # the child's niceness increment: the serving process keeps the CPU under load
STALE = 3  # exit status: the content changed since the parent computed the key


def build_apart(root: Path, cache_dir: Path, key: str) -> bool:
    """Build the index for root into cache_dir in a child process and wait for it (call it off
    the event loop). False when the child could not be started or did not leave the file."""
    package_parent = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", "bot.search.builder", str(root), str(cache_dir), key]
    try:
        done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=False,
                              start_new_session=True)
    except OSError as exc:
        log.warning("search index: the builder process could not start (%s); building here", exc)
        return False
    if done.returncode != 0:
        log.warning("search index: the builder process ended with status %s; building here", done.returncode)
        return False
    return True


def _catalog(root: Path):
    """The content's catalog: the checked one from the catalog cache when it is there, else
    loaded from the files (the parent already decided to serve this content)."""
    from bot.catalog import cache as catalog_cache
    from bot.catalog.catalog import load_catalog

    folder = catalog_cache.default_dir()
    found = catalog_cache.load(folder, catalog_cache.catalog_key(root)) if folder is not None else None
    return found if found is not None else load_catalog(root)[0]


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: the temporary file is removed, the lock let go


def main(argv: list[str]) -> int:
    """Build (or find) the index for ROOT's content under KEY in DIR; 0 when it is there after."""
    root, cache_dir, key = Path(argv[0]), Path(argv[1]), argv[2]
    from bot.search.cache import content_key, load_or_build
    from bot.search.lookup import SearchIndex

    if content_key(root) != key:
        return STALE
    # the catalog is loaded only to build: a builder that waited for another's lock reads its file
    _, how = load_or_build(root, cache_dir, lambda: SearchIndex.build(_catalog(root)), key)
    return 0 if how in ("hit", "built") else 1


def _as_child() -> int:
    """The child process: a lower priority, SIGTERM unwinding, warnings to the inherited stderr."""
    signal.signal(signal.SIGTERM, _stop)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if hasattr(os, "nice"):
        try:
            os.nice(NICE)
        except OSError:
            pass
    try:
        return main(sys.argv[1:])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(_as_child())
