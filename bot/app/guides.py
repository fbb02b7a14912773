"""办事指南 (service guides): browse by category, show a guide with local details filled in."""

from __future__ import annotations

from bot.app.chunks import split_text
from bot.app.context import Turn
from bot.app.messages import Choice, Reply
from bot.catalog.guides import PLACEHOLDERS, ServiceGuide
from bot.deps import Deps
from bot.domain.numerals import ArticleNo

SECTIONS = ("audience", "conditions", "materials", "steps", "time_limit", "fee")


def law_button(deps: Deps, law: str, number: int | ArticleNo) -> Choice | None:
    from bot.app.law import article_action

    action = article_action(deps.catalog.laws, law, number)
    article = deps.catalog.laws.article(law, number)
    return Choice(f"《{law}》{article.label}", action) if action and article else None


class GuideFlow:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.catalog = deps.catalog
        self.categories: list[str] = sorted({g.category for g in deps.catalog.services.values()})

    def menu(self, turn: Turn) -> list[Reply]:
        rows = []
        for i, category in enumerate(self.categories):
            n = sum(1 for g in self.catalog.services.values() if g.category == category)
            rows.append([Choice(f"{category}（{n}）", f"g:c:{i}")])
        rows.append([turn.choice("btn_menu", "m")])
        return [Reply(turn.t("guide_menu"), rows)]

    def category(self, turn: Turn, index: int) -> list[Reply]:
        category = self.categories[index]
        guides = sorted((g for g in self.catalog.services.values() if g.category == category), key=lambda g: g.name)
        rows = [[Choice(g.name, f"g:s:{g.id}")] for g in guides]
        rows.append([turn.choice("btn_back", "g:m"), turn.choice("btn_menu", "m")])
        return [Reply(turn.t("guide_category", category=category), rows)]

    def fill(self, turn: Turn, text: str) -> str:
        locality = self.deps.config.locality
        for key in PLACEHOLDERS:
            value = locality.get(key) or turn.t(f"guide_unset_{key}")
            text = text.replace("{" + key + "}", value)
        return text

    def _items(self, turn: Turn, value: object) -> str:
        if isinstance(value, (list, tuple)):
            return "\n".join(f"{i}. {self.fill(turn, str(v))}" for i, v in enumerate(value, 1))
        return self.fill(turn, str(value))

    def _term_basis(self, turn: Turn, guide: ServiceGuide, key: str) -> list[str]:
        """The articles that set a fee or time limit, or a note that no national rule does."""
        if key in guide.no_national_rule:
            return [turn.t(f"guide_term_local_{key}")]
        laws = self.catalog.laws
        cites = [f"《{c.law}》{a.label}" for c in guide.term_cites.get(key, ()) if (a := laws.article(c.law, c.article))]
        cites += guide.term_other.get(key, ())
        return [turn.t("guide_term_cites", cites="、".join(cites))] if cites else []

    def render(self, turn: Turn, guide: ServiceGuide) -> str:
        d = guide.data
        lines = [turn.t("guide_title", name=guide.name, category=guide.category)]
        for key in SECTIONS:
            if d.get(key) not in (None, "", []):
                lines += ["", turn.t(f"guide_{key}"), self._items(turn, d[key])]
                lines += self._term_basis(turn, guide, key)
        channels = d.get("channels") or {}
        if isinstance(channels, dict):
            lines += ["", turn.t("guide_channels")]
            for kind in ("online", "offline"):
                if channels.get(kind):
                    shown = "、".join(self.fill(turn, str(v)) for v in channels[kind])
                    lines.append(turn.t(f"guide_{kind}", where=shown))
        if d.get("bundle"):
            lines += ["", turn.t("guide_bundle"), "、".join(str(b) for b in d["bundle"])]
        basis = d.get("basis") or {}
        laws = self.catalog.laws
        cites = [f"《{c.law}》{a.label}" for c in guide.cites if (a := laws.article(c.law, c.article))]
        other = [str(o) for o in (basis.get("other") or [])] if isinstance(basis, dict) else []
        if cites or other:
            lines += ["", turn.t("guide_basis"), "；".join(cites + other)]
        from bot.app.law import stale_notices

        lines += stale_notices(turn, laws, (c.law for c in guide.cites))
        if d.get("hotline"):
            lines += ["", turn.t("guide_hotline", phones="、".join(str(p) for p in d["hotline"]))]
        lines += ["", turn.t("guide_notice", date=guide.last_verified, source=str(d.get("source", "")))]
        return "\n".join(lines)

    async def show(self, turn: Turn, guide_id: str) -> list[Reply] | None:
        guide = self.catalog.services.get(guide_id)
        if guide is None:
            return None
        await self.deps.storage.activity.log_activity(turn.user, "guide_read", guide.id, turn.now)
        term = [c for key in ("fee", "time_limit") for c in guide.term_cites.get(key, ())]
        shown = list(dict.fromkeys(term[:2] + list(guide.cites)))[:4]
        buttons = [b for c in shown if (b := law_button(self.deps, c.law, c.article))]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([turn.choice("btn_guides", "g:m"), turn.choice("btn_menu", "m")])
        parts = split_text(self.render(turn, guide))
        return [Reply(p) for p in parts[:-1]] + [Reply(parts[-1], rows)]

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        verb = parts[1] if len(parts) > 1 else ""
        if verb == "m" and len(parts) == 2:
            return self.menu(turn)
        if verb == "c" and len(parts) == 3 and parts[2].isdigit() and int(parts[2]) < len(self.categories):
            return self.category(turn, int(parts[2]))
        if verb == "s" and len(parts) == 3:
            return await self.show(turn, parts[2])
        return None
