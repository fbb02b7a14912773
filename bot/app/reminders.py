"""/remind (每日一练提醒): opt in or out, choose a time (and optionally a time zone); the daily
question's payload and its answer buttons (r:q:<qid>:<index>), which start a one-question
practice in the practice flow."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.app import views
from bot.app.context import Turn, main_menu
from bot.app.messages import Choice, Reply
from bot.deps import Deps
from bot.domain.models import QType, Question
from bot.domain.reminder_rules import fmt_hhmm, parse_hhmm
from bot.services.notices import config_minute, quiet_hours, scheduler_zone
from bot.storage.ports import ReminderPref
from bot.texts import tr

if TYPE_CHECKING:
    from bot.app.practice import PracticeFlow
    from bot.catalog.catalog import Catalog

PRESET_TIMES = (7 * 60 + 30, 8 * 60, 12 * 60, 18 * 60, 20 * 60, 21 * 60)
OFF_WORDS = {"off", "stop", "关", "关闭", "取消", "退订"}
ON_WORDS = {"on", "start", "开", "开启", "打开", "订阅"}


def daily_question_of(catalog: Catalog, date: str) -> Question:
    """The day's question (每日一练), the same for everyone on a date: one-tap types only."""
    pool = [q for q in catalog.question_list if q.type in (QType.SINGLE, QType.JUDGE)] or catalog.question_list
    key = sum(ord(c) * (i + 1) for i, c in enumerate(date))
    return pool[(key * 2_654_435_761) % len(pool)]


def daily_payload(question: Question, locale: str, date: str) -> dict[str, Any]:
    """What the outbox sends: the question and answer buttons the practice flow takes."""
    text = tr(locale, "daily_head", date=date) + "\n\n" + views.question_body(question, locale)
    rows = views.option_buttons(question, f"r:q:{question.id}:", frozenset(), None, locale)
    rows.append([Choice(tr(locale, "btn_remind_settings"), "r:s"), Choice(tr(locale, "btn_menu"), "m")])
    return {"text": text, "choices": [[[c.label, c.action] for c in row] for row in rows]}


class ReminderFlow:
    def __init__(self, deps: Deps, practice: PracticeFlow) -> None:
        self.deps = deps
        self.store = deps.storage
        self.practice = practice

    # --- /remind -----------------------------------------------------------------------
    async def command(self, turn: Turn, args: str) -> list[Reply]:
        words = args.split()
        if not words:
            return await self.status(turn)
        enabled, minute, zone = None, None, None
        for word in words:
            low = word.lower()
            if low in OFF_WORDS:
                enabled = False
            elif low in ON_WORDS:
                enabled = True
            elif parse_hhmm(word) is not None:
                minute = parse_hhmm(word)
            elif "/" in word and _zone_ok(word):
                zone = word
            else:  # the usage, then the settings as they are, with the buttons that fit them
                current = (await self.status(turn))[0]
                return [Reply(turn.t("remind_bad_args") + "\n\n" + current.text, current.choices)]
        return await self._change(turn, enabled, minute, zone)

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        verb = parts[1] if len(parts) > 1 else ""
        if verb == "s" and len(parts) == 2:
            return await self.status(turn)
        if verb in ("on", "off") and len(parts) == 2:
            return await self._change(turn, verb == "on", None, None)
        if verb == "t" and len(parts) == 3 and parts[2].isdigit() and int(parts[2]) < 24 * 60:
            return await self._change(turn, True, int(parts[2]), None)
        if verb == "q" and len(parts) == 4 and parts[3].isdigit():
            return await self._answer_daily(turn, parts[2], int(parts[3]))
        return None

    async def on_text(self, turn: Turn, text: str) -> list[Reply] | None:
        """A typed answer (A, 对…) to the daily question while it is what the user has on screen:
        delivered after the last reply with choices. Text-only channels have no buttons."""
        pref = await self.store.reminders.get_reminder(turn.user)
        if pref is None or not pref.last_daily:
            return None
        question = daily_question_of(self.deps.catalog, pref.last_daily)
        chosen = views.parse_typed_answer(question, text)
        if not isinstance(chosen, frozenset) or len(chosen) != 1 or question.type not in (QType.SINGLE, QType.JUDGE):
            return None
        sent = await self.store.outbox.sent_at(f"daily:{pref.last_daily}:{turn.user}")
        if sent is None or sent < float(turn.state.get("screen_at", 0)):
            return None
        return await self._answer_daily(turn, question.id, next(iter(chosen)))

    async def status(self, turn: Turn) -> list[Reply]:
        pref = await self.store.reminders.get_reminder(turn.user)
        return [Reply(self._describe(turn, pref), self._buttons(turn, pref))]

    async def _change(self, turn: Turn, enabled: bool | None, minute: int | None, zone: str | None) -> list[Reply]:
        pref = await self.store.reminders.get_reminder(turn.user)
        config = self.deps.config.scheduler
        if minute is not None and quiet_hours(self.deps.config).contains(minute):
            q = config.quiet_hours
            return [Reply(turn.t("remind_quiet_refused", start=q.start, end=q.end), self._buttons(turn, pref))]
        new_enabled = enabled if enabled is not None else True
        new_minute = minute if minute is not None else (pref.minute if pref else config_minute(config.daily_default_time))
        new_zone = zone if zone is not None else (pref.tz if pref else None)
        await self.store.reminders.set_reminder(turn.user, new_enabled, new_minute, new_zone, turn.now)
        pref = await self.store.reminders.get_reminder(turn.user)
        key = "remind_on" if new_enabled else "remind_off"
        return [Reply(turn.t(key) + "\n\n" + self._describe(turn, pref), self._buttons(turn, pref))]

    def _describe(self, turn: Turn, pref: ReminderPref | None) -> str:
        config = self.deps.config.scheduler
        enabled = bool(pref and pref.enabled)
        minute = pref.minute if pref else config_minute(config.daily_default_time)
        zone = (pref.tz if pref else None) or scheduler_zone(self.deps.config)
        return turn.t("remind_status", state=turn.t("remind_state_on" if enabled else "remind_state_off"),
                      time=fmt_hhmm(minute), zone=zone, quiet_start=config.quiet_hours.start,
                      quiet_end=config.quiet_hours.end)

    def _buttons(self, turn: Turn, pref: ReminderPref | None) -> list[list[Choice]]:
        quiet = quiet_hours(self.deps.config)
        times = [Choice(fmt_hhmm(m), f"r:t:{m}") for m in PRESET_TIMES if not quiet.contains(m)]
        toggle = (turn.choice("btn_remind_off", "r:off") if pref and pref.enabled
                  else turn.choice("btn_remind_on", "r:on"))
        return [times[:3], times[3:], [toggle, turn.choice("btn_menu", "m")]]

    # --- the daily question's answer buttons ------------------------------------------------
    async def _answer_daily(self, turn: Turn, qid: str, index: int) -> list[Reply] | None:
        question = self.deps.catalog.questions.get(qid)
        if question is None:
            return [Reply(turn.t("daily_gone"), main_menu(turn))]
        if question.type not in (QType.SINGLE, QType.JUDGE) or index >= question.option_count:
            return None
        # a one-question practice: afterwards "next" continues with random practice
        turn.clear_flow()
        serial = int(turn.state.get("serial", 0)) + 1
        turn.state.update(flow="practice", mode="random", scope="", count=0, right=0, serial=serial, qid=qid,
                          answered=False, picked=0, shown=turn.now, label=turn.t("mode_random"))
        return await self.practice.answer(turn, question, frozenset({index}))


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except (ZoneInfoNotFoundError, ValueError):
        return False


def local_now(now: float, zone: str) -> datetime:
    return datetime.fromtimestamp(now, ZoneInfo(zone))
