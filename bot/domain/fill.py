"""Fill-in-the-blank (填空) rules: blanks in a stem, typed answers, normalised comparison."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

BLANK_RE = re.compile(r"_{3,}")  # a blank: three or more underscores (full-width ＿ folds to _ under NFKC)
BLANK = "____"
# what separates the blanks of a typed answer: white space and list punctuation
TYPED_SEPARATORS = re.compile(r"[\s;；|｜/／,，、]+")
ALTERNATIVE_SEPARATOR = re.compile(r"[|｜]")
BLANK_SEPARATOR = re.compile(r"[;；]")


def normalise(text: str) -> str:
    """The form answers are compared in: NFKC (full-width -> half-width), case-folded, without
    white space, punctuation or symbols."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZSC")


def canonical_stem(stem: str) -> str:
    """A stem with each blank written as ____ (full-width underscores folded)."""
    return BLANK_RE.sub(BLANK, stem.replace("＿", "_"))


def blank_count(stem: str) -> int:
    return len(BLANK_RE.findall(stem.replace("＿", "_")))


def numbered_stem(stem: str) -> str:
    """Blanks shown as ＿①＿, ＿②＿ … so a user knows which answer goes where."""
    marks = iter("①②③④⑤⑥⑦⑧⑨⑩")
    return BLANK_RE.sub(lambda _m: f"＿{next(marks, '？')}＿", canonical_stem(stem))


def split_typed(text: str, blanks: int) -> tuple[str, ...] | None:
    """What a user typed -> one answer per blank; None when the count does not match. A
    one-blank question takes the whole text."""
    text = text.strip()
    if not normalise(text):
        return None
    if blanks == 1:
        return (text,)
    parts = tuple(p for p in TYPED_SEPARATORS.split(text) if p)
    return parts if len(parts) == blanks else None


def blank_results(accepted: Sequence[Sequence[str]], given: Sequence[str]) -> list[bool]:
    """Per blank: does the given answer match one of the accepted ones (normalised)?"""
    results = []
    for i, alternatives in enumerate(accepted):
        typed = normalise(given[i]) if i < len(given) else ""
        results.append(bool(typed) and any(typed == normalise(a) for a in alternatives))
    return results


def share_right(accepted: Sequence[Sequence[str]], given: Sequence[str]) -> float:
    """The fraction of blanks answered right (partial credit)."""
    results = blank_results(accepted, given)
    return sum(results) / len(results) if results else 0.0


def parse_blanks(value: object) -> list[list[str]] | None:
    """Accepted answers as written in content: 'a|b；c' (blanks split by ；, alternatives by |),
    or a list with one entry per blank, each a text ('a|b') or a list of alternatives."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        items: list[object] = [p for p in BLANK_SEPARATOR.split(value)]
    elif isinstance(value, list):
        items = value
    else:
        return None
    blanks = []
    for item in items:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if isinstance(item, str):
            alternatives = [a.strip() for a in ALTERNATIVE_SEPARATOR.split(item)]
        elif isinstance(item, list) and all(isinstance(a, (str, int, float)) for a in item):
            alternatives = [str(a).strip() for a in item]
        else:
            return None
        blanks.append([a for a in alternatives if a])
    return blanks


def blanks_text(blanks: Sequence[Sequence[str]]) -> str:
    """The inverse of parse_blanks for one string: 'a|b；c'."""
    return "；".join("|".join(alternatives) for alternatives in blanks)
