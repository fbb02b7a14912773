"""Import problems in the admin's language. The validators (bot.catalog.questions, the readers,
the importer) write their reasons in English; every such reason has an `imp_*` entry in
bot/texts.py whose English text is the reason's template. A reason is matched against those
templates and said again in the wanted locale with the same values; a reason without an entry
stays as it is."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.catalog.bank_io.columns import ImportProblem
from bot.texts import EN, tr

_FIELD = re.compile(r"\{(\w+)\}")


def _pattern(template: str) -> re.Pattern:
    parts, last = [], 0
    for match in _FIELD.finditer(template):
        parts.append(re.escape(template[last:match.start()]))
        parts.append(f"(?P<{match.group(1)}>.+?)")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts) + r"\Z", re.S)


@lru_cache(maxsize=1)
def _templates() -> list[tuple[str, re.Pattern]]:
    """(key, pattern) of every imp_* entry, templates with more literal text first (so a specific
    template wins over a general one such as "{n} options; ...")."""
    found = [(key, text) for key, text in EN.items() if key.startswith("imp_")]
    found.sort(key=lambda item: -len(_FIELD.sub("", item[1])))
    return [(key, _pattern(text)) for key, text in found]


def localise(reason: str, locale: str) -> str:
    """An English import reason (or note) in `locale`; unchanged when it has no imp_* entry."""
    if locale == "en":
        return reason
    for key, pattern in _templates():
        match = pattern.match(reason)
        if match:
            values = match.groupdict()
            if "reason" in values:  # a prefix such as "sub-question 2: " around another reason
                values["reason"] = localise(values["reason"], locale)
            return tr(locale, key, **values) if values else tr(locale, key)
    return reason


def where(problem: ImportProblem, locale: str, with_file: bool = True) -> str:
    parts = [problem.file] if with_file else []
    if problem.sheet is not None:
        parts.append(tr(locale, "bankcli_at_sheet", sheet=problem.sheet))
    if problem.row is not None:
        parts.append(tr(locale, "bankcli_at_row", row=problem.row, unit=problem.unit))
    if problem.column:
        parts.append(tr(locale, "bankcli_at_column", column=problem.column))
    return tr(locale, "bankcli_where_sep").join(parts)


def problem_text(problem: ImportProblem, locale: str, with_file: bool = True) -> str:
    """`file sheet row column: reason` in `locale` (with_file=False: the file is known)."""
    place = where(problem, locale, with_file)
    reason = localise(problem.reason, locale)
    return f"{place}{tr(locale, 'bankcli_reason_sep')}{reason}" if place else reason
