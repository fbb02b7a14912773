"""A progress bar on stderr for imports and exports that take more than a moment."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")
THRESHOLD = 2000  # rows; below this the work takes well under a second
BYTE_THRESHOLD = 1 << 20  # bytes of sheet XML (about 2,000 rows)


def progress(items: Iterable[T], total: int | None, desc: str, enabled: bool = True) -> Iterator[T]:
    if not enabled or total is None or total < THRESHOLD:
        return iter(items)
    return iter(tqdm(items, total=total, desc=desc, unit="row", file=sys.stderr, leave=False,
                     mininterval=0.5))


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def byte_progress(total: int, desc: str, enabled: bool = True) -> Any:
    """A bar over bytes read (a context manager with update(n)), for big files of unknown row count."""
    if not enabled or total < BYTE_THRESHOLD:
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, file=sys.stderr, leave=False, mininterval=0.5)
