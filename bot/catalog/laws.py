"""The law library: statute files in content/laws/ parsed into articles."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.numerals import ARTICLE_RE, cn_to_int

PREFIX = "中华人民共和国"
_DATE_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_ENACTED = ("通过", "修订", "修正", "修改", "公布", "发布", "决定")  # words of a dated line that made the text
SOURCE_FILE = "SOURCE.md"
_SOURCE_ROW = re.compile(r"^\|\s*([^|]+?\.md)\s*\|[^|]*\|\s*(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Article:
    law: str  # short name
    number: int
    label: str  # 第一千二百五十四条
    text: str  # the article, paragraphs joined by newlines, label included
    chapter: str = ""

    @property
    def body(self) -> str:
        return self.text[len(self.label):].strip()


@dataclass(slots=True)
class Law:
    short_name: str
    title: str
    path: Path
    revision: str  # last dated header line, e.g. 2021年1月22日
    articles: dict[int, Article] = field(default_factory=dict)

    @property
    def max_article(self) -> int:
        return max(self.articles) if self.articles else 0


def short_name(title: str) -> str:
    title = title.strip()
    return title[len(PREFIX):] if title.startswith(PREFIX) and len(title) > len(PREFIX) else title


def parse_law(path: Path) -> Law:
    lines = path.read_text(encoding="utf-8").splitlines()
    title = lines[0].lstrip("#").strip() if lines else path.stem
    law = Law(short_name=short_name(path.stem), title=title, path=path, revision="")
    in_header = True
    chapter = ""
    current: list[str] | None = None
    current_no = 0
    current_label = ""
    current_chapter = ""

    def flush() -> None:
        if current is not None and current_no not in law.articles:
            law.articles[current_no] = Article(
                law=law.short_name, number=current_no, label=current_label,
                text="\n".join(current).strip(), chapter=current_chapter,
            )

    for raw in lines[1:]:
        raw = raw.replace("\u200b", "").replace("\ufeff", "")
        line = raw.strip().replace("\u3000", " ").strip()
        if in_header:
            if line.startswith("<!-- INFO END"):
                in_header = False
            elif line.startswith("# "):
                pass  # the Civil Code file joins several books, each with its own header
            else:
                dates = _DATE_RE.findall(line)
                if dates and (any(w in line for w in _ENACTED) or "施行" not in line):  # not "…施行" alone
                    y, m, d = dates[-1]
                    law.revision = f"{y}年{int(m)}月{int(d)}日"
            continue
        if line.startswith("# ") and not line.startswith("##"):
            in_header = True  # next book of the Civil Code
            continue
        if not line or line.startswith("<!--"):
            continue
        if line.startswith("#"):
            heading = " ".join(line.lstrip("#").split())
            if heading:
                chapter = heading
            continue
        match = ARTICLE_RE.match(raw.strip())
        if match:
            flush()
            current_no = cn_to_int(match.group(1)) or 0
            current_label = f"第{match.group(1)}条"
            current_chapter = chapter
            current = [raw.strip()]
        elif current is not None:
            current.append(line)
    flush()
    if not law.revision:  # a header without dated lines: the version date the source file is named by
        law.revision = _source_dates(path.parent).get(path.name, "")
    return law


@functools.cache
def _source_dates(directory: Path) -> dict[str, str]:
    """File name -> revision date from the table in the folder's SOURCE.md (the date in the
    upstream file name), e.g. {"法规规章备案审查条例.md": "2024年8月30日"}."""
    path = directory / SOURCE_FILE
    if not path.is_file():
        return {}
    dates = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _SOURCE_ROW.match(line)
        if match:
            name, y, m, d = match.groups()
            dates.setdefault(name.strip(), f"{y}年{int(m)}月{int(d)}日")
    return dates


class LawLibrary:
    """All shipped laws, by short name, with lookups."""

    def __init__(self, laws: list[Law]):
        self.laws: dict[str, Law] = {law.short_name: law for law in laws}

    @classmethod
    def load(cls, directory: Path) -> "LawLibrary":
        files = [p for p in sorted(directory.glob("*.md")) if p.name != "SOURCE.md"]
        return cls([parse_law(p) for p in files])

    def get(self, name: str) -> Law | None:
        name = name.strip().strip("《》")
        return self.laws.get(short_name(name))

    def article(self, law: str, number: int) -> Article | None:
        found = self.get(law)
        return found.articles.get(number) if found else None

    def names(self) -> list[str]:
        return list(self.laws)
