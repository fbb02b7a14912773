"""Fair official exams: the per-question time limit, and the three flags raised for admins
(never an automatic penalty). Standard library only; docs/content-formats.md and the README
describe the same rules for admins.

Per-question time limit (`per_question_seconds` in an official exam's YAML): a question's clock
starts when it is first shown in the attempt; an answer given at or after `shown + seconds` (or
after the paper's own deadline) is refused and the paper moves on to the next question whose
time has not run out.

Flags, computed when an attempt is handed in:

- fast: answers much faster than reading time. A question is *long* when its stem plus its
  options (plus the case text where a 材料题 is first shown) has at least `long_stem_chars`
  characters; its reading time is chars / `reading_chars_per_second` (12 characters a second, a
  quick reader of Chinese text, as 答题PK's robot assumes). An answer is *fast* when the time from
  the question first appearing to the answer kept is below `fast_ratio` × reading time. An attempt
  with at least `fast_min_answers` fast answers is flagged, with each one as evidence.
- identical: two people of one unit, in one window (the regular window or the 补考), both handed
  in. Papers are drawn and shuffled per attempt, so compare by question, not by position: C = the
  questions both were asked and both answered. The pair is flagged when |C| ≥
  `identical_min_common`, both answered C in the same order (by answer time) with the same answer
  to each, and that is beyond what chance explains: the chance that an independent second person
  gives these same answers, Π over C of p(q) with p = the question's correct rate r when the shared
  answer is right and (1 − r) / (number of wrong answers) when it is wrong, is at most
  `identical_max_chance`. r comes from the question's real answers, smoothed ((right + 1) /
  (answers + 2), kept within 5 %..95 %). The order is required but not counted in the chance,
  so the estimate errs toward not flagging: people who all know the answers match by knowledge,
  identical wrong answers are what stand out.
- rebind: the person's chat account was bound again during the open window: a bind of the roster
  entry between the window's opening and the hand-in that follows an earlier unbind (by an admin)
  of the same entry on that platform.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FAST, IDENTICAL, REBIND = "fast", "identical", "rebind"
KINDS = (FAST, IDENTICAL, REBIND)
RATE_RANGE = (0.05, 0.95)


@dataclass(frozen=True, slots=True)
class Thresholds:
    reading_chars_per_second: float = 12.0
    long_stem_chars: int = 100
    fast_ratio: float = 0.25
    fast_min_answers: int = 3
    identical_min_common: int = 5
    identical_max_chance: float = 1e-4


# --- the per-question time limit ----------------------------------------------------------
def question_ends(shown_at: float, seconds: int, attempt_deadline: float) -> float:
    """When the question shown at `shown_at` stops taking answers."""
    return min(shown_at + seconds, attempt_deadline)


def question_closed(shown_at: float | None, seconds: int, now: float) -> bool:
    """Whether a question's own time has run out (never when there is no limit or it was never shown)."""
    return seconds > 0 and shown_at is not None and now >= shown_at + seconds


def next_open(count: int, after: int, shown: Mapping[int, float], seconds: int, now: float) -> int | None:
    """The next position after `after` (wrapping round) whose time has not run out; None when
    every question's time has run out."""
    for step in range(1, count + 1):
        pos = (after + step) % count
        if not question_closed(shown.get(pos), seconds, now):
            return pos
    return None


# --- fast answers ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Timed:
    """One answered question of a paper: its length as shown and when it was shown and answered."""
    pos: int
    qid: str
    chars: int
    shown_at: float
    answered_at: float


def reading_seconds(chars: int, rules: Thresholds) -> float:
    return chars / rules.reading_chars_per_second


def fast_answers(items: Iterable[Timed], rules: Thresholds) -> list[dict[str, Any]]:
    """The fast answers on long questions, as evidence rows (position counted from 1)."""
    out = []
    for item in sorted(items, key=lambda t: t.pos):
        if item.chars < rules.long_stem_chars:
            continue
        need = reading_seconds(item.chars, rules)
        took = max(0.0, item.answered_at - item.shown_at)
        if took < need * rules.fast_ratio:
            out.append({"n": item.pos + 1, "qid": item.qid, "chars": item.chars,
                        "reading_s": round(need, 1), "took_s": round(took, 1)})
    return out


def fast_flag(items: Sequence[Timed], rules: Thresholds) -> dict[str, Any] | None:
    """Evidence for a fast flag, or None: the fast answers and how many long questions there were."""
    fast = fast_answers(items, rules)
    if len(fast) < rules.fast_min_answers:
        return None
    long = sum(1 for t in items if t.chars >= rules.long_stem_chars)
    return {"fast": fast, "long": long, "rate": rules.reading_chars_per_second, "ratio": rules.fast_ratio}


# --- identical answer sequences ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Given:
    """One answer as the question's own options (not the shuffled letters), with when it was given."""
    qid: str
    answer: str
    correct: bool
    at: float


@dataclass(frozen=True, slots=True)
class Odds:
    """What a question's real answers say: its correct rate and how many wrong answers it has."""
    rate: float
    wrong_choices: int


def smoothed_rate(answers: int, right: int) -> float:
    low, high = RATE_RANGE
    return min(high, max(low, (right + 1) / (answers + 2)))


def wrong_choices(qtype: str, options: int) -> int:
    """How many different wrong answers a question has: judge 1, single n − 1, multiple 2ⁿ − 2
    (capped at 30); fill-in counts as 10 (typed text rarely matches by chance)."""
    if qtype == "judge":
        return 1
    if qtype == "single":
        return max(1, options - 1)
    if qtype == "multiple":
        return max(1, min(30, int(2 ** options) - 2))
    return 10


def chance_same(given: Given, odds: Odds) -> float:
    return odds.rate if given.correct else (1 - odds.rate) / max(1, odds.wrong_choices)


def identical_flag(a: Sequence[Given], b: Sequence[Given], odds: Mapping[str, Odds], rules: Thresholds,
                   default: Odds = Odds(0.5, 3)) -> dict[str, Any] | None:
    """Evidence that two answer sheets are identical beyond chance, or None (see the module doc)."""
    mine, theirs = {g.qid: g for g in a}, {g.qid: g for g in b}
    common = set(mine) & set(theirs)
    if len(common) < rules.identical_min_common:
        return None
    seq_a = sorted((mine[q] for q in common), key=lambda g: (g.at, g.qid))
    seq_b = sorted((theirs[q] for q in common), key=lambda g: (g.at, g.qid))
    if [(g.qid, g.answer) for g in seq_a] != [(g.qid, g.answer) for g in seq_b]:
        return None
    log_chance = sum(math.log(max(1e-300, chance_same(g, odds.get(g.qid, default)))) for g in seq_a)
    chance = math.exp(log_chance)
    if chance > rules.identical_max_chance:
        return None
    return {"common": len(common), "same_wrong": sum(1 for g in seq_a if not g.correct),
            "chance": float(f"{chance:.3g}"), "questions": [g.qid for g in seq_a][:50]}


# --- re-binding during the window -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BindEvent:
    id: int
    roster_id: int
    platform: str
    user_key: str
    kind: str  # bind | unbind
    at: float
    by: str = ""


def rebinds(events: Iterable[BindEvent], opens: float, until: float) -> list[tuple[BindEvent, BindEvent]]:
    """(unbind, bind) pairs: a bind in [opens, until] after an earlier unbind on its platform."""
    ordered = sorted(events, key=lambda e: (e.at, e.id))
    out = []
    last_unbind: dict[str, BindEvent] = {}
    for event in ordered:
        if event.kind == "unbind":
            last_unbind[event.platform] = event
        elif event.kind == "bind" and event.platform in last_unbind and opens <= event.at <= until:
            out.append((last_unbind.pop(event.platform), event))
    return out


def rebind_evidence(unbind: BindEvent, bind: BindEvent) -> dict[str, Any]:
    return {"platform": bind.platform, "old_account": unbind.user_key, "new_account": bind.user_key,
            "unbound_at": unbind.at, "unbound_by": unbind.by, "bound_at": bind.at}
