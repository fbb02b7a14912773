"""Helpers for the lookup tests: the ranked hits of a lookup result as comparable keys."""

from __future__ import annotations


def hit_keys(result) -> list[str]:
    """`kind:ref` of each hit, best first (e.g. `guide:gongshang-rending`, `article:劳动法:36`)."""
    return [f"{h.kind}:{h.ref}" for h in result.hits]
