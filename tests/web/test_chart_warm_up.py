"""The chart library's warm-up at start-up (bot/web/app.py _warm_charts) never holds up shutdown:
Ctrl-C while matplotlib is still being imported ends `lawbot run` at once. A loader that waits
on an event stands in for the slow import."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web

from bot.web import app as console_app


def test_shutdown_does_not_wait_for_a_slow_chart_warm_up(monkeypatch):
    started, release, closed = threading.Event(), threading.Event(), threading.Event()
    loaders: list[threading.Thread] = []

    def slow_load() -> None:
        loaders.append(threading.current_thread())
        started.set()
        release.wait(60)  # matplotlib still importing

    monkeypatch.setattr(console_app, "_load_charts", slow_load)

    async def start_then_stop() -> None:
        await console_app._warm_charts(web.Application())  # the on_startup hook
        while not started.is_set():
            await asyncio.sleep(0.01)

    def main() -> None:  # what `lawbot run` does on Ctrl-C: the serve coroutine returns, the loop closes
        asyncio.run(start_then_stop())
        closed.set()

    try:
        threading.Thread(target=main, daemon=True).start()
        assert closed.wait(30), "the loop's shutdown waited for the chart warm-up"
        (loader,) = loaders
        assert loader.is_alive()  # still loading, and the loop has closed
        assert loader.daemon  # nor does the interpreter's exit wait for it
    finally:
        release.set()


def test_a_failed_warm_up_is_logged(monkeypatch, caplog):
    def broken() -> None:
        raise ImportError("no matplotlib")

    monkeypatch.setattr(console_app, "_load_charts", broken)
    asyncio.run(console_app._warm_charts(web.Application()))
    for thread in threading.enumerate():
        if thread.name == "chart-warm-up":
            thread.join(10)
    assert "loading the charts failed: no matplotlib" in caplog.text
