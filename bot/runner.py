"""Long-running work beside the channels: the exam deadline sweeper and the outbox drain."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

log = logging.getLogger(__name__)
OUTBOX_BATCH = 50


class Sender(Protocol):
    async def send(self, user: str, payload: dict) -> bool:
        """Deliver one message; False when this sender cannot deliver to that user (left pending).
        Raise to record a failed try."""


async def drain_outbox(app, channel: str, sender: Sender) -> int:
    sent = 0
    now = app.clock.now()
    for message in await app.storage.due_messages(channel, now, OUTBOX_BATCH):
        try:
            delivered = await sender.send(message.user_key, message.payload)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row
            log.warning("outbox %s to %s failed: %s", message.id, message.user_key, exc)
            if message.tries >= 4:
                await app.storage.mark_failed(message.id, repr(exc))
            else:
                await app.storage.mark_retry(message.id, now + 2 ** message.tries * 5, repr(exc))
            continue
        if delivered:
            await app.storage.mark_sent(message.id, app.clock.now())
            sent += 1
    return sent


UPDATE_KEYS_KEPT_SECONDS = 7 * 24 * 3600  # platforms redeliver within hours; a week is ample


async def prune_update_keys(app) -> None:
    await app.storage.forget_updates_before(app.clock.now() - UPDATE_KEYS_KEPT_SECONDS)


async def sweep_exams(app) -> int:
    return await app.service.exam.sweep(app.clock.now(), app.service.locale_of)


async def _every(seconds: float, job, *args) -> None:
    while True:
        try:
            await job(*args)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failing round must not stop the loop
            log.exception("background job %s failed", getattr(job, "__name__", job))
        await asyncio.sleep(seconds)


def background_tasks(app, senders: dict[str, Sender]) -> list[asyncio.Task]:
    interval = app.config.exam.sweep_interval_seconds
    tasks = [asyncio.create_task(_every(interval, sweep_exams, app)),
             asyncio.create_task(_every(3600.0, prune_update_keys, app))]
    for name, sender in senders.items():
        tasks.append(asyncio.create_task(_every(1.0, drain_outbox, app, name, sender)))
    return tasks


async def run_service(config_path: str | None) -> int:
    from pathlib import Path

    from bot.config import load_config

    config = load_config(Path(config_path) if config_path else None)
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.channels.telegram.adapter import run_telegram

    return await run_telegram(config)
