"""ChatService: the single entry point every channel calls, handle(Incoming) -> list[Reply]."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import replace
from typing import Protocol

from bot.app.admin import COMMANDS as ADMIN_COMMANDS
from bot.app.admin import AdminFlow
from bot.app.bank_admin import BankAdminFlow, Inspection
from bot.app.broadcast import BroadcastFlow
from bot.app.cases import CaseFlow
from bot.app.context import Turn, idle_menu, main_menu, menu_reply
from bot.app.deferred import OffLoopAdmin
from bot.app.deferred import resolve as resolve_later
from bot.app.exam import ExamFlow
from bot.app.guides import GuideFlow
from bot.app.help import help_text
from bot.app.law import LawFlow
from bot.app.lookup import LookupFlow
from bot.app.me import MeFlow
from bot.app.messages import Incoming, Reply, numbered_actions, typed_number
from bot.app.pk import PkFlow
from bot.app.practice import PracticeFlow
from bot.app.ranking import RankFlow
from bot.app.registration import RegistrationFlow
from bot.app.reminders import ReminderFlow
from bot.app.web_login import web_command
from bot.deps import Deps
from bot.services.exams import refresh as refresh_exams
from bot.services.org import Org
from bot.services.org_audience import OrgAdmins
from bot.services.study_hours import StudyHours, counts_as_study
from bot.texts import normalize_locale, tr

log = logging.getLogger(__name__)


class ActionFlow(Protocol):
    """A flow that owns the buttons whose action starts with its key."""

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None: ...


MAX_TEXT = 4000
MAX_ACTION_BYTES = 64
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_ACTION_RE = re.compile(r"^[\w:.\-\u4e00-\u9fff\u3400-\u4dbf]+$")

KEYWORDS = {  # plain words that open a menu, as users type them
    "办事指南": "guide", "以案释法": "case", "查法条": "law", "法条": "law", "案例": "case",
    "菜单": "start", "开始": "start", "主菜单": "start", "menu": "start", "start": "start",
    "帮助": "help", "help": "help", "练习": "practice", "学法练习": "practice", "practice": "practice",
    "考试": "exam", "模拟考试": "exam", "exam": "exam", "错题": "wrong", "错题本": "wrong",
    "复习": "review", "今日复习": "review", "我的": "me", "我的学习": "me", "取消": "cancel", "退出": "cancel",
    "注册": "bind", "绑定": "bind", "统计": "stats",
    "答题pk": "pk", "pk": "pk", "双人对战": "pk", "提醒": "remind", "每日一练": "remind", "广播": "broadcast", "证书": "cert", "我的证书": "cert",
    "排行榜": "rank", "排名": "rank",
}


def clean_text(text: str) -> str:
    """Drop control and zero-width characters (keep line breaks), trim; a command typed with a
    full-width slash (／law, as Chinese input methods write it) gets the ASCII one."""
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
        elif ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs", "Co"):
            continue
        else:
            out.append(ch)
    cleaned = "".join(out).strip()
    return "/" + cleaned[1:] if cleaned.startswith("／") else cleaned


_LANGUAGES = {"zh": "zh", "en": "en", "中文": "zh", "汉语": "zh", "简体中文": "zh", "chinese": "zh", "英文": "en",
              "英语": "en", "english": "en"}  # what /lang takes


def _split_command(text: str) -> tuple[str, str]:
    """'/Law@bot　民法典 1254' -> ('law', '民法典 1254'): any white space (the full-width one too)
    ends the command's name."""
    head, *rest = text.split(maxsplit=1)
    return head[1:].split("@", 1)[0].lower(), rest[0].strip() if rest else ""


class ChatService:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.store = deps.storage
        self.practice = PracticeFlow(deps)
        self.exam = ExamFlow(deps)
        self.guides = GuideFlow(deps)
        self.cases = CaseFlow(deps)
        self.law = LawFlow(deps)
        self.lookup = LookupFlow(deps)
        self.org = Org(deps)
        self.registration = RegistrationFlow(deps, self.org)
        self.admin = OffLoopAdmin(AdminFlow(deps, self.org), lambda d: AdminFlow(d, Org(d)))  # bot/app/deferred.py
        self.me = MeFlow(deps, self.org, self.exam.official)
        self.reminders = ReminderFlow(deps, self.practice)
        self.pk = PkFlow(deps, self.org)
        self.bank = BankAdminFlow(deps, self.org, self.practice.reload_questions)
        self.rank = RankFlow(deps, self.org)
        self.hours = StudyHours(deps)
        self.broadcast = BroadcastFlow(deps, OrgAdmins(deps.storage, self.org))
        # the first part of a button's action names the flow that owns it
        self._action_flows: dict[str, ActionFlow] = {"p": self.practice, "x": self.exam, "g": self.guides, "c": self.cases,
                              "l": self.law, "k": self.lookup, "a": self.admin, "r": self.reminders,
                              "b": self.broadcast, "u": self.bank, "rk": self.rank, "z": self.exam.certs,
                              "v": self.pk}

    async def handle(self, incoming: Incoming) -> list[Reply]:
        replies = await self._turn(incoming)
        if any(r.later is not None for r in replies):  # exports, charts, PDFs: after the commit
            replies = await resolve_later(replies, normalize_locale(incoming.locale, self.deps.config.default_locale))
            if incoming.numbered:  # the list these replies show, stored when they are ready to be shown
                await self._store_numbered(incoming.user, replies)
        return replies

    async def _turn(self, incoming: Incoming) -> list[Reply]:
        now = self.deps.clock.now()
        locale = normalize_locale(incoming.locale, self.deps.config.default_locale)
        try:
            inspection = None
            if incoming.attachment is not None and incoming.action is None:
                inspection = await self.bank.inspect(incoming.user, incoming.attachment)
            async with self.store.atomic():
                if incoming.update_id and not await self.store.updates.first_seen(incoming.update_id, now):
                    log.info("duplicate update %s ignored", incoming.update_id)
                    return []
                # waits for this user's turn on another worker to end (the turn lock), then reads
                state, blocked, exams = await self.store.sessions.get_turn_with_exams(incoming.user)
                if incoming.numbered:  # a typed number picks from the list the turn before showed
                    incoming = await self._pick(incoming)
                await refresh_exams(self.deps, exams)  # exams created in the web console, on every worker
                if blocked is None:
                    await self.store.users.ensure_user(incoming.user, now)
                elif blocked:
                    await self.store.users.mark_reachable(incoming.user)  # a user who wrote has unblocked us
                if state:
                    original = dict(state)
                else:
                    state, original = {"locale": locale}, {}
                turn = Turn(user=incoming.user, locale=state.get("locale", locale), state=state, now=now,
                            from_button=incoming.action is not None, private=incoming.private)
                flow_before = turn.flow()
                replies = await self._route(turn, incoming, inspection)
                command = self._command_name(incoming)
                admin_command = command in ADMIN_COMMANDS or command == "web"
                if counts_as_study(incoming.action, command, flow_before, admin_command):
                    await self.hours.record(incoming.user, now, turn.state)
                self._note_screen(turn, replies)
                if turn.state != original:
                    await self.store.sessions.set_state(incoming.user, turn.state, now)
                if incoming.numbered and not any(r.later is not None for r in replies):
                    shown = numbered_actions(replies)
                    if shown is not None:  # committed with the turn: the next turn picks from it
                        await self.store.sessions.set_menu(incoming.user, shown, now)
                return replies
        except Exception:
            log.exception("failed to handle update from %s", incoming.user)
            return [Reply(tr(locale, "error"))]

    async def _pick(self, incoming: Incoming) -> Incoming:
        """Inside the turn (the user's turn lock held): a typed number that is on the numbered list
        stored by the user's last turn becomes that choice's action; anything else stays as typed."""
        number = typed_number(incoming.text) if incoming.action is None and incoming.attachment is None else None
        if number is None:
            return incoming
        actions = await self.store.sessions.get_menu(incoming.user)
        if not 1 <= number <= len(actions):
            return incoming
        return replace(incoming, text=None, action=actions[number - 1])

    async def _store_numbered(self, user: str, replies: list[Reply]) -> None:
        """After a turn with deferred replies: store the numbered list they show (one statement,
        once they are resolved, just before the channel shows them)."""
        shown = numbered_actions(replies)
        if shown is None:
            return
        try:
            await self.store.sessions.set_menu(user, shown, self.deps.clock.now())
        except Exception:
            log.exception("could not store the numbered choices shown to %s", user)

    @staticmethod
    def _note_screen(turn: Turn, replies: list[Reply]) -> None:
        """Remember what is on the user's screen: a reply with choices replaces the choices the
        channel shows, so a typed answer goes only to the question those choices belong to."""
        if any(r.choices for r in replies):
            if turn.showing:
                turn.state["screen"] = turn.showing
            else:
                turn.state.pop("screen", None)
            turn.state["screen_at"] = turn.now

    async def locale_of(self, user: str) -> str:
        state = await self.store.sessions.get_state(user)
        return str(state.get("locale", self.deps.config.default_locale))

    # --- routing ---------------------------------------------------------------------
    async def _route(self, turn: Turn, incoming: Incoming, inspection: Inspection | None = None) -> list[Reply]:
        if incoming.action is not None:
            return await self._on_action(turn, incoming.action)
        if incoming.attachment is not None:  # a file (its caption, if any, is not a command)
            assert inspection is not None  # handle() inspects every file before the turn
            return await self.bank.on_file(turn, incoming.attachment, inspection)
        text = clean_text(incoming.text or "")
        if not text:
            return [Reply(turn.t("empty"), idle_menu(turn))]
        if len(text) > MAX_TEXT:
            return [Reply(turn.t("too_long", limit=MAX_TEXT))]
        if text.startswith("/"):
            return await self._on_command(turn, text)
        keyword = KEYWORDS.get(text.lower())
        if keyword:
            return await self._command(turn, keyword, "")
        for flow in (self.pk, self.reminders, self.exam, self.registration, self.practice):
            replies = await flow.on_text(turn, text)
            if replies is not None:
                return replies
        replies = await self.cases.on_text(turn, text)
        if replies is not None:
            return replies
        if turn.flow() in ("practice", "exam", "case_quiz"):
            return [Reply(turn.t("not_an_answer"))]
        return await self.lookup.on_text(turn, text)

    @staticmethod
    def _command_name(incoming: Incoming) -> str | None:
        """The command a typed message names (/law → law, 排行榜 → rank), None for other text."""
        if incoming.action is not None:
            return None
        if incoming.attachment is not None:
            return "upload"
        text = clean_text(incoming.text or "")
        if text.startswith("/"):
            return _split_command(text)[0]
        return KEYWORDS.get(text.lower())

    async def _on_command(self, turn: Turn, text: str) -> list[Reply]:
        name, args = _split_command(text)
        return await self._command(turn, name, args)

    async def _command(self, turn: Turn, name: str, args: str) -> list[Reply]:
        if name in ("start", "menu"):
            return [await self._menu(turn, "welcome")]
        if name == "help":
            return [Reply(await help_text(turn, self.org, self.broadcast.admins, self.deps.config), main_menu(turn))]
        if name == "practice":
            return await self.practice.command(turn, args)
        if name == "exam":
            return await self.exam.menu(turn)
        if name == "wrong":
            return await self.practice.wrong_book(turn)
        if name == "review":
            return await self.practice.start(turn, "review")
        if name == "me":
            return await self._me(turn)
        if name == "lang":
            return self._set_locale(turn, args)
        if name in ("guide", "guides"):
            return self.guides.menu(turn)
        if name in ("case", "cases"):
            return self.cases.search(turn, args)
        if name == "law":
            return await self.law.command(turn, args)
        if name == "stats" and args.split()[:1] == ["gaps"]:
            return await self.lookup.gaps_command(turn, args.split()[1:])
        if name == "bind":
            return await self.registration.command(turn, args)
        if name in ADMIN_COMMANDS:
            return await self.admin.command(turn, name, args)
        if name == "remind":
            return await self.reminders.command(turn, args)
        if name == "broadcast":
            return await self.broadcast.command(turn, args)
        if name == "bank":
            return await self.bank.command(turn, args)
        if name == "rank":
            return await self.rank.command(turn, args)
        if name == "cert":
            return await self.exam.certs.command(turn, args)
        if name == "web":
            return await web_command(self.deps, turn)
        if name == "pk":
            return await self.pk.command(turn, args)
        if name == "cancel":
            if await self.pk.busy(turn):
                return await self.pk.command(turn, "quit")
            if turn.flow() == "exam":
                return self.exam.leave(turn)
            return self.practice.end(turn)
        return [Reply(turn.t("unknown"), idle_menu(turn))]

    async def _on_action(self, turn: Turn, action: str) -> list[Reply]:
        if not isinstance(action, str) or len(action.encode("utf-8", "replace")) > MAX_ACTION_BYTES \
                or not _ACTION_RE.match(action):
            log.warning("refused malformed action from %s: %r", turn.user, action[:80] if isinstance(action, str) else action)
            return [Reply(turn.t("bad_action"), idle_menu(turn))]
        parts = action.split(":")
        replies: list[Reply] | None = None
        if action == "m":
            replies = [await self._menu(turn, "menu")]
        elif action == "me":
            replies = await self._me(turn)
        elif action == "lang":
            replies = self._set_locale(turn, "")
        elif parts[0] in self._action_flows:
            replies = await self._action_flows[parts[0]].on_action(turn, parts)
        if replies is None:
            log.warning("refused action from %s: %r", turn.user, action)
            return [Reply(turn.t("bad_action"), idle_menu(turn))]
        return replies

    async def _menu(self, turn: Turn, key: str) -> Reply:
        """The main menu; with an exam in progress, first its time left and a way back to it."""
        running = await self.exam.in_progress(turn)
        if running is None:
            return Reply(turn.t(key), main_menu(turn))
        return Reply(running.text + "\n\n" + turn.t(key), running.choices + main_menu(turn))

    def _set_locale(self, turn: Turn, args: str) -> list[Reply]:
        key = args.lower().replace("_", "-")
        wanted = _LANGUAGES.get(key) or (key[:2] if key[:3] in ("zh-", "en-") else "")  # zh-CN, en_GB
        if args and not wanted:  # "/lang xx": said so, nothing changed
            return [Reply(turn.t("lang_usage", value=args[:20]), idle_menu(turn))]
        if not wanted:
            wanted = "en" if turn.locale == "zh" else "zh"
        turn.state["locale"] = turn.locale = wanted
        return [menu_reply(turn, "lang_set")]

    async def _me(self, turn: Turn) -> list[Reply]:
        return await self.me.show(turn)
