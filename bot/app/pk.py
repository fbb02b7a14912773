"""答题PK (/pk): matchmaking, a timed head-to-head match of the same questions, and the result.

State is in the database (bot/storage: PkRepository), never in a worker's memory. A player's
reply only reaches that player, so whatever the other player must see (the opponent's progress,
the next question, the result) is queued in the outbox in the same transaction. The sweeper
(`sweep`, run with the exam sweeper) starts robot matches for players who waited WAIT_SECONDS,
pairs players who joined at the same moment, and moves on matches whose question timed out.

Buttons: v:j join, v:c cancel waiting, v:a:<match>:<pos>:<option> answer, v:q:<match> leave,
v:r:<match> rematch."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.app import views
from bot.app.context import Turn, main_menu
from bot.app.messages import Choice, Reply
from bot.deps import Deps
from bot.domain import pk as rules
from bot.domain.models import QType, Question
from bot.services.org import Org
from bot.storage.ports import PkAnswer, PkMatch, PkQueueEntry
from bot.texts import tr

TYPES = (QType.SINGLE, QType.JUDGE)


@dataclass
class Out:
    """What one step of a match says to each player: text and buttons per player key."""
    texts: dict[str, list[str]] = field(default_factory=dict)
    choices: dict[str, list[list[Choice]]] = field(default_factory=dict)

    def say(self, user: str, text: str, choices: list[list[Choice]] | None = None) -> None:
        self.texts.setdefault(user, []).append(text)
        if choices is not None:
            self.choices[user] = choices


class PkFlow:
    def __init__(self, deps: Deps, org: Org):
        self.deps = deps
        self.store = deps.storage
        self.catalog = deps.catalog
        self.org = org

    # --- joining ---------------------------------------------------------------------
    async def command(self, turn: Turn, args: str) -> list[Reply]:
        if args.strip().lower() in ("quit", "leave", "退出", "认输"):
            match_id = await self.store.pk.active_match_of(turn.user)
            return await self.leave(turn, match_id) if match_id else await self.cancel(turn)
        return await self.join(turn)

    async def join(self, turn: Turn) -> list[Reply]:
        pk, user, now = self.store.pk, turn.user, turn.now
        turn.state["pk"] = 1
        match_id = await pk.active_match_of(user)
        if match_id is not None:
            return await self._show_current(turn, match_id)
        waiting = await pk.queued(user)
        if waiting is not None:
            if now - waiting.joined_at >= rules.WAIT_SECONDS and await pk.take_queued(user):
                return await self._start(turn, [(user, waiting.locale)], robot=True)
            return [Reply(turn.t("pk_still_waiting", seconds=int(now - waiting.joined_at)), self._wait_rows(turn))]
        if not self._pool():
            return [Reply(turn.t("pk_no_questions"), main_menu(turn))]
        entry = await self.org.entry(user)
        opponent = await pk.take_opponent(user, entry.unit_id if entry else None)
        if opponent is not None and await pk.active_match_of(opponent.user) is None:
            return await self._start(turn, [(opponent.user, opponent.locale), (user, turn.locale)])
        await pk.enqueue(PkQueueEntry(user, entry.unit_id if entry else None, turn.locale, now))
        return [Reply(turn.t("pk_waiting", wait=rules.WAIT_SECONDS), self._wait_rows(turn))]

    async def busy(self, turn: Turn) -> bool:
        """Whether the user waits for or plays a match (forgets a finished one)."""
        if "pk" not in turn.state:
            return False
        if await self.store.pk.active_match_of(turn.user) or await self.store.pk.queued(turn.user):
            return True
        turn.state.pop("pk", None)
        return False

    async def cancel(self, turn: Turn) -> list[Reply]:
        await self.store.pk.take_queued(turn.user)
        turn.state.pop("pk", None)
        return [Reply(turn.t("pk_cancelled"), main_menu(turn))]

    def _wait_rows(self, turn: Turn) -> list[list[Choice]]:
        return [[turn.choice("btn_pk_cancel", "v:c")]]

    def _pool(self) -> list[Question]:
        return [q for q in self.catalog.question_list if q.type in TYPES and not q.parent]

    async def _start(self, turn: Turn | None, players: list[tuple[str, str]], robot: bool = False,
                     now: float | None = None) -> list[Reply]:
        """A new match: the first question to every player (by reply to `turn`'s user, by the
        outbox to the others)."""
        now = turn.now if turn is not None else now
        assert now is not None, "_start needs a turn or a time"
        pool = self._pool()
        picked = self.deps.rng.sample(pool, min(rules.QUESTIONS, len(pool)))
        plan = None
        if robot:
            stats = await self.store.pk.answer_stats([q.id for q in picked])
            plan = []
            for q in picked:
                n, right, ms = stats.get(q.id, (0, 0, None))
                move = rules.robot_move(rules.AnswerStats(n, right, ms), len(q.stem), min(q.answer),
                                        q.option_count, self.deps.rng)
                plan.append([move.correct, move.ms, move.choice])
        match_id = await self.store.pk.create_match([q.id for q in picked], players, now, now + rules.SECONDS, plan)
        match = await self._match(match_id)
        out = Out()
        for p in match.players:
            opponent = tr(p.locale, "pk_robot" if robot else "pk_person")
            out.say(p.user, tr(p.locale, "pk_found", opponent=opponent, n=len(picked), seconds=rules.SECONDS))
            self._ask(out, match, p.user, p.locale)
        return await self._deliver(out, match, turn.user if turn else None, now, "start")

    # --- showing questions -----------------------------------------------------------
    def _question(self, match: PkMatch, pos: int) -> Question | None:
        return self.catalog.questions.get(match.questions[pos]) if pos < len(match.questions) else None

    def _ask(self, out: Out, match: PkMatch, user: str, locale: str) -> None:
        question = self._question(match, match.pos)
        if question is None:
            return
        head = tr(locale, "pk_question", k=match.pos + 1, n=len(match.questions),
                  type=views.type_name(question, locale), seconds=rules.SECONDS)
        body = views.question_body(question, locale)
        rows = views.option_buttons(question, f"v:a:{match.id}:{match.pos}:", frozenset(), None, locale)
        rows.append([Choice(tr(locale, "btn_pk_quit"), f"v:q:{match.id}")])
        out.say(user, f"{head}\n\n{body}\n\n{tr(locale, 'pk_typed_hint')}", rows)

    async def _match(self, match_id: int) -> PkMatch:
        """A match known to exist (just created, or named by the user's active match)."""
        match = await self.store.pk.get_match(match_id)
        if match is None:
            raise LookupError(f"pk match {match_id} not found")
        return match

    async def _show_current(self, turn: Turn, match_id: int) -> list[Reply]:
        match = await self._match(match_id)
        out = Out()
        answered = any(a.user == turn.user and a.pos == match.pos for a in await self.store.pk.answers(match_id))
        if answered:
            out.say(turn.user, turn.t("pk_already_answered"), [[turn.choice("btn_pk_quit", f"v:q:{match.id}")]])
        else:
            out.say(turn.user, turn.t("pk_in_match"))
            self._ask(out, match, turn.user, turn.locale)
        return self._replies(out, turn.user)

    # --- answering -------------------------------------------------------------------
    async def on_text(self, turn: Turn, text: str) -> list[Reply] | None:
        """A typed answer ('A', '对') to the question of the user's match; None otherwise."""
        if "pk" not in turn.state:
            return None
        match_id = await self.store.pk.active_match_of(turn.user)
        if match_id is None:
            if await self.store.pk.queued(turn.user) is None:
                turn.state.pop("pk", None)
            return None
        match = await self._match(match_id)
        question = self._question(match, match.pos)
        chosen = views.parse_typed_answer(question, text) if question is not None else None
        if not isinstance(chosen, frozenset) or len(chosen) != 1:
            return None
        return await self.answer(turn, match_id, match.pos, min(chosen))

    async def answer(self, turn: Turn, match_id: int, pos: int, choice: int) -> list[Reply]:
        pk, user, now = self.store.pk, turn.user, turn.now
        match = await pk.get_match(match_id, lock=True)
        if match is None or match.seat_of(user) is None:  # not this user's match
            return [Reply(turn.t("bad_action"))]
        if match.status != "active":
            return [Reply(turn.t("pk_over"), self._after_rows(turn.locale, match))]
        if pos != match.pos:
            return [Reply(turn.t("stale"))]
        question = self._question(match, pos)
        if question is None or not 0 <= choice < question.option_count:
            return [Reply(turn.t("stale"))]
        out = Out()
        if now > match.deadline:  # the sweeper has not got to it yet: the same as a timeout
            out.say(user, turn.t("pk_late", k=pos + 1))
            return await self._settle(match, now, out, user)
        ms = int((now - match.started_at) * 1000)
        correct = frozenset({choice}) == question.answer
        if not await pk.add_answer(match_id, PkAnswer(user, pos, choice, correct, ms), now):
            return [Reply(turn.t("pk_already_answered"))]
        answers = await pk.answers(match_id)
        if not self._all_answered(match, answers, pos):
            mark = turn.t("pk_right" if correct else "pk_wrong")
            out.say(user, turn.t("pk_answered", mark=mark, seconds=_s(ms)),
                    [[turn.choice("btn_pk_quit", f"v:q:{match.id}")]])
            for p in match.players:
                if p.user != user:
                    out.say(p.user, tr(p.locale, "pk_opponent_answered", k=pos + 1))
            return await self._deliver(out, match, user, now, f"{pos}:seen")
        return await self._settle(match, now, out, user)

    @staticmethod
    def _all_answered(match: PkMatch, answers: list[PkAnswer], pos: int) -> bool:
        done = {a.user for a in answers if a.pos == pos}
        return all(p.user in done for p in match.players)

    async def _settle(self, match: PkMatch, now: float, out: Out, actor: str | None) -> list[Reply]:
        """Close the current question (missing answers: timeouts; the robot's planned answer),
        then show everyone the round and the next question, or the result."""
        pk, pos = self.store.pk, match.pos
        for p in match.players:
            await pk.add_answer(match.id, PkAnswer(p.user, pos, -1, False, rules.SECONDS * 1000), now)
        if match.robot is not None:
            correct, ms, choice = match.robot[pos]
            await pk.add_answer(match.id, PkAnswer(rules.ROBOT, pos, int(choice), bool(correct), int(ms)), now)
        answers = await pk.answers(match.id)
        by = {(a.user, a.pos): a for a in answers}
        for p in match.players:
            other = self._opponent(match, p.user)
            out.say(p.user, tr(p.locale, "pk_round", k=pos + 1, mine=_mark(p.locale, by.get((p.user, pos))),
                               theirs=_mark(p.locale, by.get((other, pos)))))
        if pos + 1 < len(match.questions):
            if not await pk.advance(match.id, pos, now, now + rules.SECONDS):
                return self._replies(out, actor) if actor else []
            match = await self._match(match.id)
            for p in match.players:
                self._ask(out, match, p.user, p.locale)
            return await self._deliver(out, match, actor, now, f"{pos + 1}")
        return await self._finish(match, answers, now, out, actor, "done")

    def _opponent(self, match: PkMatch, user: str) -> str:
        if match.robot is not None:
            return rules.ROBOT
        return next((p.user for p in match.players if p.user != user), rules.ROBOT)

    # --- the end ---------------------------------------------------------------------
    async def _finish(self, match: PkMatch, answers: list[PkAnswer], now: float, out: Out, actor: str | None,
                      reason: str, loser: str | None = None) -> list[Reply]:
        seats = [p.user for p in match.players] + ([rules.ROBOT] if match.robot is not None else [])
        n = len(match.questions)
        scores = {u: rules.score({a.pos: rules.Mark(a.correct, a.ms) for a in answers if a.user == u}, n)
                  for u in seats}
        winner: str | None
        if loser is not None:
            winner = next(u for u in seats if u != loser)
        else:
            first = rules.winner(scores[seats[0]], scores[seats[1]])
            winner = None if first is None else seats[first]
        if not await self.store.pk.finish(match.id, now, winner, reason):
            return self._replies(out, actor) if actor else []
        for p in match.players:
            other = self._opponent(match, p.user)
            lines = []
            if reason == "quit":
                lines.append(tr(p.locale, "pk_quit_you" if p.user == loser else "pk_quit_other"))
            else:
                lines.append(tr(p.locale, "pk_win" if winner == p.user else "pk_draw" if winner is None else "pk_lose"))
            mine, theirs = scores[p.user], scores[other]
            lines.append(tr(p.locale, "pk_score", mine=mine.right, theirs=theirs.right, n=n,
                            mine_s=_s(mine.ms), theirs_s=_s(theirs.ms)))
            if winner == p.user:
                lines.append(await self._award(p.user, p.locale, match.id, now))
            lines.append(self._review(p.locale, match, answers, p.user, other))
            out.say(p.user, "\n\n".join(line for line in lines if line), self._after_rows(p.locale, match))
        return await self._deliver(out, match, actor, now, "end")

    async def _award(self, user: str, locale: str, match_id: int, now: float) -> str:
        """Record the win (study credit folds it in with its daily cap) and say what it earned."""
        rule = self.deps.config.study.pk
        offset = self.org.utc_offset(now)
        midnight = (now + offset) // 86_400 * 86_400 - offset
        before = await self.store.activity.activity_count(user, "pk_win", midnight)
        await self.store.activity.log_activity(user, "pk_win", f"pk:{match_id}", now)
        points = rules.win_points(before, rule.points, rule.daily_cap)
        if points:
            return tr(locale, "pk_points", points=points, cap=rule.daily_cap or "∞")
        return tr(locale, "pk_points_capped", cap=rule.daily_cap) if rule.points else ""

    def _review(self, locale: str, match: PkMatch, answers: list[PkAnswer], me: str, other: str) -> str:
        by = {(a.user, a.pos): a for a in answers}
        items = [tr(locale, "pk_review")]
        for pos, qid in enumerate(match.questions):
            q = self.catalog.questions.get(qid)
            if q is None:
                continue
            items.append(tr(locale, "pk_review_item", k=pos + 1, stem=q.stem,
                            answer=views.answer_text(q, q.answer, locale),
                            mine=_choice_text(q, by.get((me, pos)), locale),
                            theirs=_choice_text(q, by.get((other, pos)), locale), explanation=q.explanation))
        return "\n\n".join(items)

    def _after_rows(self, locale: str, match: PkMatch) -> list[list[Choice]]:
        return [[Choice(tr(locale, "btn_pk_again"), f"v:r:{match.id}"), Choice(tr(locale, "btn_pk_new"), "v:j")],
                [Choice(tr(locale, "btn_menu"), "m")]]

    async def leave(self, turn: Turn, match_id: int) -> list[Reply]:
        """The user leaves a running match: they lose, the other player is told and wins."""
        match = await self.store.pk.get_match(match_id, lock=True)
        if match is None or match.seat_of(turn.user) is None:  # not this user's match
            return [Reply(turn.t("bad_action"))]
        if match.status != "active":
            return [Reply(turn.t("pk_over"), self._after_rows(turn.locale, match))]
        turn.state.pop("pk", None)
        answers = await self.store.pk.answers(match_id)
        return await self._finish(match, answers, turn.now, Out(), turn.user, "quit", loser=turn.user)

    async def rematch(self, turn: Turn, match_id: int) -> list[Reply]:
        pk, user = self.store.pk, turn.user
        match = await pk.get_match(match_id, lock=True)
        if match is None or match.seat_of(user) is None:  # not this user's match
            return [Reply(turn.t("bad_action"))]
        if match.status == "active" or await pk.active_match_of(user) is not None:
            return await self.join(turn)
        turn.state["pk"] = 1
        await pk.take_queued(user)
        if match.robot is not None:
            return await self._start(turn, [(user, turn.locale)], robot=True)
        other = next(p for p in match.players if p.user != user)
        if await pk.active_match_of(other.user) is not None or await pk.queued(other.user) is not None:
            return [Reply(turn.t("pk_rematch_busy"), [[turn.choice("btn_pk_new", "v:j")]])]
        if other.rematch:
            players = [(p.user, turn.locale if p.user == user else p.locale) for p in match.players]
            return await self._start(turn, players)
        await pk.set_rematch(match_id, user)
        out = Out()
        out.say(user, turn.t("pk_rematch_sent"), [[turn.choice("btn_pk_new", "v:j"), turn.choice("btn_menu", "m")]])
        out.say(other.user, tr(other.locale, "pk_rematch_invite"),
                [[Choice(tr(other.locale, "btn_pk_accept"), f"v:r:{match_id}"), Choice(tr(other.locale, "btn_menu"), "m")]])
        return await self._deliver(out, match, user, turn.now, f"rematch:{user}")

    # --- buttons ---------------------------------------------------------------------
    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        verb, args = (parts[1] if len(parts) > 1 else ""), parts[2:]
        if verb == "j" and not args:
            return await self.join(turn)
        if verb == "c" and not args:
            return await self.cancel(turn)
        if not args or not all(a.isdigit() for a in args):
            return None
        match_id = int(args[0])
        if verb == "a" and len(args) == 3:
            return await self.answer(turn, match_id, int(args[1]), int(args[2]))
        if verb == "q" and len(args) == 1:
            return await self.leave(turn, match_id)
        if verb == "r" and len(args) == 1:
            return await self.rematch(turn, match_id)
        return None

    # --- delivery --------------------------------------------------------------------
    async def _deliver(self, out: Out, match: PkMatch, actor: str | None, now: float, step: str) -> list[Reply]:
        """The actor's part as replies; every other player's part queued in the outbox, once
        per match, step and player."""
        for user, texts in out.texts.items():
            if user == actor:
                continue
            rows = out.choices.get(user, [])
            payload = {"text": "\n\n".join(texts),
                       "choices": [[[c.label, c.action] for c in row] for row in rows]}
            channel = user.split(":", 1)[0]
            await self.store.outbox.enqueue(channel, user, payload, f"pk:{match.id}:{step}:{user}", now)
        return self._replies(out, actor) if actor else []

    @staticmethod
    def _replies(out: Out, user: str) -> list[Reply]:
        texts = out.texts.get(user, [])
        return [Reply("\n\n".join(texts), out.choices.get(user, []))] if texts else []

    # --- the sweeper -----------------------------------------------------------------
    async def sweep(self, now: float) -> int:
        """Pair waiting players, give the robot to those who waited WAIT_SECONDS, and move on
        every match whose question timed out; each in its own transaction. Returns the number
        of matches started or moved."""
        done = 0
        entries = await self.store.pk.waiting(now)
        for entry in entries:
            if len(entries) < 2 and now - entry.joined_at < rules.WAIT_SECONDS:
                continue  # alone and not waited long enough: nothing to do yet
            async with self.store.atomic():
                mine = await self.store.pk.take_queued(entry.user)
                if mine is None or await self.store.pk.active_match_of(entry.user) is not None:
                    continue
                opponent = await self.store.pk.take_opponent(entry.user, entry.unit_id)
                if opponent is not None and await self.store.pk.active_match_of(opponent.user) is None:
                    await self._start(None, [(mine.user, mine.locale), (opponent.user, opponent.locale)], now=now)
                elif now - mine.joined_at >= rules.WAIT_SECONDS:
                    await self._start(None, [(mine.user, mine.locale)], robot=True, now=now)
                else:
                    await self.store.pk.enqueue(mine)  # keeps its place: joined_at is unchanged
                    continue
                done += 1
        for match_id in await self.store.pk.overdue(now):
            async with self.store.atomic():
                match = await self.store.pk.get_match(match_id, lock=True)
                if match is None or match.status != "active" or match.deadline > now:
                    continue
                await self._settle(match, now, Out(), None)
                done += 1
        return done


def _s(ms: int) -> str:
    return f"{ms / 1000:.1f}"


def _mark(locale: str, answer: PkAnswer | None) -> str:
    if answer is None or answer.choice < 0:
        return tr(locale, "pk_timeout")
    return tr(locale, "pk_mark", mark="✅" if answer.correct else "❌", seconds=_s(answer.ms))


def _choice_text(question: Question, answer: PkAnswer | None, locale: str) -> str:
    if answer is None or answer.choice < 0:
        return tr(locale, "pk_timeout")
    return views.answer_text(question, frozenset({answer.choice}), locale)
