"""/help: the commands this user may use, one line each (admin commands by role)."""

from __future__ import annotations

from bot.app.context import Turn
from bot.config import Config
from bot.services.audience import AdminDirectory
from bot.services.org import Org

UNIT_ADMIN = ("stats", "export", "code", "unbind", "bank", "web")
SUPER_ADMIN = ("upload", "admin", "exam_open", "exam_close", "makeup_open", "cert")


async def help_text(turn: Turn, org: Org, broadcasters: AdminDirectory, config: Config) -> str:
    role = await org.role(turn.user)
    lines: list[str] = []
    if role is not None:
        lines += [turn.t(f"help_{name}") for name in UNIT_ADMIN]
        if role.is_super:
            lines += [turn.t(f"help_{name}") for name in SUPER_ADMIN]
    if turn.user in config.admin.super_admins:
        lines.append(turn.t("help_gaps"))
    if await broadcasters.role_of(turn.user) is not None:
        lines.append(turn.t("help_broadcast"))
    parts = [turn.t("help")]
    if lines:
        if role is None:
            scope = turn.t("admin_scope_all")
        else:
            scope = (turn.t("admin_scope_all") if role.is_super or role.unit is None
                     else (await org.tree()).name(role.unit))
        parts.append("\n".join([turn.t("help_admin_head", scope=scope), *lines]))
    parts.append(turn.t("help_tips"))
    return "\n\n".join(parts)
