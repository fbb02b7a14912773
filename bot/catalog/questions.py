"""Question bank: YAML files in quizzes/bank/ -> Question objects, with file:line problems."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.catalog.laws import LawLibrary
from bot.catalog.yamlsrc import SourceError, line_of, load_yaml
from bot.domain import fill
from bot.domain.models import CHOICE_TYPES, LETTERS, TYPE_ALIASES, Citation, QType, Question
from bot.domain.numerals import ArticleNo, parse_article_ref

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
TRUE_WORDS = {"true", "对", "正确", "√", "✓", "✔", "t", "a", "yes", "是"}
FALSE_WORDS = {"false", "错", "错误", "×", "✗", "✘", "f", "b", "no", "否"}


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    reason: str
    field: str = ""  # the question field at fault (id, type, stem, options, answer, ...), for importers

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def parse_letters(value: str) -> list[int] | None:
    """'ACD', 'A,C,D', 'A、C', 'a c', full-width 'ＡＣＤ' -> [0, 2, 3]; None if anything else is there."""
    letters = re.sub(r"[\s,，、;；/]+", "", unicodedata.normalize("NFKC", value)).upper()
    if not letters or any(ch not in LETTERS for ch in letters):
        return None
    return [LETTERS.index(ch) for ch in letters]


def parse_judge(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    word = unicodedata.normalize("NFKC", str(value)).strip().lower()  # full-width Ｔ, ａ
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def parse_cite(value: Any) -> tuple[str, int | ArticleNo] | None:
    """{law: 刑法, article: 133之一} or "《刑法》第一百三十三条之一" -> ("刑法", article number);
    the article is an int, 第…条, or for an inserted article 133之一 / 第…条之一."""
    if isinstance(value, dict):
        law, article = value.get("law"), value.get("article")
        if not isinstance(law, str) or article is None:
            return None
        number = article if isinstance(article, int) else parse_article_ref(str(article))
        return (law.strip().strip("《》"), number) if number else None
    if isinstance(value, str):
        match = re.match(r"^《?([^》\s]+?)》?\s*(第.+条(?:之[一二三四五六七八九十]+)?|\d+(?:之[一二三四五六七八九十]+)?)$",
                         value.strip())
        if match:
            number = parse_article_ref(match.group(2))
            return (match.group(1), number) if number else None
    return None


SUBS_MIN, SUBS_MAX = 2, 5


def build_question(raw: Any, path: str, laws: LawLibrary | None, parent: dict | None = None,
                   position: int = 0) -> tuple[Question | None, list[Problem]]:
    """Validate one raw mapping; returns the question (if usable) and its problems. parent: the
    raw material a sub-question belongs to (position: its 1-based place there)."""
    line = line_of(raw, line_of(parent) if parent else 1)
    problems: list[Problem] = []
    where = f"sub-question {position}: " if parent is not None else ""

    def bad(reason: str, field: str = "") -> None:
        problems.append(Problem(path, line, where + reason, field))

    if not isinstance(raw, dict):
        bad("a question must be a mapping")
        return None, problems
    parent_id = str(parent.get("id", "")).strip() if parent is not None else ""
    qid = str(raw.get("id") or (f"{parent_id}.{position}" if parent is not None else "")).strip()
    if not ID_RE.match(qid):
        bad(f"missing or invalid id {qid!r} (letters, digits, - _ . ; at most 40)", "id")
    type_text = str(raw.get("type", "")).strip()
    qtype = TYPE_ALIASES.get(type_text.lower()) or TYPE_ALIASES.get(type_text)
    if qtype is None:
        bad(f"unknown type {raw.get('type')!r} (single, multiple, judge, fill or material)", "type")
    elif parent is not None and qtype not in CHOICE_TYPES:
        bad(f"a material's sub-question must be single, multiple or judge, not {qtype.value}", "type")
        qtype = None
    if qtype is QType.MATERIAL:
        return _build_material(raw, path, laws, qid, line, problems)
    stem = str(raw.get("stem") or "").strip()
    if not stem:
        bad("empty stem", "stem")
    explanation = str(raw.get("explanation") or "").strip()
    if not explanation:
        bad("empty explanation", "explanation")

    options: tuple[str, ...] = ()
    answer: frozenset[int] = frozenset()
    blanks: tuple[tuple[str, ...], ...] = ()
    raw_options = raw.get("options")
    if qtype is QType.FILL:
        if raw_options:
            bad("fill questions take no options", "options")
        stem = fill.canonical_stem(stem)
        blanks = _fill_blanks(raw, stem, bad)
    elif qtype is QType.JUDGE:
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

    citation = _citation(raw.get("cite") if raw.get("cite") is not None else (parent or {}).get("cite"), laws, bad)
    tags, audience, difficulty = _labels(raw, parent, bad)
    if problems or qtype is None or citation is None:
        return None, problems
    return Question(
        id=qid, type=qtype, stem=stem, options=options, answer=answer, explanation=explanation,
        cite=citation, tags=tags, audience=audience, difficulty=difficulty, origin=f"{path}:{line}",
        blanks=blanks, parent=parent_id,
    ), problems


def _fill_blanks(raw: dict, stem: str, bad) -> tuple[tuple[str, ...], ...]:
    """A fill question's accepted answers (answer: or answers:), checked against its blanks."""
    count = fill.blank_count(stem)
    if count == 0:
        bad(f"a fill stem needs at least one blank written {fill.BLANK}", "stem")
    value = raw.get("answers", raw.get("answer"))
    blanks = fill.parse_blanks(value)
    if not blanks or any(not alternatives for alternatives in blanks):
        bad(f"fill answer {value!r} needs accepted answers for every blank (e.g. 公示|公开；三日)", "answer")
        return ()
    if count and len(blanks) != count:
        bad(f"the stem has {count} blank(s) but the answer lists {len(blanks)}", "answer")
    for alternatives in blanks:
        for text in alternatives:
            if not fill.normalise(text):
                bad(f"accepted answer {text!r} is only punctuation or spaces", "answer")
            elif fill.TYPED_SEPARATORS.search(text):
                bad(f"accepted answer {text!r} contains a space or list punctuation, which separate "
                    f"blanks when typed", "answer")
            elif text.isdigit() and int(text) < 10 and len(blanks) == 1:
                bad(f"accepted answer {text!r} is a single digit, which text channels read as a button "
                    f"number when it is the whole reply (write 3日 or 三)", "answer")
    return tuple(tuple(alternatives) for alternatives in blanks)


def _citation(value: Any, laws: LawLibrary | None, bad) -> Citation | None:
    cite = parse_cite(value)
    if cite is None:
        bad("missing or malformed cite (law + article)", "cite")
        return None
    citation = Citation(*cite)
    if laws is None:
        return citation
    law = laws.get(citation.law)
    if law is None:
        bad(f"cites unknown law {citation.law!r}", "cite")
        return None
    if citation.article not in law.articles:
        bad(f"cites {citation.law} article {citation.article}, which does not exist "
            f"(the law has {law.max_article})", "cite")
        return None
    return Citation(law.short_name, citation.article)


def _labels(raw: dict, parent: dict | None, bad) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """tags, audience and difficulty (a sub-question inherits its material's)."""
    inherited = parent or {}
    tags = raw.get("tags", inherited.get("tags")) or []
    audience = raw.get("audience", inherited.get("audience")) or []
    if not isinstance(tags, list) or not isinstance(audience, list):
        bad("tags and audience must be lists", "tags")
        tags, audience = [], []
    unknown_audience = set(map(str, audience)) - {"civil_servant", "resident"}
    if unknown_audience:
        bad(f"unknown audience {sorted(unknown_audience)} (civil_servant, resident)", "audience")
    difficulty = raw.get("difficulty", inherited.get("difficulty", 2))
    if not isinstance(difficulty, int) or isinstance(difficulty, bool) or not 1 <= difficulty <= 5:
        bad(f"difficulty {difficulty!r} must be 1..5", "difficulty")
        difficulty = 2
    return tuple(map(str, tags)), tuple(map(str, audience)), difficulty


def _build_material(raw: dict, path: str, laws: LawLibrary | None, qid: str, line: int,
                    problems: list[Problem]) -> tuple[Question | None, list[Problem]]:
    """A 材料题: the case text (material: or stem:) and 2-5 single/multiple/judge sub-questions."""
    def bad(reason: str, field: str = "") -> None:
        problems.append(Problem(path, line, reason, field))

    text = str(raw.get("material") or raw.get("stem") or "").strip()
    if not text:
        bad("empty material (the case text)", "stem")
    if raw.get("options"):
        bad("a material takes no options (its sub-questions do)", "options")
    if len(qid) > 37:
        bad(f"material id {qid!r} is too long: its sub-questions add .N (at most 37)", "id")
    raw_subs = raw.get("subs")
    if not isinstance(raw_subs, list) or not SUBS_MIN <= len(raw_subs) <= SUBS_MAX:
        count = len(raw_subs) if isinstance(raw_subs, list) else 0
        bad(f"a material needs {SUBS_MIN} to {SUBS_MAX} sub-questions under subs:, got {count}", "subs")
        raw_subs = raw_subs if isinstance(raw_subs, list) else []
    subs: list[Question] = []
    for position, sub_raw in enumerate(raw_subs, start=1):
        sub, found = build_question(sub_raw, path, laws, parent=raw, position=position)
        problems.extend(found)
        if sub is not None:
            subs.append(sub)
    ids = [s.id for s in subs]
    if len(set(ids)) != len(ids):
        bad("sub-question ids repeat", "id")
    tags, audience, difficulty = _labels(raw, None, bad)
    if problems or not subs:
        return None, problems
    return Question(
        id=qid, type=QType.MATERIAL, stem=text, options=(), answer=frozenset(),
        explanation=str(raw.get("explanation") or "").strip(), cite=subs[0].cite, tags=tags,
        audience=audience, difficulty=difficulty, origin=f"{path}:{line}", subs=tuple(subs),
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
