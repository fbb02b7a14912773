"""/broadcast (广播) for admins: write, preview, confirm -> one campaign whose outbox rows are
written in the same transaction as the confirmation; progress on request; cancel.

Super admins reach every reachable user, unit admins their unit's members (the AdminDirectory
decides: the organisation's roles in the bot, the config's `admin.super_admins` by default)."""

from __future__ import annotations

import difflib
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app.context import Turn, idle_menu, main_menu
from bot.app.messages import Choice, Reply
from bot.deps import Deps
from bot.services import notices
from bot.services.audience import AdminDirectory, ConfigAdmins
from bot.services.notices import MAX_BROADCAST, channel_of, scheduler_zone  # noqa: F401  (imported from here by others)
from bot.services.org import AdminRole

SUB_COMMANDS = {"status": "status", "progress": "status", "进度": "status", "cancel": "cancel", "stop": "cancel",
                "停止": "cancel", "send": "send", "发送": "send"}


def sub_command(word: str) -> str | None:
    """The sub-command a first word names: a known word, or an ASCII word within one or two typos
    of one ("stauts"); None for the first word of a message to send."""
    word = word.lower()
    if word in SUB_COMMANDS:
        return SUB_COMMANDS[word]
    if word.isascii() and word.isalpha():
        close = difflib.get_close_matches(word, [w for w in SUB_COMMANDS if w.isascii()], n=1, cutoff=0.75)
        if close:
            return "unknown"
    return None


class BroadcastFlow:
    def __init__(self, deps: Deps, admins: AdminDirectory | None = None):
        self.deps = deps
        self.store = deps.storage
        self.admins: AdminDirectory = admins or ConfigAdmins(deps.storage, deps.config.admin.super_admins)

    async def command(self, turn: Turn, args: str) -> list[Reply]:
        role = await self.admins.role_of(turn.user)
        if role is None:
            return [Reply(turn.t("bc_not_allowed"), idle_menu(turn))]
        if not args:
            return await self._overview(turn)
        head, rest = (args.split(None, 1) + [""])[:2]
        verb = sub_command(head)
        if verb == "send" and rest.strip():
            return await self._preview(turn, rest.strip(), role)
        if verb == "status" and not rest:
            return await self._overview(turn)
        if verb in ("status", "cancel") and rest.strip().isdigit():
            campaign_id = int(rest.strip())
            return await (self._progress(turn, campaign_id) if verb == "status" else self._cancel(turn, campaign_id))
        if verb is not None:  # a sub-command word (or a near miss of one) with arguments it does not take
            return await self._overview(turn)
        return await self._preview(turn, args, role)

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        role = await self.admins.role_of(turn.user)
        if role is None:
            return [Reply(turn.t("bc_not_allowed"), idle_menu(turn))]
        verb = parts[1] if len(parts) > 1 else ""
        if verb == "ok" and len(parts) == 3:
            return await self._confirm(turn, parts[2], role)
        if verb == "no" and len(parts) == 2:
            turn.clear_flow()
            return [Reply(turn.t("bc_discarded"), main_menu(turn))]
        if verb in ("p", "c") and len(parts) == 3 and parts[2].isdigit():
            if verb == "p":
                return await self._progress(turn, int(parts[2]))
            return await self._cancel(turn, int(parts[2]))
        return None

    # --- steps: each one a use case of bot.services.notices -------------------------------
    async def _preview(self, turn: Turn, text: str, role: AdminRole) -> list[Reply]:
        try:
            preview = await notices.preview(self.deps, self.admins, notices.Sender(turn.user, role), text)
        except notices.NoticeError as exc:
            return [Reply(turn.t(exc.key, **exc.values), main_menu(turn) if exc.key == "bc_empty_audience" else [])]
        turn.clear_flow()
        serial = int(turn.state.get("serial", 0)) + 1
        turn.state.update(flow="broadcast", serial=serial, bc_text=preview.text)
        who = turn.t("bc_audience_all") if role.is_super else turn.t("bc_audience_unit", unit=role.unit)
        return [Reply(turn.t("bc_preview", audience=who, n=preview.total, chars=len(preview.text), text=preview.text),
                      [[turn.choice("btn_bc_send", f"b:ok:{serial}"), turn.choice("btn_bc_discard", "b:no")]])]

    async def _confirm(self, turn: Turn, serial: str, role: AdminRole) -> list[Reply]:
        text = turn.state.get("bc_text")
        if turn.flow() != "broadcast" or not text or str(turn.state.get("serial")) != serial:
            return [Reply(turn.t("stale"), main_menu(turn))]
        key = f"bc:{turn.user}:{serial}:{int(turn.now)}"
        try:  # the same transaction as this turn: the decision and its messages commit together
            done = await notices.schedule(self.deps, self.admins, notices.Sender(turn.user, role), text, turn.now,
                                          key=key)
        except notices.NoticeError as exc:
            return [Reply(turn.t(exc.key, **exc.values), main_menu(turn))]
        turn.clear_flow()
        note = ""
        if done.quiet_moved:
            zone = ZoneInfo(scheduler_zone(self.deps.config))
            note = turn.t("bc_quiet_note", time=datetime.fromtimestamp(done.not_before, zone).strftime("%H:%M"))
        text_out = turn.t("bc_queued", n=done.queued, id=done.campaign_id) + (("\n" + note) if note else "")
        return [Reply(text_out, self._campaign_buttons(turn, done.campaign_id))]

    async def _sender(self, turn: Turn) -> notices.Sender | None:
        role = await self.admins.role_of(turn.user)
        return None if role is None else notices.Sender(turn.user, role)

    async def _progress(self, turn: Turn, campaign_id: int) -> list[Reply]:
        sender = await self._sender(turn)
        try:
            if sender is None:
                raise notices.NoticeError("bc_unknown", id=campaign_id)
            p = await notices.progress(self.deps, sender, campaign_id)
        except notices.NoticeError:
            return [Reply(turn.t("bc_unknown", id=campaign_id))]
        text = turn.t("bc_progress", id=campaign_id, sent=p.sent, pending=p.pending, failed=p.failed,
                      cancelled=p.cancelled, total=p.campaign.total)
        return [Reply(text, self._campaign_buttons(turn, campaign_id), edit=turn.from_button)]

    async def _cancel(self, turn: Turn, campaign_id: int) -> list[Reply]:
        sender = await self._sender(turn)
        try:
            if sender is None:
                raise notices.NoticeError("bc_unknown", id=campaign_id)
            stopped = await notices.cancel(self.deps, sender, campaign_id, turn.now)
        except notices.NoticeError:
            return [Reply(turn.t("bc_unknown", id=campaign_id))]
        return [Reply(turn.t("bc_cancelled", id=campaign_id, n=stopped), main_menu(turn))]

    async def _overview(self, turn: Turn) -> list[Reply]:
        sender = await self._sender(turn)
        lines = [turn.t("bc_usage")]
        for p in await notices.recent(self.deps, sender, 5) if sender else []:
            lines.append(turn.t("bc_progress", id=p.campaign.id, sent=p.sent, pending=p.pending, failed=p.failed,
                                cancelled=p.cancelled, total=p.campaign.total))
        return [Reply("\n\n".join(lines), main_menu(turn))]

    def _campaign_buttons(self, turn: Turn, campaign_id: int) -> list[list[Choice]]:
        return [[turn.choice("btn_bc_progress", f"b:p:{campaign_id}"), turn.choice("btn_bc_stop", f"b:c:{campaign_id}")],
                [turn.choice("btn_menu", "m")]]
