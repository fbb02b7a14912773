"""The law library: statute files in content/laws/ parsed into articles, with the everyday names
people use for them (aliases.yaml) and the texts known to be out of date (status.yaml)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.domain.numerals import ARTICLE_RE, ArticleNo, article_no, cn_to_int

PREFIX = "中华人民共和国"
_DATE_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_ENACTED = ("通过", "修订", "修正", "修改", "公布", "发布", "决定")  # words of a dated line that made the text
SOURCE_FILE = "SOURCE.md"
_SOURCE_ROW = re.compile(r"^\|\s*([^|]+?\.md)\s*\|[^|]*\|\s*(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Article:
    law: str  # short name
    number: int | ArticleNo  # 1254, or ArticleNo(133, 1) for 第一百三十三条之一
    label: str  # 第一千二百五十四条, 第一百三十三条之一
    text: str  # the article, paragraphs joined by newlines, label included
    chapter: str = ""

    @property
    def body(self) -> str:
        return self.text[len(self.label):].strip()


@dataclass(frozen=True, slots=True)
class Staleness:
    """A shipped text that a later amendment changed (status.yaml); dates are ISO strings."""
    text_of: str
    amended: str
    in_force: str | None = None  # None: not confirmed
    renumbered: bool | None = None  # None: unknown


@dataclass(slots=True)
class Law:
    """A shipped statute. Its text is parsed on first use of `articles` or `revision` when the
    library was loaded lazily (the command line prints one article without parsing 80 laws)."""
    short_name: str
    title: str
    path: Path
    _revision: str | None = None  # last dated header line, e.g. 2021年1月22日
    _articles: dict[int | ArticleNo, Article] | None = None  # in file order
    aliases: tuple[str, ...] = ()
    stale: Staleness | None = None

    @property
    def articles(self) -> dict[int | ArticleNo, Article]:
        if self._articles is None:
            self._parse()
        return self._articles  # type: ignore[return-value]

    @property
    def revision(self) -> str:
        if self._revision is None:
            self._parse()
        return self._revision or ""

    def _parse(self) -> None:
        revision, articles = _parse_text(self.path, self.short_name)
        self._articles, self._revision = articles, revision

    @property
    def max_article(self) -> int:
        """The highest plain article number (刑法: 452; its 之一 articles are not counted)."""
        return max((int(n) for n in self.articles if isinstance(n, int)), default=0)


def short_name(title: str) -> str:
    title = title.strip()
    return title[len(PREFIX):] if title.startswith(PREFIX) and len(title) > len(PREFIX) else title


def parse_law(path: Path, lazy: bool = False) -> Law:
    """The law in a statute file; with lazy, only its title now and its text on first use."""
    law = Law(short_name=short_name(path.stem), title=_title(path), path=path)
    if not lazy:
        law._parse()
    return law


def _title(path: Path) -> str:
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    return first.splitlines()[0].lstrip("#").strip() if first else path.stem


def _parse_text(path: Path, name: str) -> tuple[str, dict[int | ArticleNo, Article]]:
    """(revision, articles) of a statute file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    articles: dict[int | ArticleNo, Article] = {}
    revision = ""
    in_header = True
    chapter = ""
    current: list[str] | None = None
    current_no: int | ArticleNo = 0
    current_label = ""
    current_chapter = ""

    def flush() -> None:
        if current is not None and current_no not in articles:
            articles[current_no] = Article(
                law=name, number=current_no, label=current_label,
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
                    revision = f"{y}年{int(m)}月{int(d)}日"
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
            sub = cn_to_int(match.group(2)) if match.group(2) else 0
            current_no = article_no(cn_to_int(match.group(1)) or 0, sub or 0)
            current_label = f"第{match.group(1)}条" + (f"之{match.group(2)}" if match.group(2) else "")
            current_chapter = chapter
            current = [raw.strip()]
        elif current is not None:
            current.append(line)
    flush()
    if not revision:  # a header without dated lines: the version date the source file is named by
        revision = _source_dates(path.parent).get(path.name, "")
    return revision, articles


@functools.cache
def _source_dates(directory: Path) -> dict[str, str]:
    """File name -> revision date from the table in the folder's SOURCE.md (the date in the
    upstream file name), e.g. {"法规规章备案审查条例.md": "2024年8月30日"}."""
    path = directory / SOURCE_FILE
    if not path.is_file():
        return {}
    dates: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _SOURCE_ROW.match(line)
        if match:
            name, y, m, d = match.groups()
            dates.setdefault(name.strip(), f"{y}年{int(m)}月{int(d)}日")
    return dates


ALIASES_FILE = "aliases.yaml"
STATUS_FILE = "status.yaml"


def _iso(value) -> str | None:
    return None if value in (None, "") else str(value)


def _flag(value) -> bool | None:
    return value if isinstance(value, bool) else None


class LawLibrary:
    """All shipped laws, by short name, with lookups by short name, full title or alias."""

    def __init__(self, laws: list[Law], not_included: dict[str, str] | None = None):
        self.laws: dict[str, Law] = {law.short_name: law for law in laws}
        self.aliases: dict[str, str] = {}
        for law in laws:
            for alias in law.aliases:
                self.aliases.setdefault(alias, law.short_name)
        self.not_included: dict[str, str] = dict(not_included or {})  # name -> reason

    @classmethod
    def load(cls, directory: Path, lazy: bool = False) -> LawLibrary:
        """Every statute file in the folder; with lazy, each law's text is parsed on first use."""
        files = [p for p in sorted(directory.glob("*.md")) if p.name != "SOURCE.md"]
        laws = [parse_law(p, lazy) for p in files]
        aliases, status = read_aliases(directory), read_status(directory)
        stale = {short_name(Path(str(e.get("file", ""))).stem): e for e in status.get("stale") or []
                 if isinstance(e, dict)}
        for law in laws:
            law.aliases = tuple(str(a) for a in aliases.get(law.short_name) or ())
            entry = stale.get(law.short_name)
            if entry:
                law.stale = Staleness(text_of=_iso(entry.get("text_of")) or "", amended=_iso(entry.get("amended")) or "",
                                      in_force=_iso(entry.get("in_force")), renumbered=_flag(entry.get("renumbered")))
        missing = {short_name(str(e.get("name", ""))): str(e.get("reason", ""))
                   for e in status.get("not_included") or [] if isinstance(e, dict) and e.get("name")}
        return cls(laws, missing)

    def get(self, name: str) -> Law | None:
        name = short_name(name.strip().strip("《》"))
        found = self.laws.get(name)
        if found is None and name in self.aliases:
            found = self.laws.get(self.aliases[name])
        return found

    def stale_names(self) -> frozenset[str]:
        """Short names of the shipped laws whose text is known to be out of date."""
        return frozenset(n for n, law in self.laws.items() if law.stale)

    def is_stale(self, name: str) -> bool:
        law = self.get(name)
        return bool(law and law.stale)

    def article(self, law: str, number: int | ArticleNo) -> Article | None:
        found = self.get(law)
        return found.articles.get(number) if found else None

    def names(self) -> list[str]:
        return list(self.laws)

    def all_names(self) -> list[str]:
        """Short names and aliases (what people may type)."""
        return list(self.laws) + list(self.aliases)


def read_aliases(directory: Path) -> dict[str, list]:
    path = directory / ALIASES_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return data if isinstance(data, dict) else {}


def read_status(directory: Path) -> dict:
    path = directory / STATUS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return data if isinstance(data, dict) else {}
