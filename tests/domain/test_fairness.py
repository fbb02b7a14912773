"""Fair official exams: the per-question clock and the three flag rules (bot/domain/fairness.py)."""

from __future__ import annotations

import math

from bot.domain import fairness as f

RULES = f.Thresholds(reading_chars_per_second=12, long_stem_chars=100, fast_ratio=0.25, fast_min_answers=3,
                     identical_min_common=5, identical_max_chance=1e-4)


def test_a_question_closes_at_its_own_limit_and_the_paper_moves_to_the_next_open_one():
    assert not f.question_closed(None, 20, 1e9)  # never shown: its clock has not started
    assert not f.question_closed(100.0, 0, 1e9)  # no limit
    assert not f.question_closed(100.0, 20, 119.9)
    assert f.question_closed(100.0, 20, 120.0)
    assert f.question_ends(100.0, 20, attempt_deadline=110.0) == 110.0  # never past the paper's deadline
    shown = {0: 0.0, 1: 50.0, 2: 0.0}
    assert f.next_open(4, 0, shown, 20, now=60.0) == 1  # question 2 is still running
    assert f.next_open(4, 1, shown, 20, now=80.0) == 3  # 2 is closed, 3 never shown
    assert f.next_open(3, 2, shown, 20, now=80.0) is None  # every question's time has run out


def _timed(pos, chars, took):
    return f.Timed(pos, f"q{pos}", chars, 1000.0 + pos * 100, 1000.0 + pos * 100 + took)


def test_fast_answers_are_counted_on_long_questions_only_against_reading_time():
    # 240 characters read in 20 s; a quarter of that is 5 s
    items = [_timed(0, 240, 2.0), _timed(1, 240, 4.9), _timed(2, 240, 5.0), _timed(3, 60, 0.5), _timed(4, 360, 1.0)]
    fast = f.fast_answers(items, RULES)
    assert [x["n"] for x in fast] == [1, 2, 5]  # 5.0 s is not fast; a short question never is
    assert fast[0] == {"n": 1, "qid": "q0", "chars": 240, "reading_s": 20.0, "took_s": 2.0}
    evidence = f.fast_flag(items, RULES)
    assert evidence is not None and evidence["long"] == 4 and len(evidence["fast"]) == 3
    assert f.fast_flag(items[:2], RULES) is None  # two fast answers are below fast_min_answers


def _sheet(answers, start=0.0, step=30.0):
    return [f.Given(q, a, ok, start + i * step) for i, (q, a, ok) in enumerate(answers)]


def test_identical_sheets_in_the_same_order_with_shared_wrong_answers_are_flagged():
    answers = [(f"q{i}", "1" if i % 2 else "0", i % 2 == 0) for i in range(8)]  # four shared wrong answers
    odds = {f"q{i}": f.Odds(0.6, 3) for i in range(8)}
    evidence = f.identical_flag(_sheet(answers), _sheet(answers, start=5.0), odds, RULES)
    assert evidence is not None and evidence["common"] == 8 and evidence["same_wrong"] == 4
    assert math.isclose(evidence["chance"], 0.6 ** 4 * (0.4 / 3) ** 4, rel_tol=1e-3)


def test_what_knowledge_or_chance_explains_is_not_flagged():
    odds = {f"q{i}": f.Odds(0.9, 3) for i in range(10)}
    right = [(f"q{i}", "0", True) for i in range(10)]
    assert f.identical_flag(_sheet(right), _sheet(right), odds, RULES) is None  # 0.9¹⁰ ≈ 0.35: people who know
    wrong = [(f"q{i}", "1", False) for i in range(10)]
    reordered = _sheet(wrong)[::-1]
    reordered = [f.Given(g.qid, g.answer, g.correct, i * 30.0) for i, g in enumerate(reordered)]
    assert f.identical_flag(_sheet(wrong), reordered, odds, RULES) is None  # same answers, another order
    one_differs = wrong[:9] + [("q9", "2", False)]
    assert f.identical_flag(_sheet(wrong), _sheet(one_differs), odds, RULES) is None
    assert f.identical_flag(_sheet(wrong[:4]), _sheet(wrong[:4]), odds, RULES) is None  # too few in common


def test_papers_are_compared_by_question_not_by_position():
    shared = [("q1", "0", False), ("q2", "2", False), ("q3", "1", False), ("q4", "3", False), ("q5", "0", False),
              ("q6", "1", False)]
    a = _sheet(shared + [("x", "0", True)])
    b = _sheet([("y", "1", True)] + shared)  # another question first: every position differs
    evidence = f.identical_flag(a, b, {}, RULES)  # unknown questions: 50 % right, 3 wrong answers
    assert evidence is not None and evidence["common"] == 6
    assert evidence["questions"] == ["q1", "q2", "q3", "q4", "q5", "q6"]


def test_rate_and_wrong_answer_counts():
    assert f.smoothed_rate(0, 0) == 0.5
    assert f.smoothed_rate(98, 98) == 0.95 and f.smoothed_rate(98, 0) == 0.05
    assert (f.wrong_choices("judge", 2), f.wrong_choices("single", 4), f.wrong_choices("multiple", 4),
            f.wrong_choices("multiple", 6)) == (1, 3, 14, 30)


def test_a_bind_after_an_unbind_inside_the_window_is_a_rebind():
    events = [f.BindEvent(1, 7, "tg", "tg:1", "bind", 10.0),
              f.BindEvent(2, 7, "tg", "tg:1", "unbind", 105.0, "cli:admin"),
              f.BindEvent(3, 7, "wx", "wx:5", "bind", 106.0),  # first binding on WeChat: not a rebind
              f.BindEvent(4, 7, "tg", "tg:2", "bind", 110.0)]
    found = f.rebinds(events, opens=100.0, until=200.0)
    assert [(u.id, b.id) for u, b in found] == [(2, 4)]
    assert f.rebind_evidence(*found[0]) == {"platform": "tg", "old_account": "tg:1", "new_account": "tg:2",
                                            "unbound_at": 105.0, "unbound_by": "cli:admin", "bound_at": 110.0}
    assert f.rebinds(events, opens=120.0, until=200.0) == []  # bound again before the window opened
    assert f.rebinds(events, opens=100.0, until=109.0) == []  # after the hand-in
