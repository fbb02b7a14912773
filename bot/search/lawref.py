"""Article references in what people type: "民法典 1254", "行政处罚法第三十三条", "《宪法》第一条"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.catalog.laws import Law, LawLibrary, short_name
from bot.domain.numerals import ArticleNo, parse_article_ref
from bot.search.text import normalize

_NUM = r"[0-9]+|[零〇一二三四五六七八九十百千万两]+"
_SUB = r"\s*之\s*[一二三四五六七八九十]+"  # 第一百三十三条之一, 133之一
_REF_RE = re.compile(rf"(第\s*(?:{_NUM})\s*条|第\s*[0-9]+|(?<![0-9])[0-9]+\s*条?"
                     rf"|(?<![零〇一二三四五六七八九十百千万两])[零〇一二三四五六七八九十百千万两]+条)(?:{_SUB})?")
# a law name and then only a number: bare Chinese numerals ("民法典 一千二百五十四"), or a number
# no article has ("民法典 -1", "民法典 1254.5"), which must not fall through to a keyword search
_BARE_CN_RE = re.compile(rf"^(.+?)\s*([零〇一二三四五六七八九十百千万两]+(?:{_SUB})?)$")
# (the text is normalized first: full-width －/． are already -/.; the minus sign U+2212 is not)
_BAD_NUM_RE = re.compile(r"^(.+?)\s*第?\s*([-−][0-9]+(?:\.[0-9]+)?|[0-9]+\.[0-9]+)\s*条?$")
_LAWISH_RE = re.compile(r"(法|典|条例|规定|办法|解释)$")
# what an unshipped law's name looks like: Han characters (and brackets), a statute suffix, no
# question words; "劳动仲裁的规定" or "离婚冷静期法律规定" are topics, not names
_NAME_RE = re.compile(r"^[\u4e00-\u9fff（）()]{2,40}$")
_NOT_A_NAME_RE = re.compile(r"(的|法律规定|相关规定|有关规定|哪些|什么|怎么|吗|呢|是否|哪条)")
# a question that ends in a word with 法 in it is no statute's name: "这样扣工资合不合法",
# "开除我犯法", "有啥办法" (but "诉讼费用交纳办法" is a name)
_NOT_A_NAME_END_RE = re.compile(r"((合|违|犯|非|不|守|方|想|做|说|看|用|写|没|无|设)法"
                                r"|(没|有|啥|好|个|些|别|其他|这|那)办法)$")
_STRIP = "《》<>〈〉\"'“”「」 :：,，。？?!！"
FUZZY_ACCEPT = 86  # rapidfuzz score at which a misspelt law name is taken as meant


@dataclass(frozen=True, slots=True)
class LawRef:
    law: Law | None  # None when the name did not resolve
    number: int | ArticleNo | None  # None when no article number was given
    name: str  # the law name as typed
    bad_number: str = ""  # a number typed where the article's goes that no article has: "-1", "1254.5"


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
    for alias, target in sorted(laws.aliases.items(), key=lambda item: -len(item[0])):
        if len(alias) >= 3 and name.endswith(alias) and len(name) - len(alias) <= 4:
            return laws.laws.get(target)
    best = closest_laws(laws, name, 1)
    if best and best[0][1] >= FUZZY_ACCEPT and _LAWISH_RE.search(name) and not _part_of_another(laws, name, best[0][0]):
        return laws.laws[best[0][0]]
    return None


def _part_of_another(laws: LawLibrary, typed: str, target: str) -> bool:
    """"合同法" inside "劳动合同法": a shorter name that another law's name contains is another
    law (here the repealed Contract Law), not a misspelling of the longer one."""
    names = [target, *(alias for alias, law in laws.aliases.items() if law == target)]
    return any(typed in name and len(typed) < len(name) for name in names)


def looks_like_law_name(text: str) -> bool:
    """A statute's name as people type it ("刑事诉讼法", "婚姻登记条例"), not a topic phrase."""
    name = short_name(normalize(text).strip(_STRIP))
    if name.startswith(("最高人民法院", "关于")):
        return bool(_LAWISH_RE.search(name)) and len(name) <= 60
    return bool(_NAME_RE.match(name) and _LAWISH_RE.search(name) and not _NOT_A_NAME_RE.search(name)
                and not _NOT_A_NAME_END_RE.search(name))


def closest_laws(laws: LawLibrary, typed: str, limit: int = 3, cutoff: float = 0) -> list[tuple[str, float]]:
    """Shipped laws (short names) nearest to what was typed, by short name or alias (rapidfuzz),
    best first, each law once."""
    from rapidfuzz import fuzz, process

    name = short_name(normalize(typed).strip(_STRIP))
    if not name:
        return []
    names = laws.all_names()
    found = process.extract(name, names, scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=cutoff)
    out: dict[str, float] = {}
    for choice, score, _ in found:
        target = laws.aliases.get(choice, choice)
        if target not in out and len(out) < limit:
            out[target] = score
    return list(out.items())


def parse_ref(laws: LawLibrary, text: str) -> LawRef | None:
    """A law name followed by an article number, or a law name alone; None for other text."""
    text = normalize(text).strip(_STRIP)
    if odd := _odd_number_ref(laws, text):
        return odd
    match = _REF_RE.search(text)
    if match is None:
        law = resolve_law(laws, text) if _LAWISH_RE.search(text) and len(text) <= 24 else None
        if law is None and looks_like_law_name(text):
            return LawRef(None, None, text)  # a law that is not shipped
        return LawRef(law, None, text) if law else None
    head = text[:match.start()].strip(_STRIP)
    if not head:
        return None
    number = parse_article_ref(re.sub(r"\s", "", match.group(0)))
    law = resolve_law(laws, head)
    if law is None and not looks_like_law_name(head):
        return None  # "被拖欠3个月工资" is not a reference
    return LawRef(law, number, head)


def _odd_number_ref(laws: LawLibrary, text: str) -> LawRef | None:
    """A shipped law's name followed by bare Chinese numerals (an article number), or by a
    negative or fractional number (bad_number); None for anything else."""
    for pattern in (_BARE_CN_RE, _BAD_NUM_RE):
        match = pattern.match(text)
        if match is None:
            continue
        head = match.group(1).strip(_STRIP)
        law = resolve_law(laws, head) if head else None
        if law is None:
            continue
        if pattern is _BAD_NUM_RE:
            return LawRef(law, None, head, bad_number=match.group(2).replace("−", "-"))
        number = parse_article_ref(re.sub(r"\s", "", match.group(2)))
        if number is not None:
            return LawRef(law, number, head)
    return None


def named_first(laws: LawLibrary, text: str) -> Law | None:
    """The shipped law a question opens with, before what it asks about it ("行政诉讼法复议完了多少
    天内能起诉", "民法典离婚冷静期那条"): such a question asks what that law says. Short names and
    aliases of three characters or more; a name alone is a reference (parse_ref), not this."""
    text = normalize(text).strip(_STRIP)
    names = [(law.short_name, law) for law in laws.laws.values()]
    names += [(alias, laws.laws[target]) for alias, target in laws.aliases.items()
              if len(alias) >= 3 and target in laws.laws]
    for name, law in sorted(names, key=lambda item: -len(item[0])):
        if text.startswith(name) and len(text) > len(name) + 1:
            return law
    return None

