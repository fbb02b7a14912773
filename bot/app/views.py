"""Rendering questions, answers and articles as platform-neutral text."""

from __future__ import annotations

import re

from bot.app.messages import Choice
from bot.catalog.laws import LawLibrary
from bot.domain import fill
from bot.domain.answers import Answer
from bot.domain.models import LETTERS, QType, Question
from bot.texts import tr

ARTICLE_PREVIEW = 1200  # characters of the cited article shown after an answer
MATERIAL_WORDS = ("查看材料", "材料", "看材料", "view case")  # typed instead of the 查看材料 button


def option_labels(question: Question, locale: str) -> tuple[str, ...]:
    if question.type is QType.JUDGE:
        return (tr(locale, "judge_true"), tr(locale, "judge_false"))
    return question.options


def question_body(question: Question, locale: str, order: tuple[int, ...] | None = None,
                  picked: Answer = frozenset(), hint: str | None = "multi_hint") -> str:
    """Stem and lettered options; order maps display position -> original option index. hint:
    the 多选 hint that fits the keyboard shown with it (None: no keyboard). A fill
    question: the stem with numbered blanks and how to answer."""
    if question.type is QType.FILL:
        hint = tr(locale, "fill_hint", n=len(question.blanks)) if len(question.blanks) > 1 else tr(locale, "fill_hint_one")
        return "\n".join([fill.numbered_stem(question.stem), "", hint])
    labels = option_labels(question, locale)
    order = order or tuple(range(len(labels)))
    lines = [question.stem, ""]
    for shown, original in enumerate(order):
        mark = "☑ " if original in picked and question.type is QType.MULTIPLE else ""
        lines.append(f"{mark}{LETTERS[shown]}. {labels[original]}")
    if question.type is QType.MULTIPLE and hint:
        lines += ["", tr(locale, hint)]
    return "\n".join(lines)


def answer_text(question: Question, chosen: Answer, locale: str,
                order: tuple[int, ...] | None = None) -> str:
    """'B. 罚款' style, in display letters when an order is given; fill: '①公示；②三日'."""
    if question.type is QType.FILL:
        if not isinstance(chosen, tuple) or not any(chosen):
            return tr(locale, "unanswered_mark")
        return _joined([f"{_circled(i)}{text}" for i, text in enumerate(chosen)], locale)
    labels = option_labels(question, locale)
    order = order or tuple(range(len(labels)))
    if not chosen:
        return tr(locale, "unanswered_mark")
    parts = []
    for shown, original in enumerate(order):
        if original in chosen:
            parts.append(f"{LETTERS[shown]}. {labels[original]}")
    return "；".join(parts) if locale == "zh" else "; ".join(parts)


def _circled(i: int) -> str:
    return "①②③④⑤⑥⑦⑧⑨⑩"[i] if i < 10 else f"({i + 1})"


def _joined(parts: list[str], locale: str) -> str:
    return "；".join(parts) if locale == "zh" else "; ".join(parts)


def accepted_text(question: Question, locale: str) -> str:
    """A fill question's accepted answers: '①公示（或 公开）；②三日'."""
    parts = []
    for i, alternatives in enumerate(question.blanks):
        text = alternatives[0]
        if len(alternatives) > 1:
            text += tr(locale, "fill_or", others="、".join(alternatives[1:]))
        parts.append(f"{_circled(i)}{text}")
    return _joined(parts, locale)


def material_text(material: Question, locale: str) -> str:
    return tr(locale, "material", text=material.stem, n=len(material.subs))


def sub_label(question: Question, material: Question | None, locale: str) -> str:
    """'材料题 第 2/3 小题' for a material's sub-question, else ''."""
    if material is None:
        return ""
    k = next((i for i, sub in enumerate(material.subs) if sub.id == question.id), 0)
    return tr(locale, "sub_label", k=k + 1, n=len(material.subs))


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


def feedback(laws: LawLibrary, question: Question, chosen: Answer, locale: str,
             order: tuple[int, ...] | None = None) -> str:
    correct = question.is_correct(chosen)
    if question.type is QType.FILL:
        lines = [tr(locale, "right") if correct else tr(locale, "wrong_ans", answer=accepted_text(question, locale))]
        if not correct:
            lines += fill_marks(question, chosen, locale)
    else:
        lines = [tr(locale, "right") if correct else tr(locale, "wrong_ans", answer=answer_text(question, question.answer, locale, order))]
        if not correct:
            lines.append(tr(locale, "your_answer", answer=answer_text(question, chosen, locale, order)))
    lines += ["", tr(locale, "explanation", text=question.explanation)]
    snippet = article_snippet(laws, question, locale)
    if snippet:
        lines += ["", snippet]
    return "\n".join(lines)


def fill_marks(question: Question, chosen: Answer, locale: str) -> list[str]:
    """One line per blank: what was typed and whether it counts."""
    given = chosen if isinstance(chosen, tuple) else ()
    marks = fill.blank_results(question.blanks, given)
    lines = []
    for i, ok in enumerate(marks):
        typed = given[i] if i < len(given) and given[i] else tr(locale, "unanswered_mark")
        lines.append(tr(locale, "blank_right" if ok else "blank_wrong", n=_circled(i), given=typed))
    return lines


def option_buttons(question: Question, prefix: str, picked: Answer, order: tuple[int, ...] | None,
                   locale: str, confirm_action: str | None = None) -> list[list[Choice]]:
    """Letter buttons. Single/judge: action = prefix + display index. Multiple: each button
    carries the whole selection it produces (a bit mask), so a double tap is harmless. Fill: none
    (the answer is typed)."""
    if question.type is QType.FILL or not isinstance(picked, frozenset):  # typed blanks: no buttons
        return []
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


_ANSWER_WORDS = re.compile(r"^(?:我选|选择|选|答案是|答案为|答案[:：]?|应该是)?\s*(.+?)\s*(?:选项)?$")


def answer_core(text: str) -> str:
    """What a typed answer says without the words around it: '选B', '我选 AC', '答案：对', 'B。' -> 'B',
    'AC', '对', 'B'."""
    cleaned = text.strip().rstrip("。.!！")
    match = _ANSWER_WORDS.match(cleaned)
    return match.group(1) if match else cleaned


def parse_typed_answer(question: Question, text: str, order: tuple[int, ...] | None = None) -> Answer | None:
    """A typed answer ('A', 'ac', 'A,C', '对', 'F') -> original option indexes; a fill question's
    typed blanks -> one text per blank; None if not an answer."""
    from bot.catalog.questions import parse_judge, parse_letters

    if question.type is QType.FILL:
        return fill.split_typed(text, len(question.blanks))
    labels_count = question.option_count
    order = order or tuple(range(labels_count))
    cleaned = answer_core(text)
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


def answer_hint(question: Question, text: str, locale: str) -> str | None:
    """For letters that parse_typed_answer refused: what is wrong with them for this question
    (two letters to a 单选, a letter past the last option, letters to a 判断); None otherwise."""
    from bot.catalog.questions import parse_letters

    letters = parse_letters(answer_core(text))
    if letters is None or question.type is QType.FILL:
        return None
    if question.type is QType.JUDGE:
        return tr(locale, "hint_judge")
    if any(i >= question.option_count for i in letters):
        return tr(locale, "hint_range", last=LETTERS[question.option_count - 1])
    if question.type is QType.SINGLE and len(set(letters)) > 1:
        return tr(locale, "hint_single")
    return None


def looks_like_answer(text: str) -> bool:
    """Option letters or a true/false word, whatever the question."""
    from bot.catalog.questions import parse_judge, parse_letters

    cleaned = answer_core(text)
    return parse_letters(cleaned) is not None or parse_judge(cleaned) is not None


def mask_to_set(mask: int, count: int) -> frozenset[int] | None:
    if mask < 0 or mask >= (1 << count):
        return None
    return frozenset(i for i in range(count) if mask >> i & 1)


def format_duration(seconds: float, locale: str) -> str:
    seconds = max(0, int(seconds))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes:02d}:{sec:02d}"
