"""Everything the bot serves, loaded once at start-up: laws, bank, exams, cases, guides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bot.catalog.exams import load_exam_file
from bot.catalog.guides import Case, ServiceGuide, load_case, load_service
from bot.catalog.laws import LawLibrary
from bot.catalog.questions import Problem, load_bank_file
from bot.domain.models import ExamDefinition, Question

_Guide = TypeVar("_Guide", Case, ServiceGuide)


@dataclass
class Catalog:
    root: Path
    laws: LawLibrary
    questions: dict[str, Question] = field(default_factory=dict)  # materials' sub-questions too
    exams: dict[str, ExamDefinition] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    services: dict[str, ServiceGuide] = field(default_factory=dict)
    # Questions retired in the console (storage.retired_questions): kept in `questions` for past
    # attempts, left out of question_list (nothing draws them). Replaced, never mutated in place.
    retired: frozenset[str] = frozenset()
    revision: int = 0  # grows with every change of the questions (flows rebuild their orders)

    @property
    def question_list(self) -> list[Question]:
        """The questions served on their own (a material's sub-questions come with it)."""
        retired = self.retired
        return [q for q in self.questions.values() if not q.parent and q.id not in retired]

    def cites_stale_law(self, question: Question) -> bool:
        """Whether the question (or one of its sub-questions) cites a text known to be out of date."""
        stale = self.laws.stale_names()
        return any(c.law in stale for c in [question.cite, *(s.cite for s in getattr(question, "subs", ()))])

    def exam_questions(self, definition: ExamDefinition) -> list[Question]:
        """What a mock or official exam may draw: questions citing an out-of-date text only when
        the exam definition says include_stale_laws: true."""
        if definition.include_stale_laws:
            return self.question_list
        return [q for q in self.question_list if not self.cites_stale_law(q)]

    def add_questions(self, questions: list[Question]) -> None:
        """Put imported questions into the running catalog: same id -> replaced in place, new -> at
        the end (as the merge into the bank file does, so the order matches a restart's)."""
        for q in questions:
            old = self.questions.get(q.id)
            for sub in old.subs if old else ():
                self.questions.pop(sub.id, None)
            self.questions[q.id] = q
            for sub in q.subs:
                self.questions[sub.id] = sub
        self.revision += 1

    def set_retired(self, ids: frozenset[str]) -> None:
        if ids != self.retired:
            self.retired = frozenset(ids)
            self.revision += 1

    def material_of(self, question: Question) -> Question | None:
        """The material a sub-question belongs to."""
        return self.questions.get(question.parent) if question.parent else None

    def law_tags(self) -> list[str]:
        """The first tag of each question is its law; ordered by bank size, largest first."""
        counts: dict[str, int] = {}
        for q in self.question_list:
            counts[q.cite.law] = counts.get(q.cite.law, 0) + 1
        return sorted(counts, key=lambda law: (-counts[law], law))


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def load_catalog(root: Path) -> tuple[Catalog, list[Problem]]:
    """Load all content under root; problems are returned, not raised (see check.py)."""
    problems: list[Problem] = []
    law_dir = root / "content" / "laws"
    if not law_dir.is_dir():
        return Catalog(root, LawLibrary([])), [Problem(str(law_dir), 0, "law directory not found")]
    catalog = Catalog(root=root, laws=LawLibrary.load(law_dir))

    for path in sorted((root / "quizzes" / "bank").glob("*.y*ml")):
        shown = _shown(path, root)
        questions, found = load_bank_file(path, catalog.laws, shown)
        problems.extend(found)
        for q in questions:
            clash = [part for part in (q, *q.subs) if part.id in catalog.questions]
            for part in clash:
                problems.append(Problem(shown, int(part.origin.rsplit(":", 1)[1]),
                                        f"duplicate id {part.id} (first at {catalog.questions[part.id].origin})"))
            if not clash:
                catalog.add_questions([q])

    for path in sorted((root / "quizzes" / "exams").glob("*.y*ml")):
        definition, found = load_exam_file(path, _shown(path, root))
        problems.extend(found)
        if definition:
            if definition.id in catalog.exams:
                problems.append(Problem(_shown(path, root), 1, f"duplicate exam id {definition.id}"))
            catalog.exams[definition.id] = definition

    _load_guides(root, "cases", load_case, catalog.cases, "id", catalog.laws, problems)
    _load_guides(root, "services", load_service, catalog.services, "name", catalog.laws, problems)
    return catalog, problems


def _load_guides(root: Path, folder: str, loader: Callable[[Path, str, LawLibrary], tuple[_Guide | None, list[Problem]]],
                 target: dict[str, _Guide], key: str, laws: LawLibrary, problems: list[Problem]) -> None:
    """Every content/<folder>/*.yaml into target by id; a repeated id or `key` is a problem, first kept."""
    seen: dict[str, str] = {}
    for path in sorted((root / "content" / folder).glob("*.y*ml")):
        shown = _shown(path, root)
        item, found = loader(path, shown, laws)
        problems.extend(found)
        if item is None:
            continue
        name = getattr(item, key)
        if item.id in target or name in seen:
            problems.append(Problem(shown, 1, f"duplicate {key} {name!r} (also in {seen.get(name, '?')})"))
            continue
        seen[name] = shown
        target[item.id] = item
