"""Leaderboard rules (masking, competition ranks, unit figures) and 学时 rules (idle cutoff, periods)."""

from __future__ import annotations

from pathlib import Path

from bot.domain.ranking import UnitFigures, competition_ranks, mask_name
from bot.domain.study_time import credit, day_start, format_hours, local_day, period_days

ZONE = "Asia/Shanghai"
REPO_EXAM = Path(__file__).resolve().parents[2] / "quizzes/exams/xuefa2026-shili.yaml"
JAN_1 = 1_767_225_600.0  # 2026-01-01T00:00Z: Thursday 08:00 in Beijing


def test_mask_name():
    assert mask_name("张三明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳晓明") == "欧**明"
    assert mask_name("张") == "*"


def test_competition_ranks_share_ties_and_skip():
    ranked = competition_ranks([("a", 3), ("b", 5), ("c", 3), ("d", 1)], key=lambda r: (r[1],))
    assert [(rank, name) for rank, (name, _) in ranked] == [(1, "b"), (2, "a"), (2, "c"), (4, "d")]


def test_unit_figures_rates_and_missing_values_sort_last():
    a = UnitFigures("a", roster=4, studied=2, points=6).merged(UnitFigures("a", score_sum=150.0, scores=2))
    assert (a.study_rate, a.points_per_person, a.average_score) == (0.5, 1.5, 75.0)
    empty = UnitFigures("b", roster=2)
    assert empty.average_score is None and empty.sort_key("score") < a.sort_key("score")


def test_credit_caps_idle_gaps():
    assert credit(None, 100.0, 300) == 0.0  # the first action of all
    assert credit(100.0, 160.0, 300) == 60.0
    assert credit(100.0, 5000.0, 300) == 300.0  # walked away
    assert credit(100.0, 50.0, 300) == 0.0  # a clock that went back


def test_hours_round_down_and_periods_are_local():
    assert format_hours(359) == "0.0" and format_hours(360) == "0.1" and format_hours(3599) == "0.9"
    today = local_day(JAN_1, ZONE)
    week = period_days("week", JAN_1, ZONE)
    assert week == (today - 3, today)  # Monday 2025-12-29
    assert period_days("month", JAN_1, ZONE) == (today, today) == period_days("year", JAN_1, ZONE)
    assert local_day(JAN_1 - 8 * 3600 - 1, ZONE) == today - 1  # 23:59:59 on Dec 31 in Beijing
    assert day_start(today, ZONE) == JAN_1 - 8 * 3600


def test_exam_yaml_study_hours_prerequisite(tmp_path):
    from bot.catalog.exams import load_exam_file
    from bot.domain.official_exam import StudyProgress, missing

    source = (tmp_path / "e.yaml")
    text = (REPO_EXAM.read_text(encoding="utf-8").replace("  points: 5", "  study_hours: 1.5"))
    source.write_text(text, encoding="utf-8")
    definition, problems = load_exam_file(source, "e.yaml")
    assert not problems and definition.official.prerequisite.study_hours == 1.5
    assert missing(definition.official.prerequisite, StudyProgress(study_hours=0.5)) == {"study_hours": (0.5, 1.5)}
    assert missing(definition.official.prerequisite, StudyProgress(study_hours=1.5)) == {}
    source.write_text(text.replace("study_hours: 1.5", "study_hours: lots"), encoding="utf-8")
    _definition, problems = load_exam_file(source, "e.yaml")
    assert any("study_hours" in str(p) for p in problems)
