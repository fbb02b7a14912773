"""答题PK rules: scoring (right answers, then time), the robot's accuracy and timing, win points."""

from __future__ import annotations

import random

from bot.domain import pk
from bot.domain.pk import AnswerStats, Mark, Score


def test_score_counts_right_answers_and_time_with_timeouts_as_the_limit():
    marks = {0: Mark(True, 3000), 1: Mark(False, 5000), 3: Mark(True, 25_000)}
    assert pk.score(marks) == Score(2, 3000 + 5000 + 20_000 + 20_000 + 20_000)


def test_more_right_answers_win_then_less_time_then_a_draw():
    assert pk.winner(Score(3, 90_000), Score(2, 10_000)) == 0
    assert pk.winner(Score(2, 10_000), Score(3, 90_000)) == 1
    assert pk.winner(Score(3, 30_000), Score(3, 29_999)) == 1
    assert pk.winner(Score(3, 30_000), Score(3, 30_000)) is None


def test_robot_accuracy_follows_real_answers_when_there_are_enough():
    assert pk.robot_accuracy(AnswerStats(100, 30)) == 0.3
    assert pk.robot_accuracy(AnswerStats(5, 0)) == pk.DEFAULT_ACCURACY  # too few answers
    assert pk.robot_accuracy(None) == pk.DEFAULT_ACCURACY
    assert pk.robot_accuracy(AnswerStats(100, 100)) == 0.95 and pk.robot_accuracy(AnswerStats(100, 0)) == 0.1


def test_robot_is_right_about_as_often_as_people_were():
    rng = random.Random(3)
    hard, easy = AnswerStats(200, 40), AnswerStats(200, 180)
    hard_right = sum(pk.robot_move(hard, 40, 1, 4, rng).correct for _ in range(2000)) / 2000
    easy_right = sum(pk.robot_move(easy, 40, 1, 4, rng).correct for _ in range(2000)) / 2000
    assert 0.16 < hard_right < 0.24 and 0.86 < easy_right < 0.94


def test_a_wrong_robot_picks_a_wrong_option_and_a_right_one_the_answer():
    rng = random.Random(1)
    for _ in range(200):
        move = pk.robot_move(AnswerStats(100, 50), 30, 2, 4, rng)
        assert (move.choice == 2) == move.correct and 0 <= move.choice < 4


def test_robot_time_is_plausible():
    rng = random.Random(2)
    known = [pk.robot_ms(AnswerStats(100, 50, 8000.0), 30, rng) for _ in range(500)]
    assert min(known) >= 5600 and max(known) <= 10_400  # people's mean ±30 %
    long_stem = [pk.robot_ms(None, 120, rng) for _ in range(200)]
    short_stem = [pk.robot_ms(None, 12, rng) for _ in range(200)]
    assert sum(long_stem) / 200 > sum(short_stem) / 200  # longer to read, longer to answer
    assert all(pk.ROBOT_MS_RANGE[0] <= t <= pk.ROBOT_MS_RANGE[1] for t in long_stem + short_stem)


def test_win_points_stop_at_the_daily_cap():
    assert [pk.win_points(n, 5, 15) for n in range(5)] == [5, 5, 5, 0, 0]
    assert pk.win_points(2, 4, 10) == 2  # the rest up to the cap
    assert pk.win_points(9, 5, 0) == 5 and pk.win_points(0, 0, 10) == 0
