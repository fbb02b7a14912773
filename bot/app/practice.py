"""Practice (练习): by law, in order, random; the mistake notebook (错题本); spaced review.
A material (材料题) is served one sub-question at a time, each logged, noted and reviewed on its
own; a fill question (填空) is answered by typing."""

from __future__ import annotations

import hashlib

from bot.app import views
from bot.app.context import Turn, main_menu, menu_reply, on_screen
from bot.app.messages import Choice, Reply
from bot.deps import Deps
from bot.domain import review
from bot.domain.answers import Answer
from bot.domain.models import QType, Question
from bot.domain.practice_rules import wrong_book_step

MODES = ("topic", "seq", "random", "wrong", "review")
# the after-answer buttons' words, typed (text-only channels, or a user who types what they see)
TYPED_WORDS = {"下一题": "n", "下一小题": "n", "next": "n", "结束练习": "e"}
TOPIC_PAGE = 10  # laws per page of the 专项练习 menu


def law_key(law: str) -> str:
    """A short, stable button key for a law (button data is capped at 64 bytes on Telegram)."""
    return hashlib.blake2s(law.encode("utf-8"), digest_size=5).hexdigest()


class PracticeFlow:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.store = deps.storage
        self.catalog = deps.catalog
        self._order_ids: list[str] = []
        self._law_ids: dict[str, list[str]] = {}
        self._revision = -1
        self.reload_questions()

    def reload_questions(self) -> None:
        """Rebuild the serving orders from the catalog (after a bank import in chat). New questions
        come last, so saved positions in a law's list keep pointing at the same questions."""
        self._revision = self.catalog.revision
        self._order_ids = [q.id for q in self.catalog.question_list]
        self._law_ids = {}
        for q in self.catalog.question_list:
            self._law_ids.setdefault(q.cite.law, []).append(q.id)

    @property
    def _order(self) -> list[str]:
        if self._revision != self.catalog.revision:  # the catalog changed (console edit, retirement)
            self.reload_questions()
        return self._order_ids

    @property
    def _by_law(self) -> dict[str, list[str]]:
        if self._revision != self.catalog.revision:
            self.reload_questions()
        return self._law_ids

    # --- menus -----------------------------------------------------------------------
    def menu(self, turn: Turn) -> list[Reply]:
        c = turn.choice
        return [Reply(turn.t("practice_menu"), [
            [c("btn_topic", "p:t"), c("btn_sequential", "p:s")],
            [c("btn_random", "p:r"), c("btn_wrong", "p:w")],
            [c("btn_review", "p:v"), c("btn_menu", "m")],
        ])]

    async def command(self, turn: Turn, args: str) -> list[Reply]:
        """/practice: the menu; /practice 民法典 (a law's short or full name): 专项练习 of that law,
        or the menu with a line saying there is none."""
        if not args:
            return self.menu(turn)
        law = self.catalog.laws.get(args.strip("《》 "))
        name = law.short_name if law is not None else args.strip("《》 ")
        if name in self._by_law:
            return await self.start(turn, "topic", name)
        menu = self.menu(turn)[0]
        return [Reply(turn.t("practice_no_law", law=args[:30]) + "\n\n" + menu.text, menu.choices)]

    def topics(self, turn: Turn, page: int = 0) -> list[Reply]:
        """The laws with questions, TOPIC_PAGE per page (a numbered WeChat menu must fit one
        message; a keyboard stays short)."""
        laws = self.catalog.law_tags()
        pages = max(1, -(-len(laws) // TOPIC_PAGE))
        page = min(max(page, 0), pages - 1)
        shown = laws[page * TOPIC_PAGE:(page + 1) * TOPIC_PAGE]
        buttons = [Choice(f"{law}（{len(self._by_law[law])}）", f"p:t:{law_key(law)}") for law in shown]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        nav = []
        if page > 0:
            nav.append(turn.choice("btn_prev_page", f"p:T:{page - 1}"))
        if page < pages - 1:
            nav.append(turn.choice("btn_next_page", f"p:T:{page + 1}"))
        if nav:
            rows.append(nav)
        rows.append([turn.choice("btn_back", "p:m")])
        text = turn.t("topic_menu")
        if pages > 1:
            text += " " + turn.t("topic_page", page=page + 1, pages=pages)
        return [Reply(text, rows)]

    def _law_of(self, key: str) -> str | None:
        """The law a topic button names: its short key, or the law's name (older buttons)."""
        if key in self._by_law:
            return key
        return next((law for law in self._by_law if law_key(law) == key), None)

    async def wrong_book(self, turn: Turn) -> list[Reply]:
        entries = [e for e in await self.store.reviews.wrong_entries(turn.user) if e.question_id in self.catalog.questions]
        if not entries:
            return [menu_reply(turn, "wrong_empty")]
        need = self.deps.config.practice.wrong_book_clear_after
        return [Reply(turn.t("wrong_intro", n=len(entries), need=need),
                      [[turn.choice("btn_wrong_practice", "p:W"), turn.choice("btn_menu", "m")]])]

    # --- starting and serving --------------------------------------------------------
    async def start(self, turn: Turn, mode: str, scope: str = "") -> list[Reply]:
        if mode == "topic" and scope not in self._by_law:
            return [Reply(turn.t("bad_action"), main_menu(turn))]
        if mode == "review" and not await self.store.reviews.count_due(turn.user, turn.now):
            return [menu_reply(turn, "review_none")]
        turn.clear_flow()
        turn.state.update(flow="practice", mode=mode, scope=scope, serial=turn.state.get("serial", 0),
                          count=0, right=0)
        return await self.serve(turn)

    def _scope_ids(self, mode: str, scope: str) -> list[str]:
        return self._by_law.get(scope, []) if mode == "topic" else self._order

    async def _pick(self, turn: Turn) -> tuple[Question | None, str]:
        """The next question for this mode, and the header text."""
        mode, scope = turn.state["mode"], turn.state.get("scope", "")
        current = turn.state.get("qid")
        if mode in ("topic", "seq"):
            ids = self._scope_ids(mode, scope)
            if not ids:
                return None, ""
            pos = await self.store.practice.get_progress(turn.user, f"{mode}:{scope}") % len(ids)
            turn.state["pos"] = pos
            label = (turn.t("mode_topic", scope=scope) if mode == "topic"
                     else turn.t("mode_sequential", pos=pos + 1, total=len(ids)))
            if mode == "topic":
                label += f" {pos + 1}/{len(ids)}"
            return self.catalog.questions[ids[pos]], label
        if mode == "random":
            ids = self._order
            qid = self.deps.rng.choice(ids)
            if qid == current and len(ids) > 1:
                qid = self.deps.rng.choice([i for i in ids if i != current])
            return self.catalog.questions[qid], turn.t("mode_random")
        if mode == "wrong":
            ids = [e.question_id for e in await self.store.reviews.wrong_entries(turn.user)
                   if e.question_id in self.catalog.questions]
            if not ids:
                return None, ""
            if current in ids and len(ids) > 1:
                ids = ids[ids.index(current) + 1:] + ids[:ids.index(current) + 1]
            return self.catalog.questions[ids[0]], f"{turn.t('mode_wrong')} ({len(ids)})"
        due = [qid for qid in await self.store.reviews.due_cards(turn.user, turn.now, 50) if qid in self.catalog.questions]
        if not due:
            return None, ""
        return self.catalog.questions[due[0]], f"{turn.t('mode_review')} ({len(due)})"

    async def serve(self, turn: Turn) -> list[Reply]:
        question, label = await self._pick(turn)
        if question is None:
            mode = str(turn.state.get("mode"))
            summary = self._summary(turn)
            turn.clear_flow()
            key = {"wrong": "wrong_empty", "review": "review_done"}.get(mode, "no_questions")
            return [menu_reply(turn, key)] if not summary else [Reply(summary), menu_reply(turn, key)]
        serial = int(turn.state.get("serial", 0)) + 1
        turn.state.update(serial=serial, qid=question.id, answered=False, picked=0, shown=turn.now, label=label)
        turn.state.pop("sub", None)
        if question.type is QType.MATERIAL:
            turn.state["sub"] = 0
        return [self._question_reply(turn, self.current(turn) or question, frozenset())]

    def _question_reply(self, turn: Turn, question: Question, picked: frozenset[int], edit: bool = False) -> Reply:
        serial = turn.state["serial"]
        material = self.catalog.material_of(question)
        kind = views.type_name(question, turn.locale)
        if material is not None:
            kind = f"{views.sub_label(question, material, turn.locale)} · {kind}"
        head = turn.t("practice_head", mode=turn.state.get("label", ""), n=turn.state.get("count", 0) + 1, type=kind)
        body = views.question_body(question, turn.locale, picked=picked)
        if material is not None and turn.state.get("material_shown") != material.id:
            turn.state["material_shown"] = material.id  # in full once; then behind 查看材料
            body = views.material_text(material, turn.locale) + "\n\n" + body
        prefix = f"p:x:{serial}:" if question.type is QType.MULTIPLE else f"p:a:{serial}:"
        rows = views.option_buttons(question, prefix, picked, None, turn.locale, confirm_action=f"p:c:{serial}")
        if material is not None:
            rows.append([turn.choice("btn_material", f"p:M:{serial}"), turn.choice("btn_end", "p:e")])
        else:
            rows.append([turn.choice("btn_end", "p:e")])
        turn.showing = f"practice:{serial}"
        return Reply(f"{head}\n\n{body}", rows, edit=edit and turn.from_button)

    def current(self, turn: Turn) -> Question | None:
        """The question being answered: a material's current sub-question, or the question."""
        if turn.flow() != "practice":
            return None
        question = self.catalog.questions.get(turn.state.get("qid", ""))
        if question is not None and question.type is QType.MATERIAL:
            sub = int(turn.state.get("sub", 0))
            return question.subs[sub] if 0 <= sub < len(question.subs) else None
        return question

    def _next_sub(self, turn: Turn) -> list[Reply] | None:
        """After a sub-question is answered: the material's next one (None when it was the last)."""
        question = self.catalog.questions.get(turn.state.get("qid", ""))
        sub = int(turn.state.get("sub", 0)) + 1
        if question is None or question.type is not QType.MATERIAL or sub >= len(question.subs):
            return None
        turn.state.update(sub=sub, serial=int(turn.state["serial"]) + 1, answered=False, picked=0, shown=turn.now)
        return [self._question_reply(turn, question.subs[sub], frozenset())]

    def show_material(self, turn: Turn) -> list[Reply]:
        """The material again, then the question being answered (so its choices stay on screen)."""
        question = self.current(turn)
        material = self.catalog.material_of(question) if question else None
        if question is None or material is None:
            return [Reply(turn.t("stale"))]
        text = views.material_text(material, turn.locale)
        if turn.state.get("answered"):
            return [Reply(text, self._after_answer_rows(turn, turn.state["serial"]))]
        return [Reply(text), self._question_reply(turn, question, self._picked(turn, question))]

    # --- answering -------------------------------------------------------------------
    def _valid_serial(self, turn: Turn, serial: str) -> bool:
        return serial.isdigit() and int(serial) == turn.state.get("serial") and not turn.state.get("answered")

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        """p:<verb>[:...]; None when the action is malformed (the caller refuses it)."""
        verb = parts[1] if len(parts) > 1 else ""
        if verb == "m" and len(parts) == 2:
            return self.menu(turn)
        if verb == "t" and len(parts) == 2:
            return self.topics(turn)
        if verb == "T" and len(parts) == 3 and parts[2].isdigit():
            return self.topics(turn, int(parts[2]))
        if verb == "t" and len(parts) == 3:
            law = self._law_of(parts[2])
            return await self.start(turn, "topic", law) if law else None
        if verb in ("s", "r", "W", "v") and len(parts) == 2:
            return await self.start(turn, {"s": "seq", "r": "random", "W": "wrong", "v": "review"}[verb])
        if verb == "w" and len(parts) == 2:
            return await self.wrong_book(turn)
        if verb == "e" and len(parts) == 2:
            return self.end(turn)
        if verb == "M" and len(parts) == 3:
            if turn.flow() != "practice" or parts[2] != str(turn.state.get("serial")):
                return [Reply(turn.t("stale"))]
            return self.show_material(turn)
        if verb in ("a", "x", "c", "n") and len(parts) >= 3:
            serial = parts[2]
            if turn.flow() != "practice" or not serial.isdigit():  # not a question of this user's practice
                return [Reply(turn.t("bad_action"), main_menu(turn))]
            question = self.current(turn)
            if verb == "n":
                if int(serial) == turn.state.get("serial") and turn.state.get("answered"):
                    return self._next_sub(turn) or await self.serve(turn)
                return [Reply(turn.t("stale"))] if question is None else [self._question_reply(turn, question, self._picked(turn, question))]
            if question is None or not self._valid_serial(turn, serial):
                return [Reply(turn.t("stale"))]
            if verb == "a" and len(parts) == 4 and parts[3].isdigit():
                index = int(parts[3])
                if question.type not in (QType.SINGLE, QType.JUDGE) or index >= question.option_count:
                    return None
                return await self.answer(turn, question, frozenset({index}))
            if verb == "x" and len(parts) == 4 and parts[3].isdigit() and question.type is QType.MULTIPLE:
                picked = views.mask_to_set(int(parts[3]), question.option_count)
                if picked is None:
                    return None
                turn.state["picked"] = int(parts[3])
                return [self._question_reply(turn, question, picked, edit=True)]
            if verb == "c" and len(parts) == 3 and question.type is QType.MULTIPLE:
                picked = self._picked(turn, question)
                if not picked:
                    return [Reply(turn.t("pick_first"))]
                return await self.answer(turn, question, picked)
        return None

    def _picked(self, turn: Turn, question: Question) -> frozenset[int]:
        return views.mask_to_set(int(turn.state.get("picked", 0)), question.option_count) or frozenset()

    async def on_text(self, turn: Turn, text: str) -> list[Reply] | None:
        question = self.current(turn)
        if question is None:
            return None
        typed = text.strip()
        if typed in views.MATERIAL_WORDS and not (typed == "材料" and question.type is QType.FILL and not question.parent):
            # a 填空 answer may be the word 材料; on any other question without a case, say so plainly
            return self.show_material(turn) if question.parent else [Reply(turn.t("question_no_material"))]
        word = TYPED_WORDS.get(typed.lower())
        if word == "e":
            return self.end(turn)
        if turn.state.get("answered"):
            if word == "n":
                return await self.on_action(turn, ["p", "n", str(turn.state.get("serial"))])
            if views.parse_typed_answer(question, text) is not None:  # a second answer: not counted
                return [Reply(turn.t("stale"), self._after_answer_rows(turn, turn.state["serial"]))]
            return None
        chosen = views.parse_typed_answer(question, text)
        if chosen is None:
            if question.type is QType.FILL:
                return [Reply(turn.t("fill_count", n=len(question.blanks)))]
            hint = views.answer_hint(question, text, turn.locale)
            return [Reply(hint)] if hint else None
        if not on_screen(turn, f"practice:{turn.state.get('serial')}"):  # answers only the question on screen
            return [Reply(turn.t("question_not_on_screen")), self._question_reply(turn, question, self._picked(turn, question))]
        return await self.answer(turn, question, chosen)

    async def answer(self, turn: Turn, question: Question, chosen: Answer) -> list[Reply]:
        store, now, user = self.store, turn.now, turn.user
        mode = turn.state["mode"]
        correct = question.is_correct(chosen)
        elapsed = int(max(0.0, now - float(turn.state.get("shown", now))) * 1000)
        await store.practice.log_answer(user, question.id, correct, elapsed, mode, now)
        notes = await self._update_notebook(turn, question, correct, mode)
        await self._update_card(turn, question, correct, mode)
        served = self.catalog.questions.get(turn.state.get("qid", ""))
        more_subs = (served is not None and served.type is QType.MATERIAL
                     and int(turn.state.get("sub", 0)) + 1 < len(served.subs))
        if mode in ("topic", "seq") and not more_subs:  # a material counts as done after its last part
            await store.practice.set_progress(user, f"{mode}:{turn.state.get('scope', '')}", int(turn.state.get("pos", 0)) + 1)
        turn.state.update(answered=True, count=int(turn.state.get("count", 0)) + 1,
                          right=int(turn.state.get("right", 0)) + int(correct))
        text = views.feedback(self.catalog.laws, question, chosen, turn.locale)
        if notes:
            text += "\n\n" + notes
        return [Reply(text, self._after_answer_rows(turn, turn.state["serial"]))]

    def _after_answer_rows(self, turn: Turn, serial: int) -> list[list[Choice]]:
        served = self.catalog.questions.get(turn.state.get("qid", ""))
        if served is not None and served.type is QType.MATERIAL and int(turn.state.get("sub", 0)) + 1 < len(served.subs):
            return [[turn.choice("btn_next_sub", f"p:n:{serial}"), turn.choice("btn_material", f"p:M:{serial}")],
                    [turn.choice("btn_end", "p:e")]]
        return [[turn.choice("btn_next", f"p:n:{serial}"), turn.choice("btn_end", "p:e")]]

    async def _update_notebook(self, turn: Turn, question: Question, correct: bool, mode: str) -> str:
        need = self.deps.config.practice.wrong_book_clear_after
        entry = await self.store.reviews.get_wrong(turn.user, question.id)
        if entry is None:
            if correct:
                return ""
            await self.store.reviews.put_wrong(turn.user, question.id, 0, turn.now)
            return turn.t("added_wrong")
        if mode != "wrong" and correct:
            return ""  # only notebook practice moves a question towards leaving it
        streak, leaves = wrong_book_step(entry.streak, correct, need)
        if leaves:
            await self.store.reviews.remove_wrong(turn.user, question.id)
            return turn.t("wrong_cleared", need=need)
        await self.store.reviews.put_wrong(turn.user, question.id, streak, turn.now)
        return turn.t("wrong_progress", streak=streak, need=need)

    async def _update_card(self, turn: Turn, question: Question, correct: bool, mode: str) -> None:
        card = await self.store.reviews.get_card(turn.user, question.id)
        now = review.utc(turn.now)
        if card is None:
            if not correct:
                card = review.new_card_json(now)
                await self.store.reviews.put_card(turn.user, question.id, card, review.due_of(card).timestamp())
            return
        if mode == "review" or not correct:
            card, due = review.review(card, correct, now)
            await self.store.reviews.put_card(turn.user, question.id, card, due.timestamp())

    # --- ending ----------------------------------------------------------------------
    def _summary(self, turn: Turn) -> str:
        count = int(turn.state.get("count", 0))
        return turn.t("practice_summary", n=count, right=turn.state.get("right", 0)) if count else ""

    def end(self, turn: Turn) -> list[Reply]:
        if turn.flow() != "practice":
            return [menu_reply(turn, "nothing_to_cancel")]
        summary = self._summary(turn)
        turn.clear_flow()
        text = turn.t("cancelled") + ("\n" + summary if summary else "")
        return [Reply(text, main_menu(turn))]
