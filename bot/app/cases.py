"""以案释法 (case explainers): browse by topic, search, case of the day, read, then a short quiz."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.app import views
from bot.app.chunks import split_text
from bot.app.context import Turn, main_menu, on_screen
from bot.app.guides import law_button
from bot.app.law import stale_notices
from bot.app.messages import Choice, Reply
from bot.catalog.guides import Case
from bot.deps import Deps
from bot.domain.answers import Answer
from bot.domain.models import QType, Question
from bot.search.lookup import lookup_for

SEARCH_HITS = 5


class CaseFlow:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.catalog = deps.catalog
        self.topics: list[str] = sorted({c.topic for c in deps.catalog.cases.values()})
        self.ids: list[str] = sorted(deps.catalog.cases)

    # --- browsing --------------------------------------------------------------------
    def menu(self, turn: Turn) -> list[Reply]:
        buttons = [Choice(f"{t}（{sum(1 for c in self.catalog.cases.values() if c.topic == t)}）", f"c:t:{i}")
                   for i, t in enumerate(self.topics)]
        rows = [[turn.choice("btn_case_today", "c:d")]] + [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([turn.choice("btn_menu", "m")])
        return [Reply(turn.t("case_menu"), rows)]

    def topic(self, turn: Turn, index: int) -> list[Reply]:
        topic = self.topics[index]
        cases = [c for c in self.catalog.cases.values() if c.topic == topic]
        rows = [[Choice(_label(c.title), f"c:s:{c.id}")] for c in cases]
        rows.append([turn.choice("btn_back", "c:m"), turn.choice("btn_menu", "m")])
        return [Reply(turn.t("case_topic", topic=topic), rows)]

    def of_the_day(self, turn: Turn) -> str:
        """The same case for everyone on a given local date, cycling through all cases."""
        today = dt.datetime.fromtimestamp(turn.now, ZoneInfo(self.deps.config.timezone)).date()
        return self.ids[today.toordinal() % len(self.ids)]

    def search(self, turn: Turn, query: str) -> list[Reply]:
        if not query.strip():
            return self.menu(turn)
        result = lookup_for(self.catalog).search(query, SEARCH_HITS, kinds=("case",))
        if not result.hits or result.uncovered:
            return [Reply(turn.t("case_no_hits", query=query), [[turn.choice("btn_cases", "c:m")]])]
        rows = [[Choice(_label(h.name), f"c:s:{h.ref}")] for h in result.hits]
        rows.append([turn.choice("btn_cases", "c:m"), turn.choice("btn_menu", "m")])
        return [Reply(turn.t("case_hits", query=query), rows)]

    # --- reading ---------------------------------------------------------------------
    def render(self, turn: Turn, case: Case) -> str:
        laws = self.catalog.laws
        cites = []
        for c in case.cites:
            article = laws.article(c.law, c.article)
            cites.append(f"《{c.law}》{article.text}" if article else f"《{c.law}》第{c.article}条")
        return "\n".join([
            turn.t("case_title", title=case.title, topic=case.topic), "",
            turn.t("case_facts"), case.facts, "",
            turn.t("case_question"), case.question, "",
            turn.t("case_analysis"), case.analysis, "",
            turn.t("case_cites"), "\n".join(cites + stale_notices(turn, laws, (c.law for c in case.cites))), "",
            turn.t("case_takeaway"), case.takeaway, "",
            turn.t("case_illustrative"),
        ])

    async def show(self, turn: Turn, case_id: str) -> list[Reply] | None:
        case = self.catalog.cases.get(case_id)
        if case is None:
            return None
        await self.deps.storage.activity.log_activity(turn.user, "case_read", case.id, turn.now)
        quiz = self._quiz(case)
        rows = []
        if quiz:
            rows.append([Choice(turn.t("btn_case_quiz", n=len(quiz)), f"c:q:{case.id}")])
        buttons = [b for c in case.cites[:4] if (b := law_button(self.deps, c.law, c.article))]
        rows += [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([turn.choice("btn_cases", "c:m"), turn.choice("btn_menu", "m")])
        parts = split_text(self.render(turn, case))
        return [Reply(p) for p in parts[:-1]] + [Reply(parts[-1], rows)]

    def _quiz(self, case: Case) -> list[str]:
        return [q for q in case.quiz if q in self.catalog.questions]

    # --- the follow-up quiz ----------------------------------------------------------
    def start_quiz(self, turn: Turn, case_id: str) -> list[Reply] | None:
        case = self.catalog.cases.get(case_id)
        if case is None or not self._quiz(case):
            return None
        serial = int(turn.state.get("serial", 0))
        turn.clear_flow()
        turn.state.update(flow="case_quiz", case=case.id, qi=0, right=0, serial=serial)
        return [self._serve(turn)]

    def _question(self, turn: Turn) -> tuple[Question | None, int, int]:
        case = self.catalog.cases.get(turn.state.get("case", ""))
        quiz = self._quiz(case) if case else []
        qi = int(turn.state.get("qi", 0))
        return (self.catalog.questions[quiz[qi]], qi, len(quiz)) if qi < len(quiz) else (None, qi, len(quiz))

    def _serve(self, turn: Turn, picked: frozenset[int] = frozenset(), edit: bool = False, fresh: bool = True) -> Reply:
        question, qi, total = self._question(turn)
        assert question is not None  # served only while the quiz has a question left
        if fresh:
            turn.state.update(serial=int(turn.state.get("serial", 0)) + 1, answered=False, picked=0, shown=turn.now)
        serial = turn.state["serial"]
        head = turn.t("case_quiz_head", n=qi + 1, total=total, type=views.type_name(question, turn.locale))
        prefix = f"c:x:{serial}:" if question.type is QType.MULTIPLE else f"c:a:{serial}:"
        rows = views.option_buttons(question, prefix, picked, None, turn.locale, confirm_action=f"c:c:{serial}")
        turn.showing = f"case:{serial}"
        return Reply(f"{head}\n\n{views.question_body(question, turn.locale, picked=picked)}", rows,
                     edit=edit and turn.from_button)

    async def answer(self, turn: Turn, chosen: Answer) -> list[Reply]:
        question, qi, total = self._question(turn)
        assert question is not None  # answers come for the question on screen
        correct = question.is_correct(chosen)
        elapsed = int(max(0.0, turn.now - float(turn.state.get("shown", turn.now))) * 1000)
        await self.deps.storage.practice.log_answer(turn.user, question.id, correct, elapsed, "case", turn.now)
        turn.state.update(answered=True, qi=qi + 1, right=int(turn.state.get("right", 0)) + int(correct))
        text = views.feedback(self.catalog.laws, question, chosen, turn.locale)
        if qi + 1 < total:
            return [Reply(text, [[turn.choice("btn_next", f"c:n:{turn.state['serial']}")]])]
        summary = turn.t("case_quiz_done", right=turn.state["right"], total=total)
        case_id = turn.state.get("case", "")
        turn.clear_flow()
        return [Reply(text), Reply(summary, [[turn.choice("btn_cases", "c:m"), turn.choice("btn_menu", "m")]])
                ] if case_id else [Reply(text, main_menu(turn))]

    async def on_text(self, turn: Turn, text: str) -> list[Reply] | None:
        if turn.flow() != "case_quiz":
            return None
        question, _, _ = self._question(turn)
        chosen = views.parse_typed_answer(question, text) if question else None
        if turn.state.get("answered"):  # a second answer to the same question: not counted
            return [Reply(turn.t("stale"))] if views.looks_like_answer(text) else None
        if question is not None and chosen is not None and not on_screen(turn, f"case:{turn.state.get('serial')}"):
            picked = views.mask_to_set(int(turn.state.get("picked", 0)), question.option_count) or frozenset()
            return [Reply(turn.t("question_not_on_screen")), self._serve(turn, picked, fresh=False)]
        if chosen is None:
            hint = views.answer_hint(question, text, turn.locale) if question else None
            return [Reply(hint)] if hint else None
        return await self.answer(turn, chosen)

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        verb = parts[1] if len(parts) > 1 else ""
        if len(parts) == 2 and verb in ("m", "d"):
            return self.menu(turn) if verb == "m" else await self.show(turn, self.of_the_day(turn))
        if verb == "t" and len(parts) == 3 and parts[2].isdigit() and int(parts[2]) < len(self.topics):
            return self.topic(turn, int(parts[2]))
        if verb == "s" and len(parts) == 3:
            return await self.show(turn, parts[2])
        if verb == "q" and len(parts) == 3:
            return self.start_quiz(turn, parts[2])
        if verb in ("a", "x", "c", "n") and len(parts) >= 3 and parts[2].isdigit():
            return await self._quiz_action(turn, verb, parts)
        return None

    async def _quiz_action(self, turn: Turn, verb: str, parts: list[str]) -> list[Reply] | None:
        if turn.flow() != "case_quiz":  # not a question of this user's quiz
            return [Reply(turn.t("bad_action"), main_menu(turn))]
        if int(parts[2]) != turn.state.get("serial"):
            return [Reply(turn.t("stale"), main_menu(turn))]
        question, _, _ = self._question(turn)
        if verb == "n":
            return [self._serve(turn)] if turn.state.get("answered") and question else [Reply(turn.t("stale"))]
        if question is None or turn.state.get("answered"):
            return [Reply(turn.t("stale"))]
        if verb == "a" and len(parts) == 4 and parts[3].isdigit():
            index = int(parts[3])
            if question.type is QType.MULTIPLE or index >= question.option_count:
                return None
            return await self.answer(turn, frozenset({index}))
        if verb == "x" and len(parts) == 4 and parts[3].isdigit() and question.type is QType.MULTIPLE:
            picked = views.mask_to_set(int(parts[3]), question.option_count)
            if picked is None:
                return None
            turn.state["picked"] = int(parts[3])
            return [self._serve(turn, picked, edit=True, fresh=False)]
        if verb == "c" and len(parts) == 3 and question.type is QType.MULTIPLE:
            picked = views.mask_to_set(int(turn.state.get("picked", 0)), question.option_count) or frozenset()
            return await self.answer(turn, picked) if picked else [Reply(turn.t("pick_first"))]
        return None


def _label(title: str, limit: int = 30) -> str:
    return title if len(title) <= limit else title[:limit - 1] + "…"
