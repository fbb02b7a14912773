"""What every use case and chat flow gets: the dependencies (Deps). Below bot.services, bot.app
and bot.reports (whose report process builds one), so none of them imports another for it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bot.catalog.catalog import Catalog
from bot.clock import Clock
from bot.config import Config
from bot.storage.ports import Store


@dataclass
class Deps:
    storage: Store
    catalog: Catalog
    clock: Clock
    config: Config
    rng: random.Random = field(default_factory=random.Random)
