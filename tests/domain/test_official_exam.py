"""Official exam rules: window phases, eligibility order, makeup, prerequisite, final score."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import official_exam as rules
from bot.domain.models import BlueprintItem, ExamDefinition, OfficialSpec, Prerequisite, QType
from bot.domain.official_exam import Standing, StudyProgress, WindowOverride
from bot.domain.study import ActivityRule, day_number, day_points, streak

SPEC = OfficialSpec(opens=100, closes=200, makeup_opens=300, makeup_closes=400, makeup_attempts=1,
                    units=("city-a",), roles=(), prerequisite=Prerequisite(points=5))
EXAM = ExamDefinition("e", {"zh": "e"}, 30, 60, 2, (BlueprintItem(QType.JUDGE, 1, 100),), official=SPEC)
READY = StudyProgress(points=5)


def _decide(now, standing=Standing(), progress=READY, registered=True, target=True, spec=SPEC):
    return rules.decide(EXAM, spec, now, registered=registered, target=target, standing=standing, progress=progress)


def test_phases():
    assert [rules.phase_at(SPEC, t) for t in (99, 100, 199, 200, 299, 300, 399, 400)] == [
        "before", "open", "open", "between", "between", "makeup", "makeup", "closed"]
    assert rules.phase_at(replace(SPEC, makeup_opens=None, makeup_closes=None), 250) == "closed"


def test_window_override_moves_only_what_is_set():
    moved = rules.effective(SPEC, WindowOverride(opens=10, closes=20))
    assert (moved.opens, moved.closes, moved.makeup_opens) == (10, 20, 300)
    assert rules.effective(SPEC, None) is SPEC


def test_targets_by_unit_chain_and_role():
    assert rules.is_target(SPEC, ["dept-1", "city-a"], "公务员")
    assert not rules.is_target(SPEC, ["dept-9", "city-b"], "公务员")
    roles = replace(SPEC, units=(), roles=("领导干部",))
    assert rules.is_target(roles, ["x"], "领导干部") and not rules.is_target(roles, ["x"], "公务员")


def test_reasons_in_order():
    assert _decide(150, registered=False).reason == "official_need_bind"
    assert _decide(150, target=False).reason == "official_not_target"
    assert _decide(50).reason == "official_not_open"
    assert _decide(250).reason == "official_closed" and _decide(450).reason == "official_closed"
    assert _decide(150, progress=StudyProgress(points=4)).reason == "official_prereq"
    assert _decide(150, standing=Standing(regular_used=2)).reason == "official_no_attempts"
    ok = _decide(150, standing=Standing(regular_used=1))
    assert ok.allowed and ok.phase == "open"


def test_makeup_only_for_failed_or_missed():
    assert _decide(350, standing=Standing(regular_used=2, passed=True)).reason == "official_makeup_passed"
    assert _decide(350, standing=Standing(regular_used=2, passed=False)).allowed  # failed twice
    assert _decide(350, standing=Standing()).allowed  # missed it
    assert _decide(350, standing=Standing(makeup_used=1)).reason == "official_no_attempts"


def test_prerequisite_missing_lists_what_is_short():
    need = Prerequisite(points=10, practice_answers=5, study_days=0)
    assert rules.missing(need, StudyProgress(12, 3, 0)) == {"practice_answers": (3, 5)}
    assert rules.missing(need, StudyProgress(12, 5, 0)) == {}
    assert not Prerequisite().required


def test_final_result_best_or_last_and_deadline():
    attempts = [(1, 80.0, True), (2, 55.0, False), (3, None, None)]
    assert rules.final_result(attempts, "best") == (80.0, True)
    assert rules.final_result(attempts, "last") == (55.0, False)
    assert rules.final_result([], "best") is None
    assert rules.attempt_deadline(120, 30, SPEC) == 200  # capped at the window's end
    assert rules.attempt_deadline(100, 1, SPEC) == 160
    assert rules.attempt_deadline(390, 30, SPEC) == 400  # makeup window end


def test_study_points_caps_and_streak():
    assert day_points(30, ActivityRule(1, 20)) == 20 and day_points(3, ActivityRule(2, 0)) == 6
    assert day_points(5, ActivityRule(0, 10)) == 0
    assert day_number(16 * 3600, 8 * 3600) == 1  # 16:00 UTC on day 0 is the next day in Beijing
    assert streak({8, 9, 10}, 10) == 3 and streak({8, 9}, 10) == 2 and streak({7, 9}, 10) == 1
    assert streak(set(), 10) == 0
