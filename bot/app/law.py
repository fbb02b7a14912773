"""查法条 (law lookup): /law 民法典 1254, /law 行政处罚法 第三十三条, or free text -> ranked articles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.app.chunks import split_text
from bot.app.context import Turn
from bot.app.messages import Choice, Reply
from bot.catalog.laws import Article, Law, LawLibrary, short_name
from bot.deps import Deps
from bot.domain.numerals import ArticleNo, parse_article_ref
from bot.search.lawref import closest_laws, parse_ref
from bot.search.lookup import lookup_for

SEARCH_HITS = 5
CLOSE_CUTOFF = 60  # rapidfuzz score below which a shipped law is not offered as "closest"


class Texts(Protocol):
    """What the notices need of a chat turn: its strings in its locale (the command line has one too)."""

    def t(self, key: str, **values: object) -> str: ...


def stale_notice(turn: Texts, law: Law | None) -> str:
    """The plain notice for a text known to be out of date (status.yaml), or ""."""
    if law is None or law.stale is None:
        return ""
    s = law.stale
    in_force = turn.t("law_stale_in_force", date=s.in_force) if s.in_force else turn.t("law_stale_in_force_unknown")
    renumbered = turn.t("law_stale_renumbered") if s.renumbered else ""
    return turn.t("law_stale", law=law.short_name, text_of=s.text_of, amended=s.amended, in_force=in_force,
                  renumbered=renumbered)


def stale_notices(turn: Texts, laws: LawLibrary, names: Iterable[str]) -> list[str]:
    """One notice per stale law among names (in order, each once)."""
    return [n for name in dict.fromkeys(names) if (n := stale_notice(turn, laws.get(name)))]


def unknown_law_reply(turn: Texts, laws: LawLibrary, name: str) -> tuple[str, list[str]]:
    """(text, closest shipped short names) for a law that is not in the library."""
    if (laws.not_included and name in laws.not_included) or short_name(name) in laws.not_included:
        return turn.t("law_not_included", name=short_name(name)), []
    close = [n for n, _ in closest_laws(laws, name, 3, cutoff=CLOSE_CUTOFF)]
    shown = turn.t("law_unknown_close", close="、".join(f"《{n}》" for n in close)) if close else ""
    return turn.t("law_unknown", name=name, close=shown, n=len(laws.laws)), close


def bad_number_text(turn: Texts, law: Law, typed: str) -> str:
    """For "/law 民法典 -1" or "1254.5": no such article, and which ones there are."""
    key = "law_negative_article" if typed.startswith("-") else "law_not_whole_article"
    return turn.t(key, law=law.short_name, number=typed, first=min(law.articles, default=0), max=law.max_article)


def _law_order(laws: LawLibrary) -> list[str]:
    return sorted(laws.names())


def article_action(laws: LawLibrary, law: str, number: int | ArticleNo | str) -> str | None:
    """Button data for an article: l:a:<law index>:<number> (law names are too long for 64 bytes);
    number as written in a search hit's ref ("1254", "133之一") is taken too."""
    order = _law_order(laws)
    parsed = parse_article_ref(number) if isinstance(number, str) else number
    if parsed is None:
        return None
    return f"l:a:{order.index(law)}:{parsed}" if law in order and laws.article(law, parsed) else None


class LawFlow:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.laws = deps.catalog.laws
        self.order = _law_order(self.laws)

    def _law_at(self, index: str) -> Law | None:
        return self.laws.laws[self.order[int(index)]] if index.isdigit() and int(index) < len(self.order) else None

    def help(self, turn: Turn) -> list[Reply]:
        popular = [n for n in ("民法典", "宪法", "行政处罚法", "劳动合同法", "消费者权益保护法", "反电信网络诈骗法")
                   if n in self.laws.laws]
        buttons = [Choice(f"《{n}》", f"l:i:{self.order.index(n)}") for n in popular]
        rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)] + [[turn.choice("btn_menu", "m")]]
        return [Reply(turn.t("law_help", n=len(self.laws.laws)), rows)]

    async def command(self, turn: Turn, args: str) -> list[Reply]:
        args = args.strip()
        if not args:
            return self.help(turn)
        ref = parse_ref(self.laws, args)
        if ref is None:
            return await self.search(turn, args)
        if ref.law is None:
            return self.unknown_law(turn, ref.name)
        if ref.bad_number or (ref.number is not None and ref.number not in ref.law.articles):
            text = bad_number_text(turn, ref.law, ref.bad_number) if ref.bad_number else \
                turn.t("law_no_article", law=ref.law.short_name, number=ref.number, max=ref.law.max_article)
            return [Reply(text, [[Choice(f"《{ref.law.short_name}》", f"l:i:{self.order.index(ref.law.short_name)}")],
                                 [turn.choice("btn_menu", "m")]])]
        if ref.number is None:
            return self.overview(turn, ref.law)
        return await self.show(turn, ref.law.articles[ref.number])

    def unknown_law(self, turn: Turn, name: str) -> list[Reply]:
        text, close = unknown_law_reply(turn, self.laws, name)
        rows = [[Choice(f"《{n}》", f"l:i:{self.order.index(n)}") for n in close]] if close else []
        rows.append([turn.choice("btn_law", "l:m"), turn.choice("btn_menu", "m")])
        return [Reply(text, rows)]

    def overview(self, turn: Turn, law: Law) -> list[Reply]:
        first = min(law.articles) if law.articles else 0
        rows = [[Choice(turn.t("btn_law_first"), f"l:a:{self.order.index(law.short_name)}:{first}")],
                [turn.choice("btn_law", "l:m"), turn.choice("btn_menu", "m")]]
        text = turn.t("law_overview", title=law.title, revision=law.revision or "—", n=len(law.articles),
                      law=law.short_name)
        notice = stale_notice(turn, law)
        return [Reply(f"{text}\n\n{notice}" if notice else text, rows)]

    async def search(self, turn: Turn, query: str) -> list[Reply]:
        hits = lookup_for(self.deps.catalog).search_laws(query, SEARCH_HITS)
        if not hits:
            return [Reply(turn.t("law_no_hits", query=query), [[turn.choice("btn_menu", "m")]])]
        lines = [turn.t("law_hits", query=query)]
        rows = []
        for i, hit in enumerate(hits, 1):
            lines.append(f"{i}. {hit.name} {hit.summary}")
            law, number = hit.ref.rsplit(":", 1)
            rows.append([Choice(f"{i}. {hit.name}"[:40], article_action(self.laws, law, number) or "l:m")])
        notices = stale_notices(turn, self.laws, (h.ref.rsplit(":", 1)[0] for h in hits))
        if notices:
            lines += [""] + notices
        rows.append([turn.choice("btn_menu", "m")])
        return [Reply("\n".join(lines), rows)]

    def render(self, turn: Turn, article: Article) -> str:
        law = self.laws.laws[article.law]
        key = "law_article_head_stale" if law.stale else "law_article_head"
        head = turn.t(key, law=law.short_name, label=article.label, revision=law.revision or "—")
        notice = stale_notice(turn, law)
        head = f"{head}\n{notice}" if notice else head
        chapter = f"{article.chapter}\n" if article.chapter else ""
        return f"{head}\n{chapter}\n{article.text}"

    async def show(self, turn: Turn, article: Article) -> list[Reply]:
        await self.deps.storage.activity.log_activity(turn.user, "law_lookup", f"{article.law}:{article.number}", turn.now)
        numbers = sorted(self.laws.laws[article.law].articles)
        pos = numbers.index(article.number)
        index = self.order.index(article.law)
        nav = []
        if pos > 0:
            nav.append(Choice(turn.t("btn_prev_article"), f"l:a:{index}:{numbers[pos - 1]}"))
        if pos + 1 < len(numbers):
            nav.append(Choice(turn.t("btn_next_article"), f"l:a:{index}:{numbers[pos + 1]}"))
        rows = [nav] if nav else []
        rows.append([turn.choice("btn_law", "l:m"), turn.choice("btn_menu", "m")])
        parts = split_text(self.render(turn, article))
        return [Reply(p) for p in parts[:-1]] + [Reply(parts[-1], rows)]

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        verb = parts[1] if len(parts) > 1 else ""
        if verb == "m" and len(parts) == 2:
            return self.help(turn)
        if verb == "i" and len(parts) == 3:
            law = self._law_at(parts[2])
            return self.overview(turn, law) if law else None
        if verb == "a" and len(parts) == 4 and (number := parse_article_ref(parts[3])) is not None:
            law = self._law_at(parts[2])
            article = law.articles.get(number) if law else None
            return await self.show(turn, article) if article else None
        return None
