"""Who may do what: the acting admin (`Actor`) and the checks every use case makes before it
reads or writes. A super admin acts on every unit; a unit admin on their unit and the units
below it; anyone else is refused. Entry points turn `Forbidden` into a refusal (chat), a one-line
error (CLI) or 403 (web)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.deps import Deps
from bot.domain.units import UnitTree
from bot.services.org import AdminRole, Org


class Forbidden(Exception):
    """The actor may not do this; `key` names the text in bot/texts.py that says why."""

    def __init__(self, key: str = "admin_only", **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Actor:
    """An admin acting now, with the unit tree as it was read for this request."""
    role: AdminRole
    tree: UnitTree

    @property
    def user(self) -> str:
        return self.role.user

    @property
    def is_super(self) -> bool:
        return self.role.is_super

    def covers(self, unit: str | None) -> bool:
        return self.role.covers(self.tree, unit)

    def require_unit(self, unit: str | None) -> None:
        """Refuse a unit outside the actor's subtree (None = the whole organisation)."""
        if not self.covers(unit):
            raise Forbidden("admin_not_your_unit")

    def require_super(self) -> None:
        if not self.is_super:
            raise Forbidden("admin_super_only")

    def scope(self) -> set[str]:
        """The unit ids this actor may see."""
        return self.tree.subtree(self.role.unit)


async def actor_for(deps: Deps, user: str) -> Actor:
    """The actor for `user`, read from the config and the database on every call (no cache that
    could go stale across workers); raises Forbidden for a user who is not an admin."""
    org = Org(deps)
    role = await org.role(user)
    if role is None:
        raise Forbidden("admin_only")
    return Actor(role, await org.tree())
