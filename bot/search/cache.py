"""The search index cached on disk: built once per content version, read by every process.

One SQLite file per content version, `<cache dir>/search-<key>.sqlite3`, where the key is a
SHA-256 of the content the index is made from (content/laws, content/services, content/cases),
of the search and catalog code, and of the tokeniser packages' versions. A changed law, guide,
case or search rule gives a new key, so the index is rebuilt on the next start; nothing has to
be cleared by hand. The file holds:

- the dictionary (jieba's words with the content's words added, and its total) and each
  character's pinyin reading, so a query is cut exactly as at build time without loading jieba
  or pypinyin (together 125 MB and a second);
- the guides' and cases' space (small, read whole);
- the articles' space as one row per term (idf and the packed postings), read per query term,
  so a process holds only the terms it was asked about;
- each article's hit (reference, name, summary).

Writers build into a temporary file in the same folder and rename it into place (atomic), under
an advisory lock so that two processes starting together build it once; readers open the file
read-only and never see a half-written index. A file that cannot be read or does not say it is
complete is ignored and rebuilt. Answers are the same with and without the cache: the numbers
are stored as the doubles they were computed as, and queries are cut with the same dictionary.

The folder is the one the checked catalog is cached in (bot.catalog.cachefiles.default_dir:
LAWBOT_CACHE_DIR, else ~/.cache/lawbot; off keeps the index in memory). The file holds a pickle,
so, as for the catalog, it is read only when it and its folder belong to this user and nobody
else may write them (bot.catalog.cachefiles.trusted); another file is ignored and rebuilt, and in
a folder others may write the index is kept in memory. A bot that finds no index builds it in a
child process (bot.search.builder), so that its own threads keep the interpreter.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import os
import pickle
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from bot.catalog.cachefiles import hash_files, private, trusted
from bot.search import text as tx
from bot.search.bm25 import FieldIndex, matched, scores
from bot.search.lookup import Hit, Lookup, SearchIndex, _Space

log = logging.getLogger(__name__)

FORMAT = 3
CONTENT_DIRS = ("content/laws", "content/services", "content/cases")
PREFIX = "search-"
SUFFIX = ".sqlite3"
KEEP = 3  # cache files kept in the folder (the newest); older content versions are removed
_CODE = Path(__file__).resolve().parents[1]  # bot/


def content_key(root: Path) -> str:
    """SHA-256 over what the index is made from: the content files (path and bytes), the search
    and catalog code, the tokeniser packages' versions, and this format."""
    digest = hashlib.sha256()
    digest.update(f"format {FORMAT} {sys.byteorder} {sys.version_info[:2]}\n".encode())
    for package in ("jieba", "pypinyin", "opencc"):
        digest.update(f"{package} {_installed(package)}\n".encode())
    for folder in ("search", "catalog"):
        hash_files(digest, "code", folder, _CODE / folder, ".py")
    for folder in CONTENT_DIRS:
        hash_files(digest, "file", folder, Path(root) / folder)
    return digest.hexdigest()


def _installed(package: str) -> str:
    """The installed distribution's name and version ("jieba-0.42.1.dist-info"), found without
    importing the package or importlib.metadata (both cost more than the whole hash)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return "-"
    site = Path(spec.origin).resolve().parents[1]
    try:
        names = os.listdir(site)
    except OSError:
        return "-"
    found = sorted(n for n in names if n.lower().startswith(f"{package.lower()}-") and n.endswith((".dist-info", ".egg-info")))
    return " ".join(found) or str(site)


def cache_file(cache_dir: Path, key: str) -> Path:
    return Path(cache_dir) / f"{PREFIX}{key[:40]}{SUFFIX}"


class CacheError(Exception):
    """The cache file is missing, unreadable, incomplete or for other content."""


class _Store:
    """Read-only access to one cache file (one connection, lookups memoised)."""

    def __init__(self, path: Path, key: str):
        self.path = path
        self._lock = threading.Lock()
        # one connection, opened now and shared by the threads under a lock: a newer content
        # version's writer may remove this file later, and the open connection still reads it
        self._conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                     check_same_thread=False)
        self.term = lru_cache(maxsize=4096)(self._term)
        self.freq = lru_cache(maxsize=65536)(self._freq)
        self.reading = lru_cache(maxsize=8192)(self._reading)
        self.article = lru_cache(maxsize=1024)(self._article)
        try:
            with self._lock:
                meta = dict(self._conn.execute("SELECT name, value FROM meta"))
        except Exception:
            self._conn.close()
            raise
        if meta.get("complete") != b"1" or meta.get("format") != str(FORMAT).encode() or meta.get("key") != key.encode():
            self._conn.close()
            raise CacheError(f"{path}: not a complete index for this content")
        self.meta = meta

    def _one(self, sql: str, args: tuple):
        with self._lock:
            return self._conn.execute(sql, args).fetchone()

    def _freq(self, word: str) -> int | None:
        row = self._one("SELECT n FROM freq WHERE word = ?", (word,))
        return None if row is None else row[0]

    def _reading(self, ch: str) -> str:
        row = self._one("SELECT py FROM reading WHERE ch = ?", (ch,))
        return ch if row is None else row[0]  # what pypinyin gives for a character it does not know

    def _term(self, space: str, term: str) -> tuple[float, array, list[tuple[int, float]]] | None:
        row = self._one("SELECT idf, docs, weights FROM term WHERE space = ? AND term = ?", (space, term))
        if row is None:
            return None
        docs, weights = array("i"), array("d")
        docs.frombytes(row[1])
        weights.frombytes(row[2])
        return row[0], docs, list(zip(docs, weights, strict=True))

    def _article(self, i: int) -> tuple[str, str, str]:
        row = self._one("SELECT ref, name, summary FROM article WHERE id = ?", (i,))
        if row is None:
            raise CacheError(f"{self.path}: no article {i}")
        return row

    def body(self, i: int) -> str:
        row = self._one("SELECT body FROM article WHERE id = ?", (i,))
        return row[0] if row else ""


class StoredFieldIndex:
    """The articles' index in one token space, read from the cache file term by term."""

    def __init__(self, store: _Store, space: str, size: int, max_idf: float):
        self.store, self.space, self.size, self.max_idf = store, space, size, max_idf

    def idf_of(self, term: str) -> float | None:
        found = self.store.term(self.space, term)
        return None if found is None else found[0]

    def postings_of(self, term: str) -> Iterable[tuple[int, float]]:
        found = self.store.term(self.space, term)
        return () if found is None else found[2]

    def has(self, doc: int, term: str) -> bool:
        found = self.store.term(self.space, term)
        if found is None:
            return False
        docs = found[1]
        at = bisect.bisect_left(docs, doc)
        return at < len(docs) and docs[at] == doc

    def terms_of(self, doc: int) -> _DocTerms:
        return _DocTerms(self, doc)

    def scores(self, terms: list[str], min_idf: float = 0.0) -> dict[int, float]:
        return scores(self, terms, min_idf)

    def matched(self, terms: list[str], doc: int) -> float:
        return matched(self, terms, doc)


class _DocTerms:
    """`term in terms_of(doc)` for a stored index."""

    __slots__ = ("doc", "index")

    def __init__(self, index: StoredFieldIndex, doc: int):
        self.index, self.doc = index, doc

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.index.has(self.doc, term)


class StoredIndex(SearchIndex):
    """A SearchIndex read from a cache file."""

    def __init__(self, path: Path, key: str):
        self.store = store = _Store(path, key)
        try:
            state = pickle.loads(store.meta["state"])
            self.topics = [Hit(*row) for row in state["topics"]]
            topic_space = _Space.__new__(_Space)
            topic_space.__dict__.update(state["topic_space"])
            topic_space.indexes = {space: StoredFieldIndex(store, f"topic:{space}", *sizes)
                                   for space, sizes in state["topic_indexes"]}
            self.topic_space = topic_space
            self.topic_cites = state["topic_cites"]
            self.pays_out = state["pays_out"]
            self.article_count = state["article_count"]
            law = state["law"]
            indexes = {space: StoredFieldIndex(store, space, *law[space]) for space in ("words", "grams")}
            self._stored_law_space = _Space.of_indexes(indexes, law["min_idf"])
            self._law_space = self._stored_law_space
            segmenter = tx.Segmenter(store.freq, state["total"])
        except CacheError:
            raise
        except Exception as exc:  # a damaged pickle: the file is not usable
            raise CacheError(f"{path}: {exc!r}") from exc
        self.analyzer = tx.Analyzer(segmenter, store.reading)

    def law_space(self) -> _Space:
        return self._stored_law_space

    def article_hit(self, i: int, score: float) -> Hit:
        ref, name, summary = self.store.article(i)
        return Hit("law", ref, name, score, summary)

    def article_body(self, i: int) -> str:
        return self.store.body(i)


def write_index(index: SearchIndex, path: Path, key: str) -> None:
    """Write a built index to path atomically (a temporary file in the same folder, renamed)."""
    law = index.law_space()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.executescript("""
                CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
                CREATE TABLE freq (word TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE reading (ch TEXT PRIMARY KEY, py TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE term (space TEXT, term TEXT, idf REAL NOT NULL, docs BLOB NOT NULL,
                                   weights BLOB NOT NULL, PRIMARY KEY (space, term)) WITHOUT ROWID;
                CREATE TABLE article (id INTEGER PRIMARY KEY, ref TEXT, name TEXT, summary TEXT, body TEXT);
            """)
            conn.executemany("INSERT INTO freq VALUES (?, ?)", sorted(index.freq_table.items()))
            conn.executemany("INSERT INTO reading VALUES (?, ?)", tx.PinyinReadings.table().items())
            sizes = {}
            spaces = [(space, space, idx) for space, idx in law.indexes.items()]
            spaces += [(f"topic:{space}", space, idx) for space, idx in index.topic_space.indexes.items()]
            for stored_as, _space, field_index in spaces:
                if not isinstance(field_index, FieldIndex):
                    raise CacheError("only an index built in memory can be written")
                sizes[stored_as] = (field_index.size, field_index.max_idf)
                conn.executemany("INSERT INTO term VALUES (?, ?, ?, ?, ?)", (
                    (stored_as, term, field_index.idf[term], array("i", [d for d, _ in posts]).tobytes(),
                     array("d", [w for _, w in posts]).tobytes())
                    for term, posts in field_index.postings.items()))
            conn.executemany("INSERT INTO article VALUES (?, ?, ?, ?, ?)", (
                (i, hit.ref, hit.name, hit.summary, index.article_body(i)) for i, hit in
                ((i, index.article_hit(i, 0.0)) for i in range(index.article_count))))
            state = {
                "topics": [(h.kind, h.ref, h.name, h.score, h.summary) for h in index.topics],
                # the guides' and cases' space without its indexes (stored per term like the articles')
                "topic_space": {k: v for k, v in vars(index.topic_space).items() if k != "indexes"},
                "topic_indexes": [(space, sizes[f"topic:{space}"]) for space in index.topic_space.indexes],
                "topic_cites": index.topic_cites, "pays_out": index.pays_out,
                "article_count": index.article_count, "total": index.analyzer.segmenter.total,
                "law": {"min_idf": law.min_idf, **{s: sizes[s] for s in law.indexes}},
            }
            conn.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("format", str(FORMAT).encode()), ("key", key.encode()),
                ("state", pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)), ("built_at", str(time.time()).encode()),
            ])
            conn.commit()
            conn.execute("INSERT INTO meta VALUES ('complete', ?)", (b"1",))  # last: the file is whole
            conn.commit()
        finally:
            conn.close()
        os.chmod(tmp, 0o600)  # whatever the umask: a file others may write would not be read
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _prune(cache_dir: Path, keep: Path) -> None:
    """Remove older cache files (other content versions), keeping the newest few."""
    try:
        files = sorted(cache_dir.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in [f for f in files if f != keep][KEEP - 1:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


class _BuildLock:
    """An advisory lock on <cache dir>/search.lock while an index is built (POSIX flock; the
    lock goes with the process if it dies). Where flock is missing, builds may overlap: each
    writes its own temporary file and the renames are atomic, so readers are still safe."""

    def __init__(self, cache_dir: Path):
        self.path = cache_dir / "search.lock"
        self.handle = None

    def __enter__(self):
        try:
            import fcntl

            self.handle = open(self.path, "a+b")
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX)
        except (ImportError, OSError):
            if self.handle:
                self.handle.close()
            self.handle = None
        return self

    def __exit__(self, *exc):
        if self.handle:
            self.handle.close()  # releases the lock


def open_cached(cache_dir: Path, key: str) -> StoredIndex | None:
    """The cached index for this key, or None when there is none or it is not usable."""
    path = cache_file(cache_dir, key)
    try:
        if not path.is_file():
            return None
        if not trusted(path):
            log.warning("search index cache %s is writable by others or not ours; not read", path)
            return None
        return StoredIndex(path, key)
    except (CacheError, sqlite3.Error, OSError) as exc:
        log.warning("search index cache %s is not usable (%s); rebuilding it", path, exc)
        return None


def _in_memory(build: Callable[[], SearchIndex], root: Path, key: str | None,
               apart: bool) -> tuple[SearchIndex, str]:
    """An index kept by this process alone ("memory"). With apart, a child process builds it into
    a private temporary folder and this process opens the file, which is removed at once (the open
    connection goes on reading it, as after a prune): nothing is kept on disk, and the build does
    not run on this process's threads."""
    if apart:
        import tempfile

        from bot.search.builder import build_apart

        key = key or content_key(root)
        with tempfile.TemporaryDirectory(prefix="lawbot-index-", ignore_cleanup_errors=True) as folder:
            found = open_cached(Path(folder), key) if build_apart(Path(root), Path(folder), key) else None
        if found is not None:
            return found, "memory"
    index = build()
    index.law_space()
    return index, "memory"


def load_or_build(root: Path, cache_dir: Path | None, build: Callable[[], SearchIndex],
                  key: str | None = None, *, apart: bool = False) -> tuple[SearchIndex, str]:
    """The index for the content under root: read from cache_dir when it holds this content's
    index ("hit"), else built with build() and stored there ("built"); when cache_dir is None
    or cannot be written, or others may write it, the built index is used from memory
    ("memory"). With apart, a missing index is built by a child process (bot.search.builder;
    build() only if that fails), for memory into a temporary folder removed once it is open."""
    if cache_dir is None:
        return _in_memory(build, root, key, apart)
    cache_dir = Path(cache_dir)
    key = key or content_key(root)
    found = open_cached(cache_dir, key)
    if found is not None:
        return found, "hit"
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        mine = private(cache_dir)
    except OSError as exc:
        log.warning("search index cache folder %s cannot be created (%s); index kept in memory", cache_dir, exc)
        return _in_memory(build, root, key, apart)
    if not mine:
        log.warning("search index cache folder %s is writable by others or not ours; index kept in memory",
                    cache_dir)
        return _in_memory(build, root, key, apart)
    if apart:
        from bot.search.builder import build_apart

        if build_apart(Path(root), cache_dir, key):
            found = open_cached(cache_dir, key)
            if found is not None:
                return found, "built"
    with _BuildLock(cache_dir):
        found = open_cached(cache_dir, key)  # another process may have built it meanwhile
        if found is not None:
            return found, "hit"
        index = build()
        path = cache_file(cache_dir, key)
        try:
            write_index(index, path, key)
        except (OSError, sqlite3.Error) as exc:
            log.warning("search index cache %s cannot be written (%s); index kept in memory", path, exc)
            return index, "memory"
    _prune(cache_dir, path)
    stored = open_cached(cache_dir, key)
    return (stored, "built") if stored is not None else (index, "memory")


def cached_lookup(catalog, cache_dir: Path | None, *, apart: bool = True) -> tuple[Lookup, str]:
    """A Lookup over the catalog's content for a bot (bot.search.lookup.prepare_lookup, on the
    thread start_preparing starts): its index read from cache_dir, or built into it by a child
    process (bot.search.builder): built on a thread of a serving process, it would hold the
    interpreter lock for seconds (its full garbage collections alone stopped the event loop for
    up to 9 s under load). apart=False builds it here."""
    index, how = load_or_build(catalog.root, cache_dir, lambda: SearchIndex.build(catalog), apart=apart)
    return Lookup(catalog, index=index), how


def cli_lookup(root: Path, cache_dir: Path | None, load_catalog: Callable[[], object]) -> tuple[Lookup, str]:
    """For the command line: on a cache hit, a Lookup over the lazily loaded law library alone
    (no catalog, no jieba, no pypinyin); otherwise the catalog is loaded and the index built."""
    from bot.catalog.laws import LawLibrary

    key = content_key(root) if cache_dir is not None else None
    if cache_dir is not None:
        found = open_cached(Path(cache_dir), key)  # type: ignore[arg-type]
        if found is not None:
            laws = LawLibrary.load(Path(root) / "content" / "laws", lazy=True)
            return Lookup(None, index=found, laws=laws), "hit"
    catalog = load_catalog()
    index, how = load_or_build(root, cache_dir, lambda: SearchIndex.build(catalog), key)  # type: ignore[arg-type]
    return Lookup(catalog, index=index), how  # type: ignore[arg-type]


