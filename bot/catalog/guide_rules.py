"""Content rules for a service guide's fee and time limit: each names the articles that set it, or
says that no national rule does; a fee an article makes free says 免费; a locally set term quotes
no amount or period of its own."""

from __future__ import annotations

import re

from bot.catalog.guides import NO_NATIONAL_RULE, TERMS, ServiceGuide
from bot.catalog.laws import LawLibrary
from bot.catalog.questions import Problem

# an article with one of these makes the service (or part of it) free of charge
FREE_BY_LAW_RE = re.compile(r"不收费|不收取[^。；]*费|免费|无偿|不得[^。；]*收取[^。；]*费用")
FREE_RE = re.compile(r"免费|不收费|不收取")
# a sum of money or a period written into the guide's own text
_NUM = r"[0-9０-９零〇一二两三四五六七八九十百千万]+"
FIGURE_RE = re.compile(rf"{_NUM}\s*(?:元|个工作日|工作日|日|天|小时|个月|周|年)")


def _split(origin: str) -> tuple[str, int]:
    path, _, line = origin.rpartition(":")
    return path, int(line or 0)


def term_problems(guide: ServiceGuide, laws: LawLibrary) -> list[str]:
    """Reasons the guide's fee or time limit is not grounded (empty when it is)."""
    reasons = []
    for term in TERMS:
        text = str(guide.data.get(term) or "")
        cites = guide.term_cites.get(term, ())
        named = guide.term_other.get(term, ())
        if term in guide.no_national_rule:
            if figure := FIGURE_RE.search(text):
                reasons.append(f"{term} quotes “{figure.group(0)}” but {term}_cite says "
                               f"{NO_NATIONAL_RULE}; cite the article that sets it")
            if term == "fee" and FREE_RE.search(text):
                reasons.append(f"fee says it is free but fee_cite says {NO_NATIONAL_RULE}; cite the article")
        elif not cites and not named:
            reasons.append(f"{term} names no article ({term}_cite) and does not say that no national rule "
                           f"sets it ({term}_cite: {NO_NATIONAL_RULE})")
        elif term == "fee" and not FREE_RE.search(text):
            free = [c for c in cites if (a := laws.article(c.law, c.article)) and FREE_BY_LAW_RE.search(a.text)]
            if free:
                reasons.append(f"fee cites {free[0].law} article {free[0].article}, which makes it free, "
                               f"but does not say 免费")
    return reasons


def guide_problems(guides: list[ServiceGuide], laws: LawLibrary) -> list[Problem]:
    return [Problem(*_split(g.origin), f"guide {g.id}: {reason}")
            for g in guides for reason in term_problems(g, laws)]
