"""Registration (绑定): a civil servant binds their chat account to one roster entry, with staff
number + name or a one-time code from their unit admin. One chat account per roster entry per
platform; rebinding only by an admin. Residents use the bot without registering."""

from __future__ import annotations

import logging
import unicodedata

from bot.app.context import Turn, main_menu
from bot.app.messages import Reply
from bot.deps import Deps
from bot.services.flags import record_bind
from bot.services.org import Org

log = logging.getLogger(__name__)
DAY = 86_400


def platform_of(user: str) -> str:
    return user.split(":", 1)[0]


class RegistrationFlow:
    def __init__(self, deps: Deps, org: Org):
        self.deps = deps
        self.store = deps.storage
        self.org = org

    async def command(self, turn: Turn, args: str) -> list[Reply]:
        entry = await self.org.entry(turn.user)
        if entry is not None:
            tree = await self.org.tree()
            return [Reply(turn.t("bind_already", name=entry.name, unit=tree.name(entry.unit_id)), main_menu(turn))]
        if not args:
            turn.clear_flow()
            turn.state["flow"] = "bind"
            key = "bind_prompt" if self.deps.config.registration.allow_staff_no else "bind_prompt_code"
            return [Reply(turn.t(key), [[turn.choice("btn_menu", "m")]])]
        return await self._try(turn, args)

    async def on_text(self, turn: Turn, text: str) -> list[Reply] | None:
        if turn.flow() != "bind":
            return None
        return await self._try(turn, text)

    async def _try(self, turn: Turn, text: str) -> list[Reply]:
        cfg = self.deps.config.registration
        day_start = turn.now - DAY
        if await self.store.activity.activity_count(turn.user, "bind_fail", day_start) >= cfg.max_failures_per_day:
            turn.clear_flow()
            return [Reply(turn.t("bind_too_many"), main_menu(turn))]
        # full-width letters and digits (ＳＬ０００１) as an input method types them; comma or space between
        parts = unicodedata.normalize("NFKC", text).replace(",", " ").split()
        roster_id = None
        if len(parts) == 1 and len(parts[0]) <= 16:
            roster_id = await self.store.roster.use_bind_code(parts[0].upper(), turn.user, turn.now)
        elif len(parts) == 2 and cfg.allow_staff_no:
            for staff_no, name in (parts, parts[::-1]):  # 工号 姓名, or 姓名 工号
                entry = await self.store.roster.roster_by_staff_no(staff_no[:40])
                if entry is None and staff_no != staff_no.upper():  # sl0001 for SL0001
                    entry = await self.store.roster.roster_by_staff_no(staff_no[:40].upper())
                if entry is not None and entry.name == name:
                    roster_id = entry.id
                    break
        if roster_id is None:
            await self.store.activity.log_activity(turn.user, "bind_fail", text[:40], turn.now)
            return [Reply(turn.t("bind_failed" if cfg.allow_staff_no else "bind_failed_code"),
                          [[turn.choice("btn_menu", "m")]])]
        entry = await self.store.roster.roster_entry(roster_id)
        if entry is None or not entry.active:
            return [Reply(turn.t("bind_failed"), main_menu(turn))]
        if not await self.store.roster.bind(roster_id, platform_of(turn.user), turn.user, turn.now):
            turn.clear_flow()
            return [Reply(turn.t("bind_taken"), main_menu(turn))]
        await record_bind(self.deps, roster_id, turn.user, turn.now)  # a re-bind in an exam window is flagged
        turn.clear_flow()
        tree = await self.org.tree()
        log.info("%s bound to roster entry %s", turn.user, roster_id)
        return [Reply(turn.t("bind_done", name=entry.name, unit=tree.name(entry.unit_id)), main_menu(turn))]
