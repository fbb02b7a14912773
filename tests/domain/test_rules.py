"""Domain rules: numerals, paper drawing, grading, the mistake notebook, FSRS review."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import exam_rules, review
from bot.domain.models import Attempt, BlueprintItem, Citation, ExamDefinition, QType, Question
from bot.domain.numerals import cn_to_int, int_to_cn, parse_article_ref
from bot.domain.practice_rules import wrong_book_step


@pytest.mark.parametrize("text, number", [
    ("一", 1), ("十", 10), ("十五", 15), ("一百零一", 101), ("一百一十", 110), ("一千二百五十四", 1254),
    ("1254", 1254), ("１２５４", 1254), ("两百", 200),
])
def test_chinese_numerals(text, number):
    assert cn_to_int(text) == number


@pytest.mark.parametrize("text", ["", "abc", "第", "零", "一点五", "-3"])
def test_not_numbers(text):
    assert cn_to_int(text) is None


def test_round_trip_and_article_refs():
    for n in (1, 10, 11, 20, 99, 100, 101, 110, 999, 1000, 1010, 1260):
        assert cn_to_int(int_to_cn(n)) == n
    assert parse_article_ref("第三十三条") == 33
    assert parse_article_ref("第33条") == 33
    assert parse_article_ref("33") == 33
    assert parse_article_ref("第三十三款") is None


def _q(i: int, qtype: QType, tags=("甲法",)) -> Question:
    options = () if qtype is QType.JUDGE else ("a", "b", "c", "d")
    answer = frozenset({0, 2}) if qtype is QType.MULTIPLE else frozenset({1})
    return Question(id=f"q{i}", type=qtype, stem=f"题{i}", options=options, answer=answer, explanation="x",
                    cite=Citation("甲法", 1), tags=tags)


BANK = [_q(i, QType.SINGLE) for i in range(10)] + [_q(10 + i, QType.JUDGE) for i in range(6)] + \
       [_q(20 + i, QType.MULTIPLE, ("乙法",)) for i in range(4)]
EXAM = ExamDefinition(id="t", title={"zh": "测"}, time_limit_minutes=10, pass_mark=6, attempts_allowed=2,
                      blueprint=(BlueprintItem(QType.SINGLE, 5, 1), BlueprintItem(QType.JUDGE, 3, 1),
                                 BlueprintItem(QType.MULTIPLE, 2, 2, ("乙法",))))


def test_draw_paper_follows_the_blueprint_without_repeats():
    paper = exam_rules.draw_paper(EXAM, BANK, random.Random(1))
    types = [next(q for q in BANK if q.id == p.qid).type for p in paper]
    assert types == [QType.SINGLE] * 5 + [QType.JUDGE] * 3 + [QType.MULTIPLE] * 2
    assert len({p.qid for p in paper}) == 10
    assert all(sorted(p.order) == list(range(len(p.order))) for p in paper)
    judge_orders = [p.order for p, t in zip(paper, types, strict=True) if t is QType.JUDGE]
    assert all(order == (0, 1) for order in judge_orders)  # 正确/错误 keep their places


def test_kept_line_pools_draw_the_same_papers():
    pools = exam_rules.line_pools(EXAM, BANK)
    kept = [list(p) for p in pools]
    for seed in range(20):
        assert exam_rules.draw_paper(EXAM, BANK, random.Random(seed), pools) == \
            exam_rules.draw_paper(EXAM, BANK, random.Random(seed))
    assert pools == kept  # drawing leaves the kept pools as they were


def test_blueprint_that_the_bank_cannot_fill():
    greedy = ExamDefinition(id="g", title={"zh": "g"}, time_limit_minutes=1, pass_mark=1, attempts_allowed=0,
                            blueprint=(BlueprintItem(QType.MULTIPLE, 3, 1, ("甲法",)),))
    assert exam_rules.check_blueprint(greedy, BANK) == ["blueprint needs 3 multiple questions tagged 甲法, the bank has 0"]
    with pytest.raises(exam_rules.PaperError):
        exam_rules.draw_paper(greedy, BANK, random.Random(1))


def test_grading_is_all_or_nothing_and_uses_points():
    paper = exam_rules.draw_paper(EXAM, BANK, random.Random(2))
    bank = {q.id: q for q in BANK}
    attempt = Attempt(id=1, user="u", exam_id="t", started_at=0, deadline=600, paper=paper)
    for pos, item in enumerate(paper):
        attempt.answers[pos] = bank[item.qid].answer
    attempt.answers[9] = frozenset({0})  # half of a multiple: no points
    result = exam_rules.grade(attempt, EXAM, bank)
    assert (result.score, result.max_score, result.correct, result.wrong_positions) == (10, 12, 9, (9,))
    assert result.passed
    attempt.answers.clear()
    assert exam_rules.grade(attempt, EXAM, bank).score == 0


def test_timing_and_attempts():
    attempt = Attempt(id=1, user="u", exam_id="t", started_at=100, deadline=700, paper=[])
    assert exam_rules.remaining_seconds(attempt, 650) == 50
    assert not exam_rules.is_expired(attempt, 699.9) and exam_rules.is_expired(attempt, 700)
    assert exam_rules.attempts_left(EXAM, 1) == 1 and exam_rules.attempts_left(EXAM, 5) == 0


def test_wrong_book_streak():
    assert wrong_book_step(0, True, 2) == (1, False)
    assert wrong_book_step(1, True, 2) == (2, True)
    assert wrong_book_step(1, False, 2) == (0, False)


def test_fsrs_review_pushes_due_dates_out_when_right():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    card = review.new_card_json(now)
    first_due = review.due_of(card)
    assert now < first_due < now + timedelta(days=1)
    card, due = review.review(card, True, first_due)
    assert due > first_due
    card, again = review.review(card, False, due)
    assert again - due < due - first_due + timedelta(days=1)
