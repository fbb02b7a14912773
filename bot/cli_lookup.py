"""`lawbot ask` and `lawbot law`: the lookup and the law library from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def cache_dir_for(args: argparse.Namespace) -> Path | None:
    """Where the command line keeps the search index: the folder the bot keeps it in (bot.serving),
    with or without --config: LAWBOT_CACHE_DIR, else $XDG_CACHE_HOME/lawbot (~/.cache/lawbot).
    LAWBOT_CACHE_DIR=off keeps the index in memory (built on every run)."""
    from bot.catalog.cachefiles import default_dir

    return default_dir()


class _Texts:
    """The strings of one locale, as the chat's Turn offers them (bot.app.law's notices take either)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def t(self, key: str, **values: object) -> str:
        from bot.texts import tr

        return tr(self.locale, key, **values)


def _root(args: argparse.Namespace, content_root: Callable) -> Path:
    """The content root: --content, the config's, or the default. The default is worked out here
    as bot.config.default_content_root does, without importing bot.config (pydantic models,
    0.1 s) in the commands meant to answer at once."""
    if getattr(args, "content", None) or getattr(args, "config", None):
        return Path(content_root(args))
    here = Path(__file__).resolve().parent.parent
    return here if (here / "content" / "laws").is_dir() else Path.cwd()


def _lookup(args: argparse.Namespace, content_root: Callable):
    """The lookup over the content: read from the index cache when it holds this content's
    index (the catalog is not loaded then), else the content is loaded, checked and indexed."""
    from bot.search.cache import cli_lookup

    root = _root(args, content_root)

    def load():
        from bot.catalog.check import check_content
        from bot.cli_text import cli_locale
        from bot.texts import tr

        catalog, problems = check_content(root)
        if problems:
            print(f"lawbot: {tr(cli_locale(args), 'cli_content_problems', n=len(problems))}", file=sys.stderr)
        return catalog

    lookup, _ = cli_lookup(root, cache_dir_for(args), load)
    return lookup.laws, lookup


def _laws(args: argparse.Namespace, content_root: Callable):
    """The law library alone, each law's text parsed when first asked for."""
    from bot.catalog.laws import LawLibrary

    return LawLibrary.load(_root(args, content_root) / "content" / "laws", lazy=True)


def add_lookup_parsers(sub, content_root: Callable) -> None:
    def cmd_ask(args: argparse.Namespace) -> int:
        _, lookup = _lookup(args, content_root)
        result = lookup.search(" ".join(args.question), args.limit)
        for hit in result.hits:
            print(f"{hit.kind}\t{hit.name}\t{hit.score:.2f}")
        if not result.confident:
            from bot.cli_text import warn

            warn(args, "cli_ask_unsure")
        return 0 if result.confident else 1

    def cmd_law(args: argparse.Namespace) -> int:
        from bot.cli_text import cli_locale
        from bot.search.lawref import parse_ref

        texts = _Texts(cli_locale(args))
        text = " ".join(args.words).strip()
        if args.search or not text:
            if not text:
                print(texts.t("cli_law_usage"), file=sys.stderr)
                return 2
            laws, lookup = _lookup(args, content_root)
            hits = lookup.search_laws(text, args.limit)
            for hit in hits:
                print(f"{hit.score:.2f}\t{hit.name}\t{hit.summary}")
            from bot.app.law import stale_notices

            for notice in stale_notices(texts, laws, (h.ref.rsplit(":", 1)[0] for h in hits)):
                print(notice)
            return 0 if hits else 1
        laws = _laws(args, content_root)
        ref = parse_ref(laws, text)
        if ref is None or ref.law is None:
            from bot.app.law import unknown_law_reply

            message, _ = unknown_law_reply(texts, laws, ref.name if ref else text)
            print(f"lawbot: {message}", file=sys.stderr)
            return 1
        if ref.bad_number:  # "民法典 -1", "民法典 1254.5": the chat's answer
            from bot.app.law import bad_number_text

            print(f"lawbot: {bad_number_text(texts, ref.law, ref.bad_number)}", file=sys.stderr)
            return 1
        notice = ""
        if ref.law.stale:  # bot.app.law (the chat's notice) is imported only when one is due
            from bot.app.law import stale_notice

            notice = stale_notice(texts, ref.law)
        if ref.number is None:
            print(texts.t("cli_law_overview", title=ref.law.title, revision=ref.law.revision, n=len(ref.law.articles)))
            if notice:
                print(notice)
            return 0
        article = ref.law.articles.get(ref.number)
        if article is None:
            print(f"lawbot: {texts.t('law_no_article', law=ref.law.short_name, number=ref.number, max=ref.law.max_article)}",
                  file=sys.stderr)
            return 1
        print(f"《{ref.law.short_name}》{article.label}（{ref.law.revision}）")
        if notice:
            print(notice)
        print(article.text)
        return 0

    ask = sub.add_parser("ask", help="rank guides, cases and articles for an everyday question")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--limit", type=int, default=5)
    ask.add_argument("--content", help="content root (default: the shipped content)")
    ask.add_argument("--config", help="config file (its content_root is searched)")
    ask.set_defaults(func=cmd_ask)

    law = sub.add_parser("law", help="print an article (民法典 1254) or search the laws (--search 高空抛物)")
    law.add_argument("words", nargs="*")
    law.add_argument("--search", action="store_true", help="keyword search across all shipped laws")
    law.add_argument("--limit", type=int, default=10)
    law.add_argument("--content", help="content root (default: the shipped content)")
    law.add_argument("--config", help="config file (its content_root is searched)")
    law.set_defaults(func=cmd_law)
