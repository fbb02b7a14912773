"""Mock exams (模拟考试): draw a paper, answer in any order, hand in, server-side timer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.app import views
from bot.app.certs import CertFlow, Certificates
from bot.app.context import Turn, main_menu, menu_reply, on_screen
from bot.app.fairness import FairExams
from bot.app.messages import Choice, Reply
from bot.app.official import OfficialExams
from bot.deps import Deps
from bot.domain import exam_rules, fairness, review
from bot.domain.answers import Answer, is_given
from bot.domain.models import Attempt, ExamDefinition, QType, Question
from bot.storage.ports import AnswerLogRow
from bot.texts import join, tr

log = logging.getLogger(__name__)
SHEET_JUMPS = 20
# words a user may type during an exam instead of pressing the button of the same name
TYPED_COMMANDS = {"交卷": "h", "submit": "h", "hand in": "h", "确定交卷": "H", "答题卡": "s", "sheet": "s",
                  "上一题": "prev", "previous": "prev", "下一题": "next", "next": "next",
                  **{word: "v" for word in views.MATERIAL_WORDS}}  # at most this many "go to question" buttons on the answer sheet


def _points(value: float) -> str:
    return f"{round(value, 2):g}"  # a material's sub-question may carry a share such as 3.33


class ExamFlow:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.store = deps.storage
        self.catalog = deps.catalog
        self.official = OfficialExams(deps)
        self.certs = CertFlow(deps, Certificates(deps, self.official.org))
        self.fair = FairExams(deps)
        # exam id -> (the definition, catalog revision, what it may draw, what each blueprint line
        # may draw): filtering the whole bank for out-of-date citations, and then per line, on
        # every start cost more than the rest of starting an exam
        self._pools: dict[str, tuple[ExamDefinition, int, list[Question], list[list[Question]]]] = {}

    def _pool(self, definition: ExamDefinition) -> tuple[list[Question], list[list[Question]]]:
        """Catalog.exam_questions for this definition and its exam_rules.line_pools, kept until
        the questions or the definition change (the catalog's revision grows with every change
        of its questions)."""
        kept = self._pools.get(definition.id)
        if kept is not None and kept[0] is definition and kept[1] == self.catalog.revision:
            return kept[2], kept[3]
        pool = self.catalog.exam_questions(definition)
        lines = exam_rules.line_pools(definition, pool)
        self._pools[definition.id] = (definition, self.catalog.revision, pool, lines)
        return pool, lines

    # --- choosing and starting -------------------------------------------------------
    async def menu(self, turn: Turn) -> list[Reply]:
        open_attempt = await self.store.attempts.open_attempt_for(turn.user)
        if open_attempt is not None:
            expired = await self._expire_if_due(turn, open_attempt)
            if expired:
                return expired
            return [self._resume_prompt(turn, open_attempt)]
        rows = [[Choice(turn.t("official_label", title=d.title_for(turn.locale)), f"x:i:{d.id}")]
                for d, _gate in await self.official.visible(turn)]
        official = len(rows)
        rows += [[Choice(d.title_for(turn.locale), f"x:i:{d.id}")] for d in self.catalog.exams.values() if not d.official]
        rows.append([turn.choice("btn_menu", "m")])
        return [Reply(turn.t("exam_menu_with_official" if official else "exam_menu"), rows)]

    @staticmethod
    def _last_pos(turn: Turn, attempt: Attempt) -> int:
        """Where the user was in this paper (0 when their state is about something else)."""
        return int(turn.state.get("pos", 0)) if turn.state.get("attempt") == attempt.id else 0

    def _resume_prompt(self, turn: Turn, attempt: Attempt) -> Reply:
        definition = self.catalog.exams.get(attempt.exam_id)
        title = definition.title_for(turn.locale) if definition else attempt.exam_id
        remaining = views.format_duration(exam_rules.remaining_seconds(attempt, turn.now), turn.locale)
        text = turn.t("exam_resume", title=title, remaining=remaining,
                      answered=attempt.answered_count, count=len(attempt.paper))
        return Reply(text, [[turn.choice("btn_resume_exam", f"x:g:{attempt.id}:{self._last_pos(turn, attempt)}"),
                             turn.choice("btn_submit", f"x:h:{attempt.id}")]])

    async def in_progress(self, turn: Turn) -> Reply | None:
        """The exam this user has open (title, time left, answered) with 继续考试/交卷; None if none."""
        attempt = await self.store.attempts.open_attempt_for(turn.user)
        if attempt is None or exam_rules.is_expired(attempt, turn.now) or attempt.exam_id not in self.catalog.exams:
            return None
        return self._resume_prompt(turn, attempt)

    async def info(self, turn: Turn, exam_id: str) -> list[Reply] | None:
        definition = self.catalog.exams.get(exam_id)
        if definition is None:
            return None
        gate = await self.official.gate(turn, definition) if definition.official else None
        if gate is not None:  # the start's own rule (window, 补考 and its attempts, prerequisite)
            left, total = gate.attempts_left(definition)
            may_start = gate.decision.allowed
        else:
            left = exam_rules.attempts_left(definition, await self.store.attempts.count_attempts(turn.user, exam_id))
            total = definition.attempts_allowed
            may_start = left != 0
        attempts = (turn.t("attempts_unlimited") if left is None
                    else turn.t("attempts_left", left=left, total=total))
        if gate is not None:
            attempts += "\n" + self.official.describe(turn, definition, gate)
            if not gate.decision.allowed:
                attempts += "\n\n" + self.official.refusal(turn, definition, gate)
        elif not may_start:
            attempts += "\n\n" + turn.t("no_attempts_left", title=definition.title_for(turn.locale))
        text = turn.t("exam_info", title=definition.title_for(turn.locale), count=definition.question_count,
                      max_score=_points(definition.max_score), pass_mark=_points(definition.pass_mark),
                      minutes=definition.time_limit_minutes, attempts=attempts)
        if not may_start:  # the rules of sitting it only when it can be sat
            return [Reply(text, [[turn.choice("btn_back", "x:l"), turn.choice("btn_menu", "m")]])]
        rows = [[turn.choice("btn_start_exam", f"x:go:{exam_id}"), turn.choice("btn_back", "x:l")]]
        return [Reply(text + "\n" + turn.t("exam_rules"), rows)]

    async def start(self, turn: Turn, exam_id: str) -> list[Reply] | None:
        definition = self.catalog.exams.get(exam_id)
        if definition is None:
            return None
        open_attempt = await self.store.attempts.open_attempt_for(turn.user)
        if open_attempt is not None:  # a double tap on "start" resumes instead of starting twice
            expired = await self._expire_if_due(turn, open_attempt)
            if expired:
                return expired
            if open_attempt.exam_id != exam_id:
                other = self.catalog.exams.get(open_attempt.exam_id)
                title = other.title_for(turn.locale) if other else open_attempt.exam_id
                return [Reply(turn.t("exam_other_open", title=title), self._resume_prompt(turn, open_attempt).choices)]
            return await self.show(turn, open_attempt, self._last_pos(turn, open_attempt))
        gate = await self.official.gate(turn, definition) if definition.official else None
        if gate is not None and not gate.decision.allowed:
            return [Reply(self.official.refusal(turn, definition, gate), main_menu(turn))]
        used = 0 if gate else await self.store.attempts.count_attempts(turn.user, exam_id)
        if exam_rules.attempts_left(definition, used) == 0:
            return [menu_reply(turn, "no_attempts_left", title=definition.title_for(turn.locale))]
        try:
            pool, lines = self._pool(definition)
            paper = exam_rules.draw_paper(definition, pool, self.deps.rng, lines)
        except exam_rules.PaperError:
            log.exception("cannot draw exam %s", exam_id)
            return [menu_reply(turn, "exam_paper_error")]
        deadline = (self.official.deadline(turn.now, definition, gate) if gate
                    else turn.now + definition.time_limit_minutes * 60)
        attempt = await self.store.attempts.create_attempt(turn.user, exam_id, definition.kind, turn.now, deadline, paper)
        if gate is not None:
            await self.official.tag(attempt, gate)
        turn.clear_flow()
        turn.state.update(flow="exam", attempt=attempt.id, pos=0)
        return await self.show(turn, attempt, 0, edit=False)

    # --- the paper -------------------------------------------------------------------
    async def show(self, turn: Turn, attempt: Attempt, pos: int, edit: bool = True, note: str = "") -> list[Reply]:
        definition = self.catalog.exams[attempt.exam_id]
        pos = max(0, min(pos, len(attempt.paper) - 1))
        limit = definition.per_question_seconds
        shown = await self.fair.shown(attempt, definition)  # each question's clock (per_question_seconds)
        if limit and fairness.question_closed(shown.get(pos), limit, turn.now):
            return await self._move_on(turn, attempt, definition, pos, edit)
        shown = await self.fair.stamp(turn, attempt, definition, pos, shown)  # official exams: first shown
        if turn.flow() != "exam" or turn.state.get("attempt") != attempt.id:
            turn.clear_flow()
            turn.state.update(flow="exam", attempt=attempt.id)
        turn.state["pos"] = pos
        item = attempt.paper[pos]
        question = self.catalog.questions[item.qid]
        picked: Answer = attempt.answers.get(pos, frozenset())
        material = self.catalog.material_of(question)
        kind = views.type_name(question, turn.locale)
        if material is not None:
            kind = f"{views.sub_label(question, material, turn.locale)} · {kind}"
        head = turn.t("exam_head", title=definition.title_for(turn.locale), n=pos + 1, count=len(attempt.paper),
                      type=kind, points=_points(item.points),
                      remaining=views.format_duration(exam_rules.remaining_seconds(attempt, turn.now), turn.locale),
                      answered=attempt.answered_count)
        if limit and pos in shown:
            head += "\n" + turn.t("exam_question_clock", seconds=self.fair.seconds_left(attempt, definition, shown[pos],
                                                                                        turn.now))
        if note:
            head = note + "\n\n" + head
        body = views.question_body(question, turn.locale, order=item.order, picked=picked, hint="multi_hint_exam")
        if material is not None and material.subs[0].id == question.id:  # in full at its first part
            body = views.material_text(material, turn.locale) + "\n\n" + body
        if question.type is QType.FILL and is_given(picked):
            body += "\n\n" + turn.t("filled", answer=views.answer_text(question, picked, turn.locale))
        elif question.type is not QType.MULTIPLE and picked:
            body += "\n\n✓ " + views.answer_text(question, picked, turn.locale, item.order)
        prefix = f"x:m:{attempt.id}:{pos}:" if question.type is QType.MULTIPLE else f"x:a:{attempt.id}:{pos}:"
        rows = views.option_buttons(question, prefix, picked, item.order, turn.locale)
        if material is not None:
            rows.append([turn.choice("btn_material", f"x:v:{attempt.id}:{pos}")])
        if question.type in (QType.SINGLE, QType.JUDGE) and picked:
            chosen_display = {item.order.index(i) for i in picked}
            rows = [[Choice(("✓" + c.label) if int(c.action.rsplit(":", 1)[1]) in chosen_display else c.label, c.action)
                     for c in row] for row in rows]
        nav = []
        if pos > 0:
            nav.append(turn.choice("btn_prev", f"x:g:{attempt.id}:{pos - 1}"))
        if pos < len(attempt.paper) - 1:
            nav.append(turn.choice("btn_next_q", f"x:g:{attempt.id}:{pos + 1}"))
        rows.append(nav)
        rows.append([turn.choice("btn_sheet", f"x:s:{attempt.id}"), turn.choice("btn_submit", f"x:h:{attempt.id}")])
        turn.showing = f"exam:{attempt.id}"
        return [Reply(f"{head}\n\n{body}", [r for r in rows if r], edit=edit and turn.from_button)]

    def sheet(self, turn: Turn, attempt: Attempt) -> list[Reply]:
        marks = ["✓" if is_given(attempt.answers.get(i)) else "○" for i in range(len(attempt.paper))]
        lines = []
        for start in range(0, len(marks), 10):
            cells = " ".join(f"{start + k + 1:>3}{m}" for k, m in enumerate(marks[start:start + 10]))
            lines.append(cells)
        unanswered = attempt.unanswered()
        text = turn.t("sheet", grid="\n".join(lines), answered=len(attempt.paper) - len(unanswered),
                      count=len(attempt.paper))
        jumps = [Choice(turn.t("btn_goto", n=i + 1), f"x:g:{attempt.id}:{i}") for i in unanswered[:SHEET_JUMPS]]
        rows = [jumps[i:i + 5] for i in range(0, len(jumps), 5)]
        rows.append([turn.choice("btn_continue", f"x:g:{attempt.id}:{turn.state.get('pos', 0)}"),
                     turn.choice("btn_submit", f"x:h:{attempt.id}")])
        turn.showing = f"exam-sheet:{attempt.id}"  # the paper's words (交卷, 下一题…) still apply, not answers
        return [Reply(text, rows, edit=turn.from_button)]

    # --- answering -------------------------------------------------------------------
    async def answer(self, turn: Turn, attempt: Attempt, pos: int, chosen: Answer, advance: bool) -> list[Reply]:
        definition = self.catalog.exams[attempt.exam_id]
        limit = definition.per_question_seconds
        if limit and fairness.question_closed((await self.fair.shown(attempt, definition)).get(pos), limit, turn.now):
            return await self._move_on(turn, attempt, definition, pos, edit=True)  # too late: refused
        await self.store.attempts.save_answer(attempt.id, pos, chosen, turn.now)
        if is_given(chosen):  # the attempt in hand shows the answer too (storage keeps no cache)
            attempt.answers[pos] = chosen
        else:
            attempt.answers.pop(pos, None)
        next_pos = pos + 1 if advance and pos + 1 < len(attempt.paper) else pos
        return await self.show(turn, attempt, next_pos)

    async def _move_on(self, turn: Turn, attempt: Attempt, definition: ExamDefinition, pos: int,
                       edit: bool) -> list[Reply]:
        """Question `pos` is out of its own time: no answer is taken; on to the next question
        whose time has not run out, or hand in when none is left."""
        shown = await self.fair.shown(attempt, definition)
        note = turn.t("exam_question_time_up", n=pos + 1)
        nxt = fairness.next_open(len(attempt.paper), pos, shown, definition.per_question_seconds, turn.now)
        if nxt is None:
            return [Reply(note)] + await self.submit(turn, attempt, "submitted")
        return await self.show(turn, attempt, nxt, edit=edit, note=note)

    async def on_text(self, turn: Turn, text: str) -> list[Reply] | None:
        """A typed answer or button word for the paper on screen. With the paper not on screen
        (after the menu, another reply, a restart) it answers nothing: the paper is shown again."""
        word = TYPED_COMMANDS.get(text.strip().lower())
        if turn.flow() == "exam":
            attempt = await self.store.attempts.get_attempt(int(turn.state.get("attempt", 0)))
        elif turn.flow() is None and (word or views.looks_like_answer(text)):
            attempt = await self.store.attempts.open_attempt_for(turn.user)  # left with /cancel or the menu
        else:
            return None
        if attempt is None or attempt.user != turn.user:
            return None
        if not attempt.is_open:
            return [menu_reply(turn, "exam_closed")]
        expired = await self._expire_if_due(turn, attempt)
        if expired:
            return expired
        pos = self._last_pos(turn, attempt) if turn.state.get("attempt") == attempt.id else \
            next(iter(attempt.unanswered()), 0)
        on_paper = on_screen(turn, f"exam:{attempt.id}")
        if not (on_paper or (word is not None and on_screen(turn, f"exam-sheet:{attempt.id}"))):
            item = attempt.paper[pos]
            if word is None and views.parse_typed_answer(self.catalog.questions[item.qid], text, item.order) is None:
                return None
            note = self._resume_prompt(turn, attempt).text + "\n" + turn.t("exam_not_on_screen")
            return [Reply(note)] + await self.show(turn, attempt, pos, edit=False)
        if word is not None:  # text-only channels: the buttons' words typed out
            step = {"prev": -1, "next": 1}.get(word)
            parts = ["x", "g", str(attempt.id), str(max(0, pos + step))] if step else ["x", word, str(attempt.id)]
            if word == "v":
                parts.append(str(pos))
            return await self.on_action(turn, parts)
        item = attempt.paper[pos]
        question = self.catalog.questions[item.qid]
        chosen = views.parse_typed_answer(question, text, item.order)
        if chosen is None:
            if question.type is QType.FILL:
                return [Reply(turn.t("fill_count", n=len(question.blanks)))]
            hint = views.answer_hint(question, text, turn.locale)
            return [Reply(hint)] if hint else None
        return await self.answer(turn, attempt, pos, chosen, advance=True)

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        """x:<verb>:...; None when malformed, forged, or not this user's (the caller refuses)."""
        verb = parts[1] if len(parts) > 1 else ""
        if verb == "l" and len(parts) == 2:
            return await self.menu(turn)
        if verb == "i" and len(parts) == 3:
            return await self.info(turn, parts[2])
        if verb == "go" and len(parts) == 3:
            return await self.start(turn, parts[2])
        if len(parts) < 3 or not parts[2].isdigit():
            return None
        attempt = await self.store.attempts.get_attempt(int(parts[2]))
        if attempt is None or attempt.user != turn.user:
            log.warning("refused exam action %r from %s: not their attempt", ":".join(parts), turn.user)
            return None
        if verb == "r" and len(parts) == 4 and parts[3].isdigit():
            return self.review_wrong(turn, attempt, int(parts[3]))
        if not attempt.is_open:
            return [Reply(turn.t("exam_closed"), self._result_choices(turn, attempt))]
        expired = await self._expire_if_due(turn, attempt)
        if expired:
            return expired
        count = len(attempt.paper)
        if verb == "g" and len(parts) == 4 and parts[3].isdigit() and int(parts[3]) < count:
            return await self.show(turn, attempt, int(parts[3]))
        if verb == "s" and len(parts) == 3:
            return self.sheet(turn, attempt)
        if verb == "v" and len(parts) == 4 and parts[3].isdigit() and int(parts[3]) < count:
            question = self.catalog.questions[attempt.paper[int(parts[3])].qid]
            material = self.catalog.material_of(question)
            if material is None:  # "查看材料" typed on a question that has no case
                return [Reply(turn.t("question_no_material"))]
            return [Reply(views.material_text(material, turn.locale))] + await self.show(turn, attempt, int(parts[3]), edit=False)
        if verb == "h" and len(parts) == 3:
            unanswered = attempt.unanswered()
            if unanswered:
                listed = join(turn.locale, (i + 1 for i in unanswered[:15])) + ("…" if len(unanswered) > 15 else "")
                turn.showing = f"exam-sheet:{attempt.id}"
                return [Reply(turn.t("confirm_submit", n=len(unanswered), list=listed),
                              [[turn.choice("btn_confirm_submit", f"x:H:{attempt.id}"),
                                turn.choice("btn_continue", f"x:g:{attempt.id}:{unanswered[0]}")]], edit=turn.from_button)]
            return await self.submit(turn, attempt, "submitted")
        if verb == "H" and len(parts) == 3:
            return await self.submit(turn, attempt, "submitted")
        if verb in ("a", "m") and len(parts) == 5 and parts[3].isdigit() and parts[4].isdigit():
            pos, value = int(parts[3]), int(parts[4])
            if pos >= count:
                return None
            item = attempt.paper[pos]
            question = self.catalog.questions[item.qid]
            if verb == "a" and question.type in (QType.SINGLE, QType.JUDGE) and value < len(item.order):
                return await self.answer(turn, attempt, pos, frozenset({item.order[value]}), advance=True)
            if verb == "m" and question.type is QType.MULTIPLE:
                chosen = views.mask_to_set(value, question.option_count)
                if chosen is not None:
                    return await self.answer(turn, attempt, pos, chosen, advance=False)
        return None

    # --- ending ----------------------------------------------------------------------
    async def _expire_if_due(self, turn: Turn, attempt: Attempt) -> list[Reply] | None:
        if attempt.is_open and exam_rules.is_expired(attempt, turn.now):
            replies = await self.submit(turn, attempt, "expired")
            return [Reply(turn.t("exam_over_time"))] + replies
        return None

    async def finalize(self, attempt: Attempt, status: str, now: float) -> exam_rules.Grade | None:
        """Grade and close once; log answers for item analysis; missed questions go to the
        mistake notebook and the review schedule. None if it was already closed."""
        definition = self.catalog.exams.get(attempt.exam_id)
        if definition is None:
            log.error("attempt %s refers to unknown exam %s", attempt.id, attempt.exam_id)
            return None
        result = exam_rules.grade(attempt, definition, self.catalog.questions)
        closed_at = min(now, attempt.deadline) if status == "expired" else now
        if not await self.store.attempts.finish_attempt(attempt.id, status, closed_at, result.score, result.passed):
            return None
        attempt.status, attempt.submitted_at, attempt.score, attempt.passed = status, closed_at, result.score, result.passed
        if definition.official is not None:  # flags for admins (never a penalty), raised once per key
            await self.fair.on_handed_in(attempt, definition, now)
        wrong = set(result.wrong_positions)
        await self.store.practice.log_answers([
            AnswerLogRow(attempt.user, item.qid, pos not in wrong, None, "exam", attempt.id, now)
            for pos, item in enumerate(attempt.paper)])
        missed = list(dict.fromkeys(attempt.paper[pos].qid for pos in result.wrong_positions))
        await self.store.reviews.add_missed(attempt.user, missed, now)
        card_now = review.utc(now)
        known = await self.store.reviews.cards_for(attempt.user, missed)
        cards = []
        new_card: tuple[str, float] | None = None  # the same for every question missed for the first time
        for qid in missed:
            if qid in known:
                card, due = review.review(known[qid], False, card_now)
                cards.append((qid, card, due.timestamp()))
                continue
            if new_card is None:
                first = review.new_card_json(card_now)
                new_card = (first, review.due_of(first).timestamp())
            cards.append((qid, *new_card))
        await self.store.reviews.put_cards(attempt.user, cards)
        return result

    def result_text(self, locale: str, attempt: Attempt, result: exam_rules.Grade) -> str:
        definition = self.catalog.exams[attempt.exam_id]
        used = (attempt.submitted_at or attempt.deadline) - attempt.started_at
        return tr(locale, "result", title=definition.title_for(locale), score=_points(result.score),
                  max_score=_points(result.max_score), pass_mark=_points(definition.pass_mark),
                  verdict=tr(locale, "passed" if result.passed else "failed"), correct=result.correct,
                  total=result.total, used=views.format_duration(used, locale))

    def _result_choices(self, turn: Turn, attempt: Attempt) -> list[list[Choice]]:
        return [[turn.choice("btn_review_wrong", f"x:r:{attempt.id}:0"), turn.choice("btn_retry", f"x:i:{attempt.exam_id}")],
                [turn.choice("btn_menu", "m")]]

    async def submit(self, turn: Turn, attempt: Attempt, status: str) -> list[Reply]:
        result = await self.finalize(attempt, status, turn.now)
        if turn.state.get("attempt") == attempt.id:
            turn.clear_flow()
        if result is None:
            return [Reply(turn.t("exam_closed"), main_menu(turn))]
        return [Reply(self.result_text(turn.locale, attempt, result), self._result_choices(turn, attempt))] \
            + await self.certs.after_pass(turn, attempt, result.max_score)

    def review_wrong(self, turn: Turn, attempt: Attempt, k: int) -> list[Reply] | None:
        if attempt.is_open:
            return None
        definition = self.catalog.exams.get(attempt.exam_id)
        if definition is None:
            return None
        wrong = exam_rules.grade(attempt, definition, self.catalog.questions).wrong_positions
        if not wrong:
            return [Reply(turn.t("review_all_right"), main_menu(turn))]
        if k >= len(wrong):
            return None
        pos = wrong[k]
        item = attempt.paper[pos]
        question = self.catalog.questions[item.qid]
        material = self.catalog.material_of(question)
        text = "\n".join([
            turn.t("review_head", k=k + 1, n=len(wrong), pos=pos + 1), "",
            *([views.material_text(material, turn.locale), ""] if material is not None else []),
            views.question_body(question, turn.locale, order=item.order, hint=None), "",
            views.feedback(self.catalog.laws, question, attempt.answers.get(pos, frozenset()), turn.locale, item.order),
        ])
        nav = []
        if k > 0:
            nav.append(turn.choice("btn_prev", f"x:r:{attempt.id}:{k - 1}"))
        if k + 1 < len(wrong):
            nav.append(turn.choice("btn_next_q", f"x:r:{attempt.id}:{k + 1}"))
        return [Reply(text, [nav, [turn.choice("btn_menu", "m")]] if nav else [[turn.choice("btn_menu", "m")]],
                      edit=turn.from_button)]

    def leave(self, turn: Turn) -> list[Reply]:
        turn.clear_flow()
        return [menu_reply(turn, "exam_left")]

    # --- the deadline sweeper --------------------------------------------------------
    async def sweep(self, now: float, locale_of: Callable[[str], Awaitable[str]]) -> int:
        """Hand in every open attempt past its deadline and queue its result for the user.
        Runs periodically; each attempt is closed in its own transaction, exactly once."""
        closed = 0
        for attempt_id in await self.store.attempts.expired_open_attempts(now):
            async with self.store.atomic():
                attempt = await self.store.attempts.get_attempt(attempt_id)
                if attempt is None or not attempt.is_open:
                    continue
                result = await self.finalize(attempt, "expired", now)
                if result is None:
                    continue
                locale = await locale_of(attempt.user)
                text = tr(locale, "exam_over_time") + "\n\n" + self.result_text(locale, attempt, result)
                text += await self.certs.sweep_note(locale, attempt, result.max_score, now)
                payload = {"text": text, "choices": [[[tr(locale, "btn_review_wrong"), f"x:r:{attempt.id}:0"],
                                                      [tr(locale, "btn_menu"), "m"]]]}
                channel = attempt.user.split(":", 1)[0]
                await self.store.outbox.enqueue(channel, attempt.user, payload, f"exam-result:{attempt.id}", now)
                closed += 1
        return closed
