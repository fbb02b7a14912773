"""Chinese numerals in article numbers (第一千二百五十四条 <-> 1254), and the numbers of
supplementary articles inserted by amendments (第一百三十三条之一 <-> ArticleNo(133, 1))."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, total_ordering

_CN_DIGITS = "零〇一二三四五六七八九十百千万两"
_SUB = "一二三四五六七八九十"
# an article's first line: 第一百三十三条 …, or 第一百三十三条之一 … for an inserted article
ARTICLE_RE = re.compile(rf"^第([零〇一二三四五六七八九十百千]+)条(?:之([{_SUB}]+))?\s")
_REF_RE = re.compile(rf"第?\s*([0-9０-９]+|[零〇一二三四五六七八九十百千万两]+)\s*条?(?:\s*之\s*([{_SUB}]+))?")


@total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class ArticleNo:
    """The number of an article inserted after another by an amendment: 133之一 is
    ArticleNo(133, 1). It sorts right after its base article (133 < 133之一 < 133之二 < 134),
    and with sub 0 it equals and hashes like the plain int, so dicts keyed by article number
    take either. Plain articles are numbered by plain ints throughout (see article_no)."""
    number: int
    sub: int = 0

    def _key(self) -> tuple[int, int]:
        return (self.number, self.sub)

    @staticmethod
    def _other(other: object) -> tuple[int, int] | None:
        if isinstance(other, ArticleNo):
            return other._key()
        if isinstance(other, int) and not isinstance(other, bool):
            return (other, 0)
        return None

    def __eq__(self, other: object) -> bool:
        key = self._other(other)
        return NotImplemented if key is None else self._key() == key

    def __lt__(self, other: object) -> bool:
        key = self._other(other)
        return NotImplemented if key is None else self._key() < key

    def __hash__(self) -> int:
        return hash(self.number) if self.sub == 0 else hash(self._key())

    def __str__(self) -> str:
        """The written form used in content and buttons: 133之一."""
        return f"{self.number}之{int_to_cn(self.sub)}" if self.sub else str(self.number)


def article_no(number: int, sub: int = 0) -> int | ArticleNo:
    """A plain int for a plain article, an ArticleNo for an inserted one."""
    return ArticleNo(number, sub) if sub else number


@lru_cache(maxsize=8192)  # pure; bank imports parse the same few thousand article numbers
def cn_to_int(text: str) -> int | None:
    """Parse '一千二百五十四', '1254' or '１２５４'; None when it is not a number."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        try:
            return int(text)
        except ValueError:
            return None
    if any(ch not in _CN_DIGITS for ch in text):
        return None
    plain = _plain_cn(text)
    if plain is not None:
        return plain
    import cn2an  # lazy: it takes ~0.2 s to import (its regexes); only unusual forms need it

    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return int(value) if float(value).is_integer() and value > 0 else None


_CN_VALUE = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}


def _plain_cn(text: str) -> int | None:
    """Numerals below ten thousand written the usual way (一千二百五十四, 一百零五, 十三, 两百),
    as statute labels write them; None for any other form (left to cn2an)."""
    total, digit, last_unit, zero = 0, None, 10_000, False
    for ch in text:
        if ch in "零〇":
            if digit is not None or zero or total == 0 or last_unit < 100:
                return None
            zero = True
        elif ch in _CN_VALUE:
            if digit is not None:
                return None  # 一二: digits in a row
            digit = _CN_VALUE[ch]
        elif ch in _CN_UNIT:
            unit = _CN_UNIT[ch]
            if unit >= last_unit or (zero and (digit is None or unit * 10 >= last_unit)):
                return None
            if digit is None:
                if unit != 10 or total:
                    return None
                digit = 1  # 十三
            total += digit * unit
            last_unit, digit, zero = unit, None, False
        else:
            return None
    if digit is not None:
        if zero is False and last_unit > 10 and total:  # 一百五: cn2an reads it as 150
            return None
        total += digit
    elif zero:
        return None
    return total or None


def int_to_cn(number: int) -> str:
    import cn2an

    return str(cn2an.an2cn(number))


def article_label(number: int | ArticleNo) -> str:
    """33 -> 第三十三条; ArticleNo(133, 1) -> 第一百三十三条之一."""
    if isinstance(number, ArticleNo) and number.sub:
        return f"第{int_to_cn(number.number)}条之{int_to_cn(number.sub)}"
    return f"第{int_to_cn(int(number.number if isinstance(number, ArticleNo) else number))}条"


def parse_article_ref(text: str) -> int | ArticleNo | None:
    """'第三十三条', '33', '第33条', '三十三' -> 33; '133之一', '第一百三十三条之一' ->
    ArticleNo(133, 1)."""
    match = _REF_RE.fullmatch(text.strip())
    if not match:
        return None
    number = cn_to_int(match.group(1))
    if number is None or not match.group(2):
        return number
    sub = cn_to_int(match.group(2))
    return article_no(number, sub) if sub else None
