"""Question bank: YAML files in quizzes/bank/ -> Question objects, with file:line problems."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.catalog.laws import LawLibrary
from bot.catalog.yamlsrc import SourceError, line_of, load_yaml
from bot.domain.models import LETTERS, TYPE_ALIASES, Citation, QType, Question
from bot.domain.numerals import parse_article_ref

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
TRUE_WORDS = {"true", "对", "正确", "√", "t", "a", "yes", "是"}
FALSE_WORDS = {"false", "错", "错误", "×", "f", "b", "no", "否"}


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    reason: str
    field: str = ""  # the question field at fault (id, type, stem, options, answer, ...), for importers

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def parse_letters(value: str) -> list[int] | None:
    """'ACD', 'A,C,D', 'A、C', 'a c' -> [0, 2, 3]; None if anything else is there."""
    letters = re.sub(r"[\s,，、;；/]+", "", value).upper()
    if not letters or any(ch not in LETTERS for ch in letters):
        return None
    return [LETTERS.index(ch) for ch in letters]


def parse_judge(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def parse_cite(value: Any) -> tuple[str, int] | None:
    if isinstance(value, dict):
        law, article = value.get("law"), value.get("article")
        if not isinstance(law, str) or article is None:
            return None
        number = article if isinstance(article, int) else parse_article_ref(str(article))
        return (law.strip().strip("《》"), number) if number else None
    if isinstance(value, str):
        match = re.match(r"^《?([^》\s]+?)》?\s*(第.+条|\d+)$", value.strip())
        if match:
            number = parse_article_ref(match.group(2))
            return (match.group(1), number) if number else None
    return None


def build_question(raw: Any, path: str, laws: LawLibrary | None) -> tuple[Question | None, list[Problem]]:
    """Validate one raw mapping; returns the question (if usable) and its problems."""
    line = line_of(raw)
    problems: list[Problem] = []

    def bad(reason: str, field: str = "") -> None:
        problems.append(Problem(path, line, reason, field))

    if not isinstance(raw, dict):
        bad("a question must be a mapping")
        return None, problems
    qid = str(raw.get("id", "")).strip()
    if not ID_RE.match(qid):
        bad(f"missing or invalid id {qid!r} (letters, digits, - _ . ; at most 40)", "id")
    qtype = TYPE_ALIASES.get(str(raw.get("type", "")).strip().lower()) or TYPE_ALIASES.get(
        str(raw.get("type", "")).strip())
    if qtype is None:
        bad(f"unknown type {raw.get('type')!r} (single, multiple or judge)", "type")
    stem = str(raw.get("stem") or "").strip()
    if not stem:
        bad("empty stem", "stem")
    explanation = str(raw.get("explanation") or "").strip()
    if not explanation:
        bad("empty explanation", "explanation")

    options: tuple[str, ...] = ()
    answer: frozenset[int] = frozenset()
    raw_options = raw.get("options")
    if qtype is QType.JUDGE:
        if raw_options:
            bad("judge questions take no options", "options")
        verdict = parse_judge(raw.get("answer"))
        if verdict is None:
            bad(f"judge answer {raw.get('answer')!r} must be true or false", "answer")
        else:
            answer = frozenset({0 if verdict else 1})
    elif qtype is not None:
        if not isinstance(raw_options, list) or not all(isinstance(o, (str, int, float)) for o in raw_options):
            bad("options must be a list of texts", "options")
        else:
            options = tuple(str(o).strip() for o in raw_options)
            if not 2 <= len(options) <= len(LETTERS):
                bad(f"{len(options)} options; 2 to {len(LETTERS)} allowed", "options")
            if any(not o for o in options):
                bad("an option is empty", "options")
            if len(set(options)) != len(options):
                bad("options are not distinct", "options")
        letters = parse_letters(str(raw.get("answer", "")))
        if letters is None:
            bad(f"answer {raw.get('answer')!r} is not option letters", "answer")
        else:
            if any(i >= len(options) for i in letters) and options:
                bad(f"answer {raw.get('answer')!r} is not among the options (A-{LETTERS[len(options) - 1]})", "answer")
            if len(set(letters)) != len(letters):
                bad("answer repeats a letter", "answer")
            answer = frozenset(letters)
            if qtype is QType.SINGLE and len(answer) != 1:
                bad("single-choice answer must be exactly one letter", "answer")
            if qtype is QType.MULTIPLE and len(answer) < 2:
                bad("multiple-choice answer needs at least two correct options", "answer")

    cite = parse_cite(raw.get("cite"))
    citation = None
    if cite is None:
        bad("missing or malformed cite (law + article)", "cite")
    else:
        citation = Citation(*cite)
        if laws is not None:
            law = laws.get(citation.law)
            if law is None:
                bad(f"cites unknown law {citation.law!r}", "cite")
            elif citation.article not in law.articles:
                bad(f"cites {citation.law} article {citation.article}, which does not exist "
                    f"(the law has {law.max_article})", "cite")

    tags = raw.get("tags") or []
    audience = raw.get("audience") or []
    if not isinstance(tags, list) or not isinstance(audience, list):
        bad("tags and audience must be lists", "tags")
        tags, audience = [], []
    unknown_audience = set(map(str, audience)) - {"civil_servant", "resident"}
    if unknown_audience:
        bad(f"unknown audience {sorted(unknown_audience)} (civil_servant, resident)", "audience")
    difficulty = raw.get("difficulty", 2)
    if not isinstance(difficulty, int) or not 1 <= difficulty <= 5:
        bad(f"difficulty {difficulty!r} must be 1..5", "difficulty")
        difficulty = 2

    if problems or qtype is None or citation is None:
        return None, problems
    if citation.law != (laws.get(citation.law).short_name if laws and laws.get(citation.law) else citation.law):
        citation = Citation(laws.get(citation.law).short_name, citation.article)
    return Question(
        id=qid, type=qtype, stem=stem, options=options, answer=answer, explanation=explanation,
        cite=citation, tags=tuple(map(str, tags)), audience=tuple(map(str, audience)),
        difficulty=difficulty, origin=f"{path}:{line}",
    ), problems


def load_bank_file(path: Path, laws: LawLibrary | None, shown: str) -> tuple[list[Question], list[Problem]]:
    try:
        data = load_yaml(path)
    except SourceError as exc:
        return [], [Problem(shown, exc.line, exc.reason)]
    if data is None:
        return [], [Problem(shown, 1, "empty file")]
    items = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return [], [Problem(shown, 1, "expected a mapping with a 'questions:' list")]
    questions, problems = [], []
    for raw in items:
        question, found = build_question(raw, shown, laws)
        problems.extend(found)
        if question:
            questions.append(question)
    return questions, problems
