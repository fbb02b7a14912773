"""填空 rules: normalised comparison, typed answers split per blank, per-blank credit in grading."""

from __future__ import annotations

from bot.domain import answers, exam_rules, fill
from bot.domain.models import Attempt, BlueprintItem, Citation, ExamDefinition, PaperItem, QType, Question


def _fill(qid: str, blanks) -> Question:
    return Question(id=qid, type=QType.FILL, stem="，".join("____" for _ in blanks), options=(), answer=frozenset(),
                    explanation="x",
                    cite=Citation("行政处罚法", 36), blanks=tuple(tuple(b) for b in blanks))


def test_normalise_ignores_width_case_spaces_and_punctuation():
    assert fill.normalise("　２年。") == fill.normalise("2年") == "2年"
    assert fill.normalise("《 行政 许可 》") == "行政许可"
    assert fill.normalise("ＡＢｃ") == "abc"
    assert fill.normalise("百分之三") != fill.normalise("百分之五")


def test_typed_answer_split_per_blank():
    assert fill.split_typed("二年 五年", 2) == ("二年", "五年")
    assert fill.split_typed("二年；五年。", 2) == ("二年", "五年。")
    assert fill.split_typed("二年、五年", 2) == ("二年", "五年")
    assert fill.split_typed("二年", 2) is None and fill.split_typed("一 二 三", 2) is None
    assert fill.split_typed("警告，通报批评", 1) == ("警告，通报批评",)  # one blank takes the whole reply
    assert fill.split_typed("。。", 1) is None


def test_blanks_written_in_content():
    assert fill.parse_blanks("二年|两年；五年") == [["二年", "两年"], ["五年"]]
    assert fill.parse_blanks([["公正"], "公开|公布"]) == [["公正"], ["公开", "公布"]]
    assert fill.blanks_text([["二年", "两年"], ["五年"]]) == "二年|两年；五年"
    assert fill.blank_count("甲____乙＿＿＿丙__") == 2 and fill.canonical_stem("甲______乙") == "甲____乙"
    assert fill.numbered_stem("甲____乙____") == "甲＿①＿乙＿②＿"


def test_fill_correct_only_when_every_blank_matches():
    q = _fill("f1", [["二年", "两年"], ["五年"]])
    assert q.is_correct(("两 年", "五年！"))
    assert not q.is_correct(("两年", "十年")) and not q.is_correct(frozenset({0}))
    assert q.credit(("两年", "十年")) == 0.0 and q.credit(("两年", "十年"), partial=True) == 0.5


def test_exam_grading_partial_credit_per_blank_only_when_the_blueprint_says_so():
    q = _fill("f1", [["公正"], ["公开"], ["公平"], ["公示"]])
    judge = Question(id="j1", type=QType.JUDGE, stem="s", options=(), answer=frozenset({0}), explanation="x",
                     cite=Citation("行政处罚法", 5))
    bank = {"f1": q, "j1": judge}
    paper = [PaperItem("f1", (), 4.0), PaperItem("j1", (0, 1), 2.0)]
    attempt = Attempt(id=1, user="u", exam_id="e", started_at=0, deadline=60, paper=paper,
                      answers={0: ("公正", "公开", "公平", "错"), 1: frozenset({0})})

    def definition(partial: bool) -> ExamDefinition:
        return ExamDefinition(id="e", title={"zh": "e"}, time_limit_minutes=1, pass_mark=5, attempts_allowed=0,
                              blueprint=(BlueprintItem(QType.FILL, 1, 4.0, partial=partial),
                                         BlueprintItem(QType.JUDGE, 1, 2.0)))

    whole = exam_rules.grade(attempt, definition(False), bank)
    assert (whole.score, whole.correct, whole.wrong_positions, whole.passed) == (2.0, 1, (0,), False)
    partial = exam_rules.grade(attempt, definition(True), bank)
    assert (partial.score, partial.correct, partial.wrong_positions, partial.passed) == (5.0, 1, (0,), True)


def test_answers_round_trip_through_text():
    for value in (frozenset({0, 2}), frozenset(), ("二年", "五年"), ("含,逗号", "")):
        assert answers.decode(answers.encode(value)) == value
    assert answers.encode(frozenset({2, 0})) == "0,2"  # the stored form of choices is unchanged
    assert not answers.is_given(("", " ")) and answers.is_given(("", "x"))


def test_material_paper_takes_a_position_per_part_sharing_the_points():
    import random

    subs = tuple(Question(id=f"m.{k}", type=QType.JUDGE, stem=f"s{k}", options=(), answer=frozenset({0}),
                          explanation="x", cite=Citation("行政处罚法", 5), parent="m") for k in (1, 2, 3))
    material = Question(id="m", type=QType.MATERIAL, stem="案情", options=(), answer=frozenset(), explanation="",
                        cite=subs[0].cite, subs=subs)
    definition = ExamDefinition(id="e", title={"zh": "e"}, time_limit_minutes=1, pass_mark=1, attempts_allowed=0,
                                blueprint=(BlueprintItem(QType.MATERIAL, 1, 10.0),))
    paper = exam_rules.draw_paper(definition, [material, *subs], random.Random(1))
    assert [p.qid for p in paper] == ["m.1", "m.2", "m.3"]
    assert abs(sum(p.points for p in paper) - 10.0) < 1e-9
    bank = {q.id: q for q in (material, *subs)}
    attempt = Attempt(id=1, user="u", exam_id="e", started_at=0, deadline=60, paper=paper,
                      answers={0: frozenset({0}), 1: frozenset({1}), 2: frozenset({0})})
    result = exam_rules.grade(attempt, definition, bank)
    assert result.score == 6.67 and result.wrong_positions == (1,)
    assert exam_rules.check_blueprint(definition, [material, *subs]) == []
