"""Everything the bot serves, loaded once at start-up: laws, bank, exams, cases, guides."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.catalog.exams import load_exam_file
from bot.catalog.guides import Case, ServiceGuide, load_case, load_service
from bot.catalog.laws import LawLibrary
from bot.catalog.questions import Problem, load_bank_file
from bot.domain.models import ExamDefinition, Question


@dataclass
class Catalog:
    root: Path
    laws: LawLibrary
    questions: dict[str, Question] = field(default_factory=dict)
    exams: dict[str, ExamDefinition] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    services: dict[str, ServiceGuide] = field(default_factory=dict)

    @property
    def question_list(self) -> list[Question]:
        return list(self.questions.values())

    def add_questions(self, questions: list[Question]) -> None:
        """Put imported questions into the running catalog: same id -> replaced in place, new -> at
        the end (as the merge into the bank file does, so the order matches a restart's)."""
        for q in questions:
            self.questions[q.id] = q

    def law_tags(self) -> list[str]:
        """The first tag of each question is its law; ordered by bank size, largest first."""
        counts: dict[str, int] = {}
        for q in self.questions.values():
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
            if q.id in catalog.questions:
                problems.append(Problem(shown, int(q.origin.rsplit(":", 1)[1]),
                                        f"duplicate id {q.id} (first at {catalog.questions[q.id].origin})"))
            else:
                catalog.questions[q.id] = q

    for path in sorted((root / "quizzes" / "exams").glob("*.y*ml")):
        definition, found = load_exam_file(path, _shown(path, root))
        problems.extend(found)
        if definition:
            if definition.id in catalog.exams:
                problems.append(Problem(_shown(path, root), 1, f"duplicate exam id {definition.id}"))
            catalog.exams[definition.id] = definition

    for folder, loader, target, key in (
        ("cases", load_case, catalog.cases, "id"),
        ("services", load_service, catalog.services, "name"),
    ):
        seen: dict[str, str] = {}
        for path in sorted((root / "content" / folder).glob("*.y*ml")):
            shown = _shown(path, root)
            item, found = loader(path, shown, catalog.laws)
            problems.extend(found)
            if item is None:
                continue
            name = getattr(item, key)
            if item.id in target or name in seen:
                problems.append(Problem(shown, 1, f"duplicate {key} {name!r} (also in {seen.get(name, '?')})"))
                continue
            seen[name] = shown
            target[item.id] = item
    return catalog, problems
