"""Case explainers (content/cases) and service guides (content/services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.catalog.laws import LawLibrary
from bot.catalog.questions import Problem, parse_cite
from bot.catalog.yamlsrc import SourceError, clean, line_of, load_yaml
from bot.domain.models import Citation

CASE_REQUIRED = ("id", "title", "topic", "facts", "question", "analysis", "cite", "takeaway")
SERVICE_REQUIRED = ("id", "name", "category", "audience", "materials", "steps", "time_limit", "fee",
                    "channels", "basis", "source", "last_verified")
PLACEHOLDERS: tuple[Literal["portal", "app", "hall", "city"], ...] = ("portal", "app", "hall", "city")
# Each term may carry <term>_cite: a list of the articles that set it ({law, article}, checked against
# the shipped texts; a plain string names a national text that is not shipped), or NO_NATIONAL_RULE.
TERMS = ("time_limit", "fee")
NO_NATIONAL_RULE = "no_national_rule"


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    title: str
    topic: str
    keywords: tuple[str, ...]
    facts: str
    question: str
    analysis: str
    cites: tuple[Citation, ...]
    takeaway: str
    quiz: tuple[str, ...]
    origin: str = ""


@dataclass(frozen=True, slots=True)
class ServiceGuide:
    id: str
    name: str
    aliases: tuple[str, ...]
    category: str
    data: dict[str, Any] = field(default_factory=dict)  # every field as written
    cites: tuple[Citation, ...] = ()
    last_verified: str = ""
    origin: str = ""
    term_cites: dict[str, tuple[Citation, ...]] = field(default_factory=dict)  # term -> articles that set it
    term_other: dict[str, tuple[str, ...]] = field(default_factory=dict)  # term -> national texts not shipped
    no_national_rule: frozenset[str] = frozenset()  # terms declared to be set locally, not nationally


def _cites(raw: Any, shown: str, line: int, laws: LawLibrary, problems: list[Problem]) -> tuple[Citation, ...]:
    out = []
    for entry in raw or []:
        parsed = parse_cite(entry)
        if parsed is None:
            problems.append(Problem(shown, line_of(entry, line), f"malformed citation {clean(entry)!r}"))
            continue
        law = laws.get(parsed[0])
        if law is None:
            problems.append(Problem(shown, line_of(entry, line), f"cites unknown law {parsed[0]!r}"))
        elif parsed[1] not in law.articles:
            problems.append(Problem(shown, line_of(entry, line),
                                    f"cites {parsed[0]} article {parsed[1]}, which does not exist"))
        else:
            out.append(Citation(law.short_name, parsed[1]))
    return tuple(out)


def _text_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value or [] if not isinstance(v, dict))


def load_case(path: Path, shown: str, laws: LawLibrary) -> tuple[Case | None, list[Problem]]:
    try:
        raw = load_yaml(path)
    except SourceError as exc:
        return None, [Problem(shown, exc.line, exc.reason)]
    if not isinstance(raw, dict):
        return None, [Problem(shown, 1, "a case file must be a mapping")]
    line = line_of(raw)
    problems = [Problem(shown, line, f"missing field {key}") for key in CASE_REQUIRED
                if not str(raw.get(key) or "").strip()]
    cites = _cites(raw.get("cite") if isinstance(raw.get("cite"), list) else [raw.get("cite")],
                   shown, line, laws, problems)
    if not cites and not problems:
        problems.append(Problem(shown, line, "a case needs at least one resolvable citation"))
    if problems:
        return None, problems
    return Case(
        id=str(raw["id"]), title=str(raw["title"]).strip(), topic=str(raw["topic"]).strip(),
        keywords=_text_list(raw.get("keywords")), facts=str(raw["facts"]).strip(),
        question=str(raw["question"]).strip(), analysis=str(raw["analysis"]).strip(), cites=cites,
        takeaway=str(raw["takeaway"]).strip(), quiz=_text_list(raw.get("quiz")), origin=f"{shown}:{line}",
    ), []


def load_service(path: Path, shown: str, laws: LawLibrary) -> tuple[ServiceGuide | None, list[Problem]]:
    try:
        raw = load_yaml(path)
    except SourceError as exc:
        return None, [Problem(shown, exc.line, exc.reason)]
    if not isinstance(raw, dict):
        return None, [Problem(shown, 1, "a service guide file must be a mapping")]
    line = line_of(raw)
    problems = [Problem(shown, line, f"missing field {key}") for key in SERVICE_REQUIRED if raw.get(key) in (None, "", [])]
    basis: dict[str, Any] = raw["basis"] if isinstance(raw.get("basis"), dict) else {}
    cites = _cites(basis.get("cite"), shown, line_of(basis, line), laws, problems)
    term_cites: dict[str, tuple[Citation, ...]] = {}
    term_other: dict[str, tuple[str, ...]] = {}
    no_rule = set()
    for term in TERMS:
        value = raw.get(f"{term}_cite")
        if value is None:
            continue
        if value == NO_NATIONAL_RULE:
            no_rule.add(term)
        elif isinstance(value, list) and value:
            term_cites[term] = _cites([v for v in value if isinstance(v, dict)], shown, line, laws, problems)
            if named := tuple(str(v).strip() for v in value if isinstance(v, str) and v.strip()):
                term_other[term] = named
        else:
            problems.append(Problem(shown, line_of(value, line),
                                    f"{term}_cite must be a list of citations or {NO_NATIONAL_RULE}"))
    verified = raw.get("last_verified")
    if verified is not None and not isinstance(verified, dt.date):
        try:
            dt.date.fromisoformat(str(verified))
        except ValueError:
            problems.append(Problem(shown, line, f"last_verified {verified!r} is not a date (YYYY-MM-DD)"))
    if problems:
        return None, problems
    data = clean(raw)
    return ServiceGuide(
        id=str(raw["id"]), name=str(raw["name"]).strip(), aliases=_text_list(raw.get("aliases")),
        category=str(raw["category"]).strip(), data=data, cites=cites, last_verified=str(verified),
        origin=f"{shown}:{line}", term_cites=term_cites, term_other=term_other,
        no_national_rule=frozenset(no_rule),
    ), []
