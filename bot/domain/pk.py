"""答题PK rules: how a head-to-head match is scored and how the robot opponent plays.

Standard library only. A match is QUESTIONS questions, each open SECONDS seconds for both
players; more right answers win, then less total time (an unanswered question counts as wrong
and as the whole time limit)."""

from __future__ import annotations

import random
from dataclasses import dataclass

QUESTIONS = 5
SECONDS = 20  # per question
WAIT_SECONDS = 30  # in the queue before the robot steps in
ROBOT = "robot"  # the robot's player key
MIN_ANSWERS = 20  # fewer real answers to a question than this: the default accuracy
DEFAULT_ACCURACY = 0.6
ACCURACY_RANGE = (0.1, 0.95)  # the robot is never perfect and never hopeless
ROBOT_MS_RANGE = (2_000, 17_000)


@dataclass(frozen=True, slots=True)
class Mark:
    """One player's answer to one question: right or not, and how long it took (ms)."""
    correct: bool
    ms: int


@dataclass(frozen=True, slots=True)
class Score:
    right: int
    ms: int  # total time over all questions

    def seconds(self) -> float:
        return self.ms / 1000


def score(marks: dict[int, Mark], questions: int = QUESTIONS, limit_ms: int = SECONDS * 1000) -> Score:
    """A player's score over `questions` positions; a missing position is a timeout."""
    right = sum(1 for m in marks.values() if m.correct)
    ms = sum(min(marks[p].ms, limit_ms) if p in marks else limit_ms for p in range(questions))
    return Score(right, ms)


def winner(a: Score, b: Score) -> int | None:
    """0 when the first player wins, 1 when the second does, None for a draw."""
    if a.right != b.right:
        return 0 if a.right > b.right else 1
    if a.ms != b.ms:
        return 0 if a.ms < b.ms else 1
    return None


@dataclass(frozen=True, slots=True)
class AnswerStats:
    """Real answers to one question (practice, exams, daily question) and their mean time."""
    n: int
    n_correct: int
    mean_ms: float | None = None


def robot_accuracy(stats: AnswerStats | None, min_answers: int = MIN_ANSWERS,
                   default: float = DEFAULT_ACCURACY) -> float:
    """The chance the robot answers right: the question's real correct rate when enough people
    answered it, else the default; kept within ACCURACY_RANGE."""
    rate = default if stats is None or stats.n < min_answers else stats.n_correct / stats.n
    low, high = ACCURACY_RANGE
    return min(high, max(low, rate))


def robot_ms(stats: AnswerStats | None, stem_chars: int, rng: random.Random,
             min_answers: int = MIN_ANSWERS) -> int:
    """A plausible answer time: around people's mean time on this question when known, else
    reading time (about 12 characters a second plus 2 s to choose); ±30 % jitter."""
    if stats is not None and stats.n >= min_answers and stats.mean_ms:
        base = float(stats.mean_ms)
    else:
        base = 2_000 + stem_chars / 12 * 1_000
    low, high = ROBOT_MS_RANGE
    return int(min(high, max(low, base * rng.uniform(0.7, 1.3))))


@dataclass(frozen=True, slots=True)
class RobotMove:
    correct: bool
    ms: int
    choice: int  # the option index it picks


def robot_move(stats: AnswerStats | None, stem_chars: int, answer: int, options: int,
               rng: random.Random) -> RobotMove:
    """The robot's answer to one single-choice or judge question whose right option is `answer`."""
    correct = rng.random() < robot_accuracy(stats)
    choice = answer if correct or options < 2 else rng.choice([i for i in range(options) if i != answer])
    return RobotMove(choice == answer, robot_ms(stats, stem_chars, rng), choice)


def win_points(wins_before_today: int, points: int, daily_cap: int) -> int:
    """Points a win earns given how many wins were credited earlier today (0 = capped out)."""
    if points <= 0:
        return 0
    if not daily_cap:
        return points
    return max(0, min(points, daily_cap - wins_before_today * points))
