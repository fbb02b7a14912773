"""Domain objects shared by every flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class QType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    JUDGE = "judge"


TYPE_ALIASES = {
    "single": QType.SINGLE, "单选": QType.SINGLE, "单选题": QType.SINGLE, "单项选择题": QType.SINGLE,
    "multiple": QType.MULTIPLE, "多选": QType.MULTIPLE, "多选题": QType.MULTIPLE,
    "多项选择题": QType.MULTIPLE,
    "judge": QType.JUDGE, "判断": QType.JUDGE, "判断题": QType.JUDGE,
}

LETTERS = "ABCDEFGH"


@dataclass(frozen=True, slots=True)
class Citation:
    law: str
    article: int


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: QType
    stem: str
    options: tuple[str, ...]  # empty for judge: the two options are 正确 / 错误
    answer: frozenset[int]  # option indexes; judge: {0} true, {1} false
    explanation: str
    cite: Citation
    tags: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    difficulty: int = 2
    origin: str = ""  # file:line, for messages

    @property
    def option_count(self) -> int:
        return 2 if self.type is QType.JUDGE else len(self.options)

    def is_correct(self, chosen: frozenset[int]) -> bool:
        return chosen == self.answer


@dataclass(frozen=True, slots=True)
class BlueprintItem:
    type: QType
    count: int
    points: float
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prerequisite:
    """What a user must have studied before an official exam opens to them (0 = not required)."""

    points: int = 0
    practice_answers: int = 0
    study_days: int = 0

    @property
    def required(self) -> bool:
        return bool(self.points or self.practice_answers or self.study_days)


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

    @property
    def kind(self) -> str:
        return "official" if self.official else "mock"

    @property
    def question_count(self) -> int:
        return sum(item.count for item in self.blueprint)

    @property
    def max_score(self) -> float:
        return sum(item.count * item.points for item in self.blueprint)

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
    answers: dict[int, frozenset[int]] = field(default_factory=dict)  # position -> original indexes
    submitted_at: float | None = None
    score: float | None = None
    passed: bool | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def answered_count(self) -> int:
        return sum(1 for chosen in self.answers.values() if chosen)

    def unanswered(self) -> list[int]:
        return [i for i in range(len(self.paper)) if not self.answers.get(i)]
