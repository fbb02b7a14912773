"""The command line's language and its one-line messages: Simplified Chinese unless `--lang en`,
LAWBOT_LANG or the locale environment (LC_ALL, LC_MESSAGES, LANG, the first one set) asks for
English."""

from __future__ import annotations

import os
import sys

from bot.texts import tr


def cli_locale(args: object = None) -> str:
    chosen = getattr(args, "lang", None)
    if chosen in ("zh", "en"):
        return chosen
    lawbot = os.environ.get("LAWBOT_LANG", "").lower()
    if lawbot[:2] in ("zh", "en"):
        return lawbot[:2]
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def say(args: object, key: str, **values: object) -> None:
    """One line of normal output on stdout."""
    print(tr(cli_locale(args), key, **values), flush=True)


def warn(args: object, key: str, **values: object) -> None:
    """One line about a problem on stderr."""
    print(tr(cli_locale(args), key, **values), file=sys.stderr, flush=True)
