"""The one place that wires everything. Nothing connects at import time; tests call build()
with fakes (a manual clock, a seeded random, an in-memory database)."""

from __future__ import annotations

import dataclasses
import gc
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from bot.app.service import ChatService
from bot.catalog.catalog import Catalog
from bot.catalog.check import check_content
from bot.clock import Clock, SystemClock
from bot.config import Config, ConfigError
from bot.database_file import check_before_open
from bot.deps import Deps
from bot.storage.ports import Store
from bot.storage.sql.store import open_store

log = logging.getLogger(__name__)


class ContentError(ConfigError):
    """Shipped content is invalid: the bot refuses to start."""


@dataclass
class App:
    config: Config
    catalog: Catalog
    storage: Store
    service: ChatService
    clock: Clock

    async def close(self) -> None:
        from bot.reports import offloop

        await offloop.release(self.storage)  # the report loop's read connection, if one was opened
        await self.storage.close()


_CATALOGS: dict[Path, Catalog] = {}


def load_checked_catalog(root: Path) -> Catalog:
    """Load and check content once per process; invalid content raises ContentError. A checked
    catalog is kept on disk per content version (bot.catalog.cache, in LAWBOT_CACHE_DIR or the
    user's cache folder) and read from there by the next process on the same content."""
    from bot.catalog import cache

    root = root.resolve()
    if root not in _CATALOGS:
        cache_dir = cache.default_dir()
        key = cache.catalog_key(root) if cache_dir is not None else ""
        found = cache.load(cache_dir, key) if cache_dir is not None else None
        if found is None:
            catalog, problems = check_content(root)
            if problems:
                shown = "\n".join(str(p) for p in problems[:50])
                more = f"\n… and {len(problems) - 50} more" if len(problems) > 50 else ""
                raise ContentError(f"invalid content under {root}:\n{shown}{more}")
            if cache_dir is not None:
                cache.store(cache_dir, key, catalog)
            found = catalog
        _CATALOGS[root] = found
    return _CATALOGS[root]


def settle_heap() -> None:
    """Call once after start-up in long-running processes: move the loaded catalog and modules
    into the permanent generation so full garbage collections stop rescanning them (they froze
    the event loop for 100-200 ms under load)."""
    gc.collect()
    gc.freeze()


def own_catalog(shared: Catalog) -> Catalog:
    """An app's own view of the process's loaded catalog: the texts are shared, but the exam and
    question maps an app changes (console exams, bank edits and versions, retirements) are its own,
    so two apps in one process (tests, benchmarks) never see each other's database."""
    return dataclasses.replace(shared, exams=dict(shared.exams), questions=dict(shared.questions))


async def build(config: Config, *, clock: Clock | None = None, rng: random.Random | None = None,
                database: Path | str | None = None, catalog: Catalog | None = None) -> App:
    target = database or config.database_target
    if "://" not in str(target):  # first: a damaged file or an unusable folder is one line at once
        check_before_open(target)
    catalog = catalog or own_catalog(load_checked_catalog(config.content_root))
    storage = await open_store(target, config.storage.synchronous)
    catalog.set_retired(await storage.retired_questions.retired_ids())  # retired in the console; kept at restart
    clock = clock or SystemClock()
    deps = Deps(storage=storage, catalog=catalog, clock=clock, config=config, rng=rng or random.Random())
    return App(config=config, catalog=catalog, storage=storage, service=ChatService(deps), clock=clock)
