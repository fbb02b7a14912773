"""The audit log (操作日志): every write an admin makes, recorded in the same transaction as the
write (who, what, which target, the unit it concerns, before/after as JSON, when), and read back
page by page within the reader's scope: a super admin sees every entry, a unit admin the entries
of their unit and the units below it.

    async with deps.storage.atomic():
        ...  # the write
        await record(deps, actor, "roster.move", f"person:{staff_no}", unit=new_unit,
                     before={"unit": old_unit}, after={"unit": new_unit})
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.app.context import Deps
from bot.services.rights import Actor, Forbidden
from bot.storage.ports import AuditEntry

MAX_TEXT = 500  # action and target are short labels, not documents
MAX_JSON = 20_000  # before/after beyond this are cut (a marker says so)
_DEFAULT_UNIT = object()


def _json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    if len(text) > MAX_JSON:
        text = json.dumps({"truncated": True, "head": text[:MAX_JSON]}, ensure_ascii=False)
    return text


async def record(deps: Deps, actor: Actor | str, action: str, target: str, *,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                 unit: str | object | None = _DEFAULT_UNIT) -> int:
    """Append one entry and return its id. Call it inside the write's `deps.storage.atomic()`
    block so the entry and the write commit (or roll back) together. `action` is a dotted name
    ("exam.create", "roster.move", "web.login"); `target` names what changed ("exam:2026-q1");
    `unit` is the unit the change concerns (it decides which unit admins see the entry; default:
    the actor's own unit, None for a super admin = visible to super admins only)."""
    if isinstance(actor, Actor):
        user = actor.user
        own_unit = actor.role.unit
    else:
        user, own_unit = str(actor), None
    concerned = own_unit if unit is _DEFAULT_UNIT else unit
    assert concerned is None or isinstance(concerned, str)
    return await deps.storage.audit.add_audit(at=deps.clock.now(), actor=user[:MAX_TEXT], action=action[:MAX_TEXT],
                                              target=str(target)[:MAX_TEXT], unit_id=concerned,
                                              before=_json(before), after=_json(after))


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    unit: str | None  # the unit filter applied (None: the actor's whole scope)


async def entries(deps: Deps, actor: Actor, *, offset: int = 0, limit: int = 50, unit: str | None = None,
                  action: str | None = None, newest_first: bool = True) -> AuditPage:
    """A page of the entries the actor may read, newest first. `unit` narrows to that unit's
    subtree; a unit outside the actor's scope raises Forbidden (the console answers 403)."""
    if unit is not None:
        actor.require_unit(unit)
        if unit not in actor.tree.units:
            raise Forbidden("admin_unknown_unit", unit=unit)
        units: list[str] | None = sorted(actor.tree.subtree(unit))
    elif actor.is_super:
        units = None
    else:
        units = sorted(actor.scope())
    rows, total = await deps.storage.audit.audit_entries(units=units, offset=max(0, offset), limit=max(1, limit),
                                                          action=action or None, newest_first=newest_first)
    return AuditPage(rows, total, unit)
