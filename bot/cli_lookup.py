"""`lawbot ask` and `lawbot law`: the lookup and the law library from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Callable


def _lookup(args: argparse.Namespace, content_root: Callable):
    from bot.catalog.check import check_content
    from bot.search.lookup import lookup_for

    catalog, problems = check_content(content_root(args))
    if problems:
        print(f"lawbot: content has {len(problems)} problem(s); run `lawbot content check`", file=sys.stderr)
    return catalog, lookup_for(catalog)


def add_lookup_parsers(sub, content_root: Callable) -> None:
    def cmd_ask(args: argparse.Namespace) -> int:
        _, lookup = _lookup(args, content_root)
        result = lookup.search(" ".join(args.question), args.limit)
        for hit in result.hits:
            print(f"{hit.kind}\t{hit.name}\t{hit.score:.2f}")
        if not result.confident:
            print("(no confident match: 12345 for services, 12348 for legal questions)", file=sys.stderr)
        return 0 if result.confident else 1

    def cmd_law(args: argparse.Namespace) -> int:
        from types import SimpleNamespace

        from bot.app.law import stale_notice, stale_notices, unknown_law_reply
        from bot.app.texts import tr
        from bot.cli_text import cli_locale
        from bot.search.lawref import parse_ref

        locale = cli_locale(args)
        texts = SimpleNamespace(t=lambda key, **values: tr(locale, key, **values))  # what the chat's Turn offers
        catalog, lookup = _lookup(args, content_root)
        text = " ".join(args.words).strip()
        if args.search or not text:
            if not text:
                print("usage: lawbot law 民法典 1254 | lawbot law --search 高空抛物", file=sys.stderr)
                return 2
            hits = lookup.search_laws(text, args.limit)
            for hit in hits:
                print(f"{hit.score:.2f}\t{hit.name}\t{hit.summary}")
            for notice in stale_notices(texts, catalog.laws, (h.ref.rsplit(":", 1)[0] for h in hits)):
                print(notice)
            return 0 if hits else 1
        ref = parse_ref(catalog.laws, text)
        if ref is None or ref.law is None:
            message, _ = unknown_law_reply(texts, catalog.laws, ref.name if ref else text)
            print(f"lawbot: {message}", file=sys.stderr)
            return 1
        notice = stale_notice(texts, ref.law)
        if ref.number is None:
            print(f"{ref.law.title}\t{ref.law.revision}\t{len(ref.law.articles)} articles")
            if notice:
                print(notice)
            return 0
        article = ref.law.articles.get(ref.number)
        if article is None:
            print(f"lawbot: {ref.law.short_name} has no article {ref.number} (it has {ref.law.max_article})",
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
    ask.set_defaults(func=cmd_ask)

    law = sub.add_parser("law", help="print an article (民法典 1254) or search the laws (--search 高空抛物)")
    law.add_argument("words", nargs="*")
    law.add_argument("--search", action="store_true", help="keyword search across all shipped laws")
    law.add_argument("--limit", type=int, default=10)
    law.add_argument("--content", help="content root (default: the shipped content)")
    law.set_defaults(func=cmd_law)
