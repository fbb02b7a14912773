"""Article references in what people type: "民法典 1254", "行政处罚法第三十三条", "《宪法》第一条"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.catalog.laws import Law, LawLibrary, short_name
from bot.domain.numerals import cn_to_int
from bot.search.text import normalize

_NUM = r"[0-9]+|[零〇一二三四五六七八九十百千万两]+"
_REF_RE = re.compile(rf"(第\s*(?:{_NUM})\s*条|第\s*[0-9]+|(?<![0-9])[0-9]+\s*条?)")
_LAWISH_RE = re.compile(r"(法|典|条例|规定|办法)$")
_STRIP = "《》<>〈〉\"'“”「」 :：,，。？?!！"
FUZZY_ACCEPT = 86  # rapidfuzz score at which a misspelt law name is taken as meant


@dataclass(frozen=True, slots=True)
class LawRef:
    law: Law | None  # None when the name did not resolve
    number: int | None  # None when no article number was given
    name: str  # the law name as typed


def resolve_law(laws: LawLibrary, typed: str) -> Law | None:
    """Exact short or full name, a name the text ends with, or a close misspelling."""
    name = normalize(typed).strip(_STRIP)
    if not name:
        return None
    found = laws.get(name)
    if found:
        return found
    for law in sorted(laws.laws.values(), key=lambda item: -len(item.short_name)):
        if name.endswith(law.short_name) and len(name) - len(law.short_name) <= 4:
            return law
    best = closest_laws(laws, name, 1)
    if best and best[0][1] >= FUZZY_ACCEPT and _LAWISH_RE.search(name):
        return laws.laws[best[0][0]]
    return None


def closest_laws(laws: LawLibrary, typed: str, limit: int = 3) -> list[tuple[str, float]]:
    """Law short names nearest to what was typed (rapidfuzz), best first."""
    from rapidfuzz import fuzz, process

    name = short_name(normalize(typed).strip(_STRIP))
    if not name:
        return []
    found = process.extract(name, laws.names(), scorer=fuzz.WRatio, limit=limit)
    return [(choice, score) for choice, score, _ in found]


def parse_ref(laws: LawLibrary, text: str) -> LawRef | None:
    """A law name followed by an article number, or a law name alone; None for other text."""
    text = normalize(text).strip(_STRIP)
    match = _REF_RE.search(text)
    if match is None:
        law = resolve_law(laws, text) if _LAWISH_RE.search(text) and len(text) <= 24 else None
        return LawRef(law, None, text) if law else None
    head = text[:match.start()].strip(_STRIP)
    if not head:
        return None
    number = cn_to_int(re.sub(r"[第条\s]", "", match.group(0)))
    law = resolve_law(laws, head)
    explicit = "第" in match.group(0) or "条" in match.group(0)
    if law is None and not (explicit and _LAWISH_RE.search(head)):
        return None  # "被拖欠3个月工资" is not a reference
    return LawRef(law, number, head)
