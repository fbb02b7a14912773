"""Chat-transcript helpers: drive the core through the console channel like a user would."""

from __future__ import annotations

import random
from pathlib import Path

from bot.app.messages import Incoming, Reply
from bot.bootstrap import App, build, load_checked_catalog, own_catalog
from bot.channels.console.adapter import ConsoleChannel
from bot.clock import ManualClock
from bot.config import Config, load_config
from tests.support.templates import migrated_sqlite

REPO = Path(__file__).resolve().parents[2]


def config_for(tmp_path: Path, **overrides) -> Config:
    return load_config(None, data_dir=str(tmp_path), content_root=str(REPO), **overrides)


async def make_app(tmp_path: Path, clock: ManualClock | None = None, seed: int = 7, **overrides) -> App:
    config = config_for(tmp_path, **overrides)
    return await build(config, clock=clock or ManualClock(), rng=random.Random(seed),
                       database=migrated_sqlite(tmp_path / "test.sqlite3"), catalog=own_catalog(load_checked_catalog(REPO)))


class Chat:
    """One console user. `say` types a line (numbers press the numbered choices); `press`
    presses the choice whose label contains the given text; `act` sends raw button data."""

    def __init__(self, app: App, user: str = "tester"):
        self.app = app
        self.lines: list[str] = []
        self.channel = ConsoleChannel(app.service, user=user, out=self.lines.append)
        self.last: list[Reply] = []

    @property
    def user(self) -> str:
        return self.channel.user

    async def say(self, text: str) -> str:
        self.last = await self.channel.send_line(text)
        return self.text

    async def press(self, label_part: str) -> str:
        # the choices on screen: the last reply that had any (as in the console)
        for choice in self.channel.choices:
            if label_part in choice.label:
                return await self.act(choice.action)
        raise AssertionError(f"no choice containing {label_part!r} in: {[c.label for c in self.channel.choices]}")

    async def act(self, action: str, update_id: str | None = None) -> str:
        self.last = await self.app.service.handle(Incoming(user=self.user, action=action, update_id=update_id))
        self.channel.show(self.last)
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    def labels(self) -> list[str]:
        return [c.label for c in self.channel.choices]

    def actions(self) -> list[str]:
        return [c.action for c in self.channel.choices]
