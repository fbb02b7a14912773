"""Rendering questions, answers and articles as platform-neutral text."""

from __future__ import annotations

from bot.app.messages import Choice
from bot.app.texts import tr
from bot.catalog.laws import LawLibrary
from bot.domain.models import LETTERS, QType, Question

ARTICLE_PREVIEW = 1200  # characters of the cited article shown after an answer


def option_labels(question: Question, locale: str) -> tuple[str, ...]:
    if question.type is QType.JUDGE:
        return (tr(locale, "judge_true"), tr(locale, "judge_false"))
    return question.options


def question_body(question: Question, locale: str, order: tuple[int, ...] | None = None,
                  picked: frozenset[int] = frozenset(), hint: str | None = "multi_hint") -> str:
    """Stem and lettered options; order maps display position -> original option index. hint:
    the 多选 hint that fits the keyboard shown with it (None: no keyboard)."""
    labels = option_labels(question, locale)
    order = order or tuple(range(len(labels)))
    lines = [question.stem, ""]
    for shown, original in enumerate(order):
        mark = "☑ " if original in picked and question.type is QType.MULTIPLE else ""
        lines.append(f"{mark}{LETTERS[shown]}. {labels[original]}")
    if question.type is QType.MULTIPLE and hint:
        lines += ["", tr(locale, hint)]
    return "\n".join(lines)


def answer_text(question: Question, chosen: frozenset[int], locale: str,
                order: tuple[int, ...] | None = None) -> str:
    """'B. 罚款' style, in display letters when an order is given."""
    labels = option_labels(question, locale)
    order = order or tuple(range(len(labels)))
    if not chosen:
        return tr(locale, "unanswered_mark")
    parts = []
    for shown, original in enumerate(order):
        if original in chosen:
            parts.append(f"{LETTERS[shown]}. {labels[original]}")
    return "；".join(parts) if locale == "zh" else "; ".join(parts)


def type_name(question: Question, locale: str) -> str:
    return tr(locale, f"type_{question.type.value}")


def article_snippet(laws: LawLibrary, question: Question, locale: str) -> str:
    article = laws.article(question.cite.law, question.cite.article)
    if article is None:
        return ""
    text = article.text
    if len(text) > ARTICLE_PREVIEW:
        text = text[:ARTICLE_PREVIEW] + "……"
    return tr(locale, "article", law=question.cite.law, text=text)


def feedback(laws: LawLibrary, question: Question, chosen: frozenset[int], locale: str,
             order: tuple[int, ...] | None = None) -> str:
    correct = question.is_correct(chosen)
    lines = [tr(locale, "right") if correct else tr(locale, "wrong_ans", answer=answer_text(question, question.answer, locale, order))]
    if not correct:
        lines.append(tr(locale, "your_answer", answer=answer_text(question, chosen, locale, order)))
    lines += ["", tr(locale, "explanation", text=question.explanation)]
    snippet = article_snippet(laws, question, locale)
    if snippet:
        lines += ["", snippet]
    return "\n".join(lines)


def option_buttons(question: Question, prefix: str, picked: frozenset[int], order: tuple[int, ...] | None,
                   locale: str, confirm_action: str | None = None) -> list[list[Choice]]:
    """Letter buttons. Single/judge: action = prefix + display index. Multiple: each button
    carries the whole selection it produces (a bit mask), so a double tap is harmless."""
    labels = option_labels(question, locale)
    order = order or tuple(range(len(labels)))
    row = []
    for shown, original in enumerate(order):
        if question.type is QType.MULTIPLE:
            after = picked ^ {original}
            mask = sum(1 << i for i in after)
            mark = "☑" if original in picked else "☐"
            row.append(Choice(f"{mark}{LETTERS[shown]}", f"{prefix}{mask}"))
        elif question.type is QType.JUDGE:
            row.append(Choice(labels[original], f"{prefix}{shown}"))
        else:
            row.append(Choice(LETTERS[shown], f"{prefix}{shown}"))
    rows = [row[:4], row[4:]] if len(row) > 4 else [row]
    if question.type is QType.MULTIPLE and confirm_action:
        rows.append([Choice(tr(locale, "btn_confirm"), confirm_action)])
    return [r for r in rows if r]


def parse_typed_answer(question: Question, text: str, order: tuple[int, ...] | None = None) -> frozenset[int] | None:
    """A typed answer ('A', 'ac', 'A,C', '对', 'F') -> original option indexes; None if not an answer."""
    from bot.catalog.questions import parse_judge, parse_letters

    labels_count = question.option_count
    order = order or tuple(range(labels_count))
    cleaned = text.strip().rstrip("。.!！")
    if question.type is QType.JUDGE:
        verdict = parse_judge(cleaned)
        if verdict is None:
            return None
        return frozenset({0 if verdict else 1})  # 正确/错误 are never shuffled
    letters = parse_letters(cleaned)
    if letters is None or any(i >= labels_count for i in letters):
        return None
    if question.type is QType.SINGLE and len(set(letters)) != 1:
        return None
    return frozenset(order[i] for i in letters)


def mask_to_set(mask: int, count: int) -> frozenset[int] | None:
    if mask < 0 or mask >= (1 << count):
        return None
    return frozenset(i for i in range(count) if mask >> i & 1)


def format_duration(seconds: float, locale: str) -> str:
    seconds = max(0, int(seconds))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes:02d}:{sec:02d}"
