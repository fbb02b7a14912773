"""The unit tree (city -> departments / counties -> sub-units): pure lookups for roles and stats."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unit:
    id: str
    name: str
    parent: str | None = None
    sort: int = 0


class UnitTree:
    def __init__(self, units: Iterable[Unit]):
        self.units: dict[str, Unit] = {u.id: u for u in units}
        self._children: dict[str | None, list[str]] = {}
        for u in sorted(self.units.values(), key=lambda u: (u.sort, u.id)):
            parent = u.parent if u.parent in self.units else None
            self._children.setdefault(parent, []).append(u.id)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self.units

    def name(self, unit_id: str) -> str:
        unit = self.units.get(unit_id)
        return unit.name if unit else unit_id

    def roots(self) -> list[str]:
        return list(self._children.get(None, []))

    def children(self, unit_id: str | None) -> list[str]:
        return list(self._children.get(unit_id, []))

    def ancestors(self, unit_id: str) -> list[str]:
        """From the unit itself up to its root (cycles are cut)."""
        chain, seen = [], set()
        current: str | None = unit_id
        while current is not None and current in self.units and current not in seen:
            chain.append(current)
            seen.add(current)
            current = self.units[current].parent
        return chain

    def subtree(self, unit_id: str | None) -> set[str]:
        """The unit and every unit below it; None means the whole tree."""
        start = self.roots() if unit_id is None else [unit_id]
        found: set[str] = set()
        stack = [u for u in start if u in self.units]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(self._children.get(current, []))
        return found

    def within(self, unit_id: str, scope: str | None) -> bool:
        """Is unit_id at or below scope (None = everything)?"""
        return scope is None or scope in self.ancestors(unit_id)

    def bucket_of(self, children: list[str]) -> dict[str, str]:
        """Map every unit below each child to that child (for a drill-down table)."""
        owner: dict[str, str] = {}
        for child in children:
            for unit in self.subtree(child):
                owner[unit] = child
        return owner

    def depth_first(self) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []

        def walk(unit_id: str, depth: int) -> None:
            out.append((depth, unit_id))
            for child in self._children.get(unit_id, []):
                walk(child, depth + 1)

        for root in self.roots():
            walk(root, 0)
        return out


def cycle_in(parents: dict[str, str | None]) -> str | None:
    """A unit that is its own ancestor, if any (imports check this)."""
    for start in parents:
        seen = set()
        current: str | None = start
        while current is not None:
            if current in seen:
                return start
            seen.add(current)
            current = parents.get(current)
    return None


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One expected participant: the denominator of every rate."""

    staff_no: str
    name: str
    unit_id: str
    role: str = ""
    phone_tail: str = ""
    id: int = 0
    active: bool = True
