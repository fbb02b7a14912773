"""A progress bar on stderr for imports and exports that take more than a moment."""

from __future__ import annotations

import sys
from typing import Iterable, Iterator, TypeVar

from tqdm import tqdm

T = TypeVar("T")
THRESHOLD = 2000  # rows; below this the work takes well under a second


def progress(items: Iterable[T], total: int | None, desc: str, enabled: bool = True) -> Iterator[T]:
    if not enabled or total is None or total < THRESHOLD:
        return iter(items)
    return iter(tqdm(items, total=total, desc=desc, unit="row", file=sys.stderr, leave=False,
                     mininterval=0.5))
