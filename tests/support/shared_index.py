"""One search index per test process for the shipped content.

Every test app gets its own view of the catalog (bootstrap.own_catalog), so the lookup, which is
kept per catalog object, would build the search index again for each app whose test asks a
free-text question: about a second of CPU each. The index is made only from the catalog's laws,
guides and cases, and own_catalog shares those objects with the process's checked catalog; so
for a catalog holding exactly those objects the index built once is the same index.
`install()` makes SearchIndex.build return that one index for such catalogs (and build as before
for any other content: a test's own content root, a changed law library). A test that replaces
SearchIndex.build itself (monkeypatch) still sees its own replacement.

That one index is read from the run's cache folder (LAWBOT_CACHE_DIR, which tests/conftest.py
sets for the run and its pytest-xdist workers), as a serving bot reads it: the first process to
need it builds and stores it (bot.search.cache.load_or_build, under its build lock), every other
worker and later run opens the file instead of spending seconds of CPU indexing the content
again. Without the variable it is built in memory."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from bot.search.lookup import SearchIndex

_original = SearchIndex.__dict__["build"]  # the classmethod object
_lock = threading.Lock()
_shared: list[tuple[tuple[object, object, object], SearchIndex]] = []


def _shipped_content() -> tuple[object, object, object] | None:
    from bot import bootstrap
    from tests.support.transcript import REPO

    catalog = bootstrap._CATALOGS.get(REPO.resolve())
    return None if catalog is None else (catalog.laws, catalog.services, catalog.cases)


def _build(cls, catalog) -> SearchIndex:
    shipped = _shipped_content()
    content = (catalog.laws, catalog.services, catalog.cases)
    if shipped is None or any(a is not b for a, b in zip(content, shipped, strict=True)):
        return _original.__func__(cls, catalog)
    with _lock:
        for key, index in _shared:
            if all(a is b for a, b in zip(key, content, strict=True)):
                return index
        index = _stored(cls, catalog)
        _shared.append((content, index))
        return index


def _stored(cls, catalog) -> SearchIndex:
    from bot.search.cache import load_or_build

    def build() -> SearchIndex:
        return _original.__func__(cls, catalog)

    cache_dir = os.environ.get("LAWBOT_CACHE_DIR")
    if not cache_dir:
        return build()
    from tests.support.transcript import REPO

    # the shipped content's index, under the shipped content's key (a catalog copy may have another root)
    index, _how = load_or_build(REPO, Path(cache_dir), build)
    return index


def install() -> None:
    SearchIndex.build = classmethod(_build)  # type: ignore[method-assign,assignment]


def built() -> int:
    """How many shared indexes this process holds (0 or 1)."""
    return len(_shared)
