"""Free text -> the best guide, case or article, with the next two candidates and "none of
these". Unsure answers and rejected candidates are logged as content gaps for admins."""

from __future__ import annotations

import datetime as dt

from bot.app.context import Turn, idle_menu, main_menu
from bot.app.law import article_action, stale_notice, unknown_law_reply
from bot.app.messages import Choice, Reply
from bot.deps import Deps
from bot.search.intent import detect
from bot.search.lookup import Hit, LookupResult, lookup_ready

CANDIDATES = 3


class LookupFlow:
    def __init__(self, deps: Deps):
        self.deps = deps

    def _action(self, hit: Hit) -> str | None:
        if hit.kind == "guide":
            return f"g:s:{hit.ref}"
        if hit.kind == "case":
            return f"c:s:{hit.ref}"
        law, number = hit.ref.rsplit(":", 1)
        return article_action(self.deps.catalog.laws, law, number)

    def _button(self, turn: Turn, hit: Hit, key: str = "lookup_candidate") -> Choice | None:
        action = self._action(hit)
        if action is None:
            return None
        name = hit.name if len(hit.name) <= 26 else hit.name[:25] + "…"
        return Choice(turn.t(key, kind=turn.t(f"kind_{hit.kind}"), name=name), action)

    def _uncovered(self, turn: Turn, result: LookupResult) -> list[Reply]:
        """A law that is not shipped, an article a law does not have, or nothing related at all."""
        laws = self.deps.catalog.laws
        kind, _, rest = result.uncovered.partition(":")
        if kind == "law":
            text, close = unknown_law_reply(turn, laws, rest)
            rows = [[b] for n in close if (b := self._law_button(n))]
            return [Reply(text, rows + main_menu(turn))]
        if kind == "article":
            name, _, number = rest.rpartition(":")
            law = laws.get(name)
            text = turn.t("law_no_article", law=name, number=number, max=law.max_article if law else 0)
            rows = [[b] for b in [self._law_button(name)] if b]
            return [Reply(text, rows + main_menu(turn))]
        return [Reply(turn.t("lookup_unsure"), main_menu(turn))]  # hotlines, and no unrelated suggestion

    def _law_button(self, name: str) -> Choice | None:
        order = sorted(self.deps.catalog.laws.names())
        return Choice(f"《{name}》", f"l:i:{order.index(name)}") if name in order else None

    async def on_text(self, turn: Turn, text: str) -> list[Reply]:
        stripped = text.strip()
        if stripped.isascii() and stripped.isdigit() and len(stripped) <= 3:
            # a number that is not one of the choices on screen: say which numbers are
            menu = main_menu(turn)
            return [Reply(turn.t("menu_number", n=sum(len(row) for row in menu)), menu)]
        result = (await lookup_ready(self.deps.catalog)).search(text, CANDIDATES)
        top = result.best
        turn.state["lk_q"] = text[:200]
        turn.state["lk_top"] = f"{top.kind}:{top.ref}"[:100] if top else ""
        if result.uncovered:
            await self.deps.storage.gaps.log_gap(turn.user, text, "unsure", turn.state["lk_top"], turn.now)
            return self._uncovered(turn, result)
        if not result.confident or top is None:
            await self.deps.storage.gaps.log_gap(turn.user, text, "unsure", turn.state["lk_top"], turn.now)
            # "maybe" offers guides and cases; an article only when the question asks for the law
            law_ok = detect(text).law
            maybe = [h for h in result.hits if h.kind != "law" or law_ok][:2]
            rows = [[b] for h in maybe if (b := self._button(turn, h, "lookup_maybe"))]
            return [Reply(turn.t("lookup_unsure"), rows + main_menu(turn))]
        rows = []
        first = self._button(turn, top, "lookup_open")
        if first:
            rows.append([first])
        rows += [[b] for h in result.hits[1:CANDIDATES] if (b := self._button(turn, h))]
        rows.append([turn.choice("btn_none_of_these", "k:n")])
        text_out = turn.t("lookup_best", kind=turn.t(f"kind_{top.kind}"), name=top.name, summary=top.summary)
        if top.kind == "law":
            notice = stale_notice(turn, self.deps.catalog.laws.get(top.ref.rsplit(":", 1)[0]))
            text_out = f"{text_out}\n\n{notice}" if notice else text_out
        return [Reply(text_out, rows)]

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        if parts == ["k", "n"]:
            query = turn.state.pop("lk_q", "")
            if query:
                await self.deps.storage.gaps.log_gap(turn.user, query, "none_of_these", turn.state.pop("lk_top", ""), turn.now)
            return [Reply(turn.t("lookup_none"), main_menu(turn))]
        return None

    async def gaps_command(self, turn: Turn, words: list[str]) -> list[Reply]:
        """/stats gaps [days]: the top queries without a good answer (administrators only)."""
        if turn.user not in self.deps.config.admin.super_admins:
            return [Reply(turn.t("not_admin"), idle_menu(turn))]
        days = int(words[0]) if words and words[0].isdigit() and 0 < int(words[0]) <= 3650 else 30
        since = turn.now - days * 86400
        rows = await self.deps.storage.gaps.top_gaps(since, 20)
        if not rows:
            return [Reply(turn.t("gaps_empty", days=days))]
        lines = [turn.t("gaps_head", days=days)]
        for i, row in enumerate(rows, 1):
            when = dt.datetime.fromtimestamp(row.last_at).strftime("%m-%d")
            lines.append(turn.t("gaps_line", i=i, query=row.query, count=row.count, users=row.users,
                                rejected=row.rejected, last=when))
        return [Reply("\n".join(lines))]
