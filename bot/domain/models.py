"""Domain objects shared by every flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain import fill
from bot.domain.answers import Answer, is_given
from bot.domain.numerals import ArticleNo


class QType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    JUDGE = "judge"
    FILL = "fill"  # 填空: typed answers, one per blank
    MATERIAL = "material"  # 材料题: a case text and 2-5 single/multiple/judge sub-questions


TYPE_ALIASES = {
    "single": QType.SINGLE, "单选": QType.SINGLE, "单选题": QType.SINGLE, "单项选择题": QType.SINGLE,
    "multiple": QType.MULTIPLE, "多选": QType.MULTIPLE, "多选题": QType.MULTIPLE,
    "多项选择题": QType.MULTIPLE,
    "judge": QType.JUDGE, "判断": QType.JUDGE, "判断题": QType.JUDGE,
    "fill": QType.FILL, "填空": QType.FILL, "填空题": QType.FILL,
    "material": QType.MATERIAL, "材料": QType.MATERIAL, "材料题": QType.MATERIAL,
    "案例分析": QType.MATERIAL, "案例分析题": QType.MATERIAL,
}
CHOICE_TYPES = (QType.SINGLE, QType.MULTIPLE, QType.JUDGE)

LETTERS = "ABCDEFGH"


@dataclass(frozen=True, slots=True)
class Citation:
    law: str
    article: int | ArticleNo  # ArticleNo for an inserted article (刑法 133之一)


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: QType
    stem: str  # 材料题: the case text (材料)
    options: tuple[str, ...]  # empty for judge (正确 / 错误), fill and material
    answer: frozenset[int]  # option indexes; judge: {0} true, {1} false; empty for fill and material
    explanation: str  # may be empty for a material (each sub-question explains itself)
    cite: Citation  # a material: its first sub-question's
    tags: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    difficulty: int = 2
    origin: str = ""  # file:line, for messages
    blanks: tuple[tuple[str, ...], ...] = ()  # fill: accepted answers, per blank
    subs: tuple[Question, ...] = ()  # material: its sub-questions, in order
    parent: str = ""  # a material's sub-question: the material's id

    @property
    def option_count(self) -> int:
        if self.type is QType.JUDGE:
            return 2
        return len(self.options)

    def is_correct(self, chosen: Answer) -> bool:
        if self.type is QType.FILL:
            return isinstance(chosen, tuple) and all(fill.blank_results(self.blanks, chosen))
        return chosen == self.answer

    def credit(self, chosen: Answer, partial: bool = False) -> float:
        """The share of the points earned: 0 or 1, or per blank for a fill question when partial."""
        if self.type is QType.FILL and partial:
            return fill.share_right(self.blanks, chosen) if isinstance(chosen, tuple) else 0.0
        return 1.0 if self.is_correct(chosen) else 0.0


@dataclass(frozen=True, slots=True)
class BlueprintItem:
    type: QType
    count: int
    points: float  # material: per material, shared equally by its sub-questions
    tags: tuple[str, ...] = ()
    partial: bool = False  # fill: credit per blank


@dataclass(frozen=True, slots=True)
class Prerequisite:
    """What a user must have studied before an official exam opens to them (0 = not required)."""

    points: int = 0
    practice_answers: int = 0
    study_days: int = 0
    study_hours: float = 0  # 学时

    @property
    def required(self) -> bool:
        return bool(self.points or self.practice_answers or self.study_days or self.study_hours)


@dataclass(frozen=True, slots=True)
class OfficialSpec:
    """The rules that make an exam official (正式考试); times are epoch seconds."""

    opens: float
    closes: float
    makeup_opens: float | None = None  # 补考 window, for those who failed or missed it
    makeup_closes: float | None = None
    makeup_attempts: int = 1
    units: tuple[str, ...] = ()  # target units (and everything below them); empty = whole roster
    roles: tuple[str, ...] = ()  # target roles; empty = every role
    final_score: str = "best"  # best | last
    prerequisite: Prerequisite = Prerequisite()
    study_from: float | None = None  # study credit counts from here (default: all time)


@dataclass(frozen=True, slots=True)
class ExamDefinition:
    id: str
    title: dict[str, str]
    time_limit_minutes: int
    pass_mark: float
    attempts_allowed: int  # 0 = unlimited
    blueprint: tuple[BlueprintItem, ...]
    shuffle_options: bool = True
    origin: str = ""
    official: OfficialSpec | None = None  # None: a mock exam
    include_stale_laws: bool = False  # draw questions citing texts known to be out of date (status.yaml)
    per_question_seconds: int = 0  # official exams: each question's own time limit (0 = none)

    @property
    def kind(self) -> str:
        return "official" if self.official else "mock"

    @property
    def question_count(self) -> int:
        return sum(item.count for item in self.blueprint)

    @property
    def max_score(self) -> float:
        return sum(item.count * item.points for item in self.blueprint)

    @property
    def partial_fill(self) -> bool:
        """Fill questions earn credit per blank (the loader keeps all fill lines agreeing)."""
        return any(item.partial for item in self.blueprint if item.type is QType.FILL)

    def title_for(self, locale: str) -> str:
        return self.title.get(locale) or self.title.get("zh") or self.id


@dataclass(frozen=True, slots=True)
class PaperItem:
    """One question of a drawn paper: the display order of its options and its points."""

    qid: str
    order: tuple[int, ...]  # display position -> original option index
    points: float


@dataclass(slots=True)
class Attempt:
    id: int
    user: str
    exam_id: str
    started_at: float  # epoch seconds
    deadline: float
    paper: list[PaperItem]
    status: str = "open"  # open | submitted | expired
    answers: dict[int, Answer] = field(default_factory=dict)  # position -> original indexes or typed blanks
    submitted_at: float | None = None
    score: float | None = None
    passed: bool | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def answered_count(self) -> int:
        return sum(1 for chosen in self.answers.values() if is_given(chosen))

    def unanswered(self) -> list[int]:
        return [i for i in range(len(self.paper)) if not is_given(self.answers.get(i))]
