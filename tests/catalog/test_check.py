"""`lawbot content check`: shipped content passes; broken fixtures fail with file:line: reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.catalog.check import check_content

REPO = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).parent / "fixtures" / "broken"


def _messages() -> list[str]:
    _, problems = check_content(BROKEN)
    return [str(p) for p in problems]


def test_each_broken_rule_is_reported_with_file_and_line():
    messages = _messages()
    expected = [
        ("quizzes/bank/broken.yaml:10:", "duplicate id ok-1"),
        ("quizzes/bank/broken.yaml:16:", "answer 'E' is not among the options"),
        ("quizzes/bank/broken.yaml:23:", "multiple-choice answer needs at least two correct options"),
        ("quizzes/bank/broken.yaml:30:", "cites 行政处罚法 article 900, which does not exist"),
        ("quizzes/bank/broken.yaml:36:", "cites unknown law '火星交通法'"),
        ("quizzes/bank/broken.yaml:42:", "empty explanation"),
        ("quizzes/bank/broken.yaml:48:", "explanation quotes “初次违法一律不予处罚”"),
        ("quizzes/bank/broken.yaml:54:", "options are not distinct"),
        ("quizzes/bank/broken.yaml:61:", "near-dup: stem nearly duplicates ok-1"),
        ("quizzes/bank/broken.yaml:68:", "unknown type 'essay'"),
        ("quizzes/bank/not-yaml.yaml:4:", "invalid YAML"),
        ("quizzes/exams/too-big.yaml:1:", "blueprint needs 50 judge questions, the bank has"),
    ]
    for prefix, reason in expected:
        assert any(m.startswith(prefix) and reason in m for m in messages), (prefix, reason, messages)


def test_cli_exits_non_zero_on_broken_content():
    result = subprocess.run([sys.executable, "-m", "bot", "content", "check", "--content", str(BROKEN)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 1
    assert "quizzes/bank/broken.yaml:16: bad-answer" not in result.stdout  # reasons, not ids, lead
    assert "quizzes/bank/broken.yaml:16:" in result.stdout


def test_shipped_content_passes():
    catalog, problems = check_content(REPO)
    assert problems == []
    assert len(catalog.questions) >= 100
    assert {"kemu1", "xuefa"} <= set(catalog.exams)


def test_every_shipped_question_cites_an_existing_article():
    catalog, _ = check_content(REPO)
    for q in catalog.questions.values():
        assert catalog.laws.article(q.cite.law, q.cite.article) is not None, q.id
