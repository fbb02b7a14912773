"""A job for the report process that only waits (tests/reports/test_report_process_exit.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any


async def nap(_deps: Any, seconds: float, marker: str | None = None) -> int:
    """Write `marker` (the job has started), sleep `seconds`, return the report process's id."""
    import os

    if marker:
        Path(marker).write_text("napping", encoding="utf-8")
    await asyncio.sleep(seconds)
    return os.getpid()
