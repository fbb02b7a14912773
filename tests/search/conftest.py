"""The shipped catalog's lookup, shared by the lookup test modules (one per module, as before)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import load_checked_catalog
from bot.search.lookup import lookup_for

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lookup():
    return lookup_for(load_checked_catalog(REPO))
