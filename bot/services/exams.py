"""考试管理: official exams created in the web console, and the windows of every official exam.

Exams written in YAML (quizzes/exams/*.yaml) stay where they are. An exam created in the console is
stored in the database as the same YAML-shaped mapping and read by `parse_exam`, the loader
`lawbot content check` runs on the files, and its blueprint is checked against the bank with the
content check's `blueprint_shortfalls`: what the check refuses, the console refuses, with the reason.

Every worker sees console exams without a restart: `refresh(deps)` compares the table's revision
(the sum of the rows' revisions: it grows with every write) with the one this catalog applied and
reloads the console exams when it differs. Chat turns (which read the revision in their first
statement, with the user's state), scheduler runs and console requests call it first, so no
worker serves from a stale copy.

Windows: open, close, 补考 and extend use bot.domain.official_exam's rules (move_main_window keeps
a 补考 window after the main one) and the exam_windows overrides the chat always used; the chat
commands /exam_open, /exam_close and /makeup_open call `move_window` too.

Rights: a super admin creates and manages every exam. A unit admin may create an exam only for
units inside their subtree (at least one unit), and manage the windows only of console exams whose
every target unit is theirs; YAML exams are the super admins'."""

from __future__ import annotations

import hashlib
import logging
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.catalog.exams import parse_exam
from bot.deps import Deps
from bot.domain import official_exam as rules
from bot.domain.exam_rules import blueprint_shortfalls
from bot.domain.models import TYPE_ALIASES, ExamDefinition, OfficialSpec, QType
from bot.services.rights import Actor, Forbidden

log = logging.getLogger(__name__)

DAY = 86_400
MAX_LINES = 8  # blueprint lines on the form
ORIGIN = "console"  # ExamDefinition.origin of a console exam starts with this
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
_applied: dict[int, tuple[weakref.ref[Any], int]] = {}  # id(catalog) -> (its database, revision applied)


class ExamError(Exception):
    """A refusal the admin can act on: `key` names the text, `values` fill it."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


class EditConflict(ExamError):
    """Another admin saved the exam after the edit form (carrying `base`) was opened, or between
    this save's read and its write: nothing of this save is kept."""

    def __init__(self) -> None:
        super().__init__("web_edit_conflict_reloaded")


def form_stamp(form: ExamForm) -> str:
    """A fingerprint of a console exam as its edit form shows it (the form carries it as `base`)."""
    return hashlib.sha256(repr(form).encode("utf-8")).hexdigest()[:20]


class ExamInvalid(Exception):
    """The form does not make a valid exam: every reason, as (text key, values)."""

    def __init__(self, problems: list[tuple[str, dict[str, object]]], form: ExamForm | None = None):
        super().__init__("; ".join(key for key, _ in problems))
        self.problems = problems
        self.form = form


@dataclass(frozen=True, slots=True)
class BlueprintLine:
    type: QType
    count: int
    points: float
    tags: tuple[str, ...] = ()  # a law name or a tag; empty = the whole bank
    partial: bool = False


@dataclass(frozen=True, slots=True)
class ExamForm:
    """A console exam as the form describes it. Times are local times of the configured timezone."""
    id: str
    title_zh: str
    blueprint: tuple[BlueprintLine, ...]
    time_limit_minutes: int
    pass_mark: float
    opens: datetime
    closes: datetime
    title_en: str = ""
    makeup_opens: datetime | None = None
    makeup_closes: datetime | None = None
    makeup_attempts: int = 1
    units: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    attempts_allowed: int = 1
    final_score: str = "best"
    prereq_points: int = 0
    prereq_practice_answers: int = 0
    prereq_study_days: int = 0
    prereq_study_hours: float = 0
    study_from: datetime | None = None
    per_question_seconds: int = 0  # each question's own time limit (fair exams); 0 = none

    def body(self, zone: ZoneInfo) -> dict[str, Any]:
        """The YAML-shaped mapping stored in the database and read by parse_exam."""
        def when(value: datetime) -> str:
            return (value if value.tzinfo else value.replace(tzinfo=zone)).isoformat()

        title = {"zh": self.title_zh.strip()}
        if self.title_en.strip():
            title["en"] = self.title_en.strip()
        body: dict[str, Any] = {
            "id": self.id, "kind": "official", "title": title, "time_limit_minutes": self.time_limit_minutes,
            "pass_mark": self.pass_mark, "attempts_allowed": self.attempts_allowed,
            "final_score": self.final_score, "window": {"opens": when(self.opens), "closes": when(self.closes)},
            "units": list(self.units), "roles": list(self.roles),
            "blueprint": [{"type": line.type.value, "count": line.count, "points": line.points,
                           "tags": list(line.tags), **({"partial": True} if line.partial else {})}
                          for line in self.blueprint],
        }
        if self.makeup_opens is not None and self.makeup_closes is not None:
            body["makeup"] = {"opens": when(self.makeup_opens), "closes": when(self.makeup_closes),
                              "attempts": self.makeup_attempts}
        prereq = {k: v for k, v in (("points", self.prereq_points), ("practice_answers", self.prereq_practice_answers),
                                    ("study_days", self.prereq_study_days),
                                    ("study_hours", self.prereq_study_hours)) if v}
        if prereq:
            body["prerequisite"] = prereq
        if self.study_from is not None:
            body["study_from"] = when(self.study_from)
        if self.per_question_seconds:
            body["per_question_seconds"] = self.per_question_seconds
        return body


@dataclass(frozen=True, slots=True)
class ExamSummary:
    definition: ExamDefinition
    spec: OfficialSpec  # with the admins' window changes
    phase: str  # bot.domain.official_exam phase now
    source: str  # "console" | "yaml"
    manageable: bool  # this actor may move its windows
    editable: bool  # a console exam this actor may still edit (before it opens)


@dataclass(frozen=True, slots=True)
class WindowChange:
    definition: ExamDefinition
    kind: str  # open | close | makeup | extend
    before: OfficialSpec
    after: OfficialSpec

    @property
    def makeup_moved(self) -> bool:
        return (self.after.makeup_opens, self.after.makeup_closes) != (self.before.makeup_opens,
                                                                       self.before.makeup_closes)


# --- every worker sees the same exams ---------------------------------------------------------

async def refresh(deps: Deps, revision: int | None = None) -> None:
    """Bring this worker's catalog up to date with the console exams in the database (one small
    query when nothing changed, none when the caller read `revision` already: a chat turn reads it
    with the user's state, sessions.get_turn_with_exams). A console exam whose id a YAML file took
    later is skipped. A catalog shared by several databases (tests) is reloaded whole when the
    database changes."""
    catalog, storage = deps.catalog, deps.storage
    if revision is None:
        revision = await storage.console_exams.exam_revision()
    applied = _applied.get(id(catalog))
    if applied is not None and applied[0]() is storage and applied[1] == revision:
        return
    rows = await storage.console_exams.console_exams()
    for exam_id in [k for k, d in catalog.exams.items() if is_console(d)]:
        del catalog.exams[exam_id]
    for row in rows:
        definition, problems = parse_exam(row.body, f"{ORIGIN}:{row.id}")
        if definition is None:
            log.error("console exam %s does not load: %s", row.id, problems[0] if problems else "?")
        elif row.id in catalog.exams:
            log.error("console exam %s: a YAML exam has the same id; the YAML one is kept", row.id)
        else:
            catalog.exams[row.id] = definition
    _applied[id(catalog)] = (weakref.ref(storage), revision)


def is_console(definition: ExamDefinition) -> bool:
    return definition.origin.startswith(ORIGIN + ":")


def official_exams(deps: Deps) -> list[ExamDefinition]:
    return [d for d in deps.catalog.exams.values() if d.official]


async def spec_of(deps: Deps, definition: ExamDefinition) -> OfficialSpec:
    assert definition.official is not None
    return rules.effective(definition.official, await deps.storage.windows.window_override(definition.id))


def may_manage(actor: Actor, definition: ExamDefinition) -> bool:
    if actor.is_super:
        return True
    spec = definition.official
    return bool(is_console(definition) and spec and spec.units and all(actor.covers(u) for u in spec.units))


def _require_manage(actor: Actor, definition: ExamDefinition) -> None:
    if not may_manage(actor, definition):
        raise Forbidden("admin_super_only" if not is_console(definition) else "admin_not_your_unit")


# --- reading ------------------------------------------------------------------------------------

async def list_exams(deps: Deps, actor: Actor, now: float) -> list[ExamSummary]:
    """Official exams this actor may see: every one for a super admin; for a unit admin those for
    the whole roster or aimed at a unit in their subtree or above their unit."""
    await refresh(deps)
    out = []
    for definition in official_exams(deps):
        spec = await spec_of(deps, definition)
        if not actor.is_super and spec.units and not any(
                actor.covers(u) or actor.role.unit in actor.tree.subtree(u) for u in spec.units if u in actor.tree):
            continue
        phase = rules.phase_at(spec, now)
        manage = may_manage(actor, definition)
        out.append(ExamSummary(definition, spec, phase, ORIGIN if is_console(definition) else "yaml", manage,
                               manage and is_console(definition) and phase == rules.BEFORE))
    return out


async def get_exam(deps: Deps, actor: Actor, exam_id: str, now: float) -> ExamSummary:
    for summary in await list_exams(deps, actor, now):
        if summary.definition.id == exam_id:
            return summary
    raise ExamError("exam_unknown", id=exam_id[:40])


async def form_of(deps: Deps, actor: Actor, exam_id: str) -> ExamForm:
    """The stored form of a console exam (to edit it)."""
    row = await deps.storage.console_exams.console_exam(exam_id)
    if row is None:
        raise ExamError("exam_unknown", id=exam_id[:40])
    return form_from_body(row.body)


def form_from_body(body: dict[str, Any]) -> ExamForm:
    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    def required(value: str) -> datetime:
        return datetime.fromisoformat(value)

    makeup = body.get("makeup") or {}
    prereq = body.get("prerequisite") or {}
    return ExamForm(
        id=body["id"], title_zh=body["title"].get("zh", ""), title_en=body["title"].get("en", ""),
        blueprint=tuple(BlueprintLine(QType(b["type"]), b["count"], float(b["points"]), tuple(b.get("tags") or ()),
                                      bool(b.get("partial"))) for b in body["blueprint"]),
        time_limit_minutes=body["time_limit_minutes"], pass_mark=float(body["pass_mark"]),
        opens=required(body["window"]["opens"]), closes=required(body["window"]["closes"]),
        makeup_opens=when(makeup.get("opens")), makeup_closes=when(makeup.get("closes")),
        makeup_attempts=makeup.get("attempts", 1), units=tuple(body.get("units") or ()),
        roles=tuple(body.get("roles") or ()), attempts_allowed=body.get("attempts_allowed", 0),
        final_score=body.get("final_score", "best"), prereq_points=prereq.get("points", 0),
        prereq_practice_answers=prereq.get("practice_answers", 0), prereq_study_days=prereq.get("study_days", 0),
        prereq_study_hours=prereq.get("study_hours", 0), study_from=when(body.get("study_from")),
        per_question_seconds=body.get("per_question_seconds") or 0)


def bank_tags(deps: Deps) -> list[tuple[str, int]]:
    """Laws and tags the blueprint may draw from, with how many questions carry each."""
    counts: dict[str, int] = {}
    for q in deps.catalog.question_list:
        if q.parent:
            continue
        for tag in dict.fromkeys((q.cite.law, *q.tags)):
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# --- the console form ------------------------------------------------------------------------------

def _parse_time(raw: str | None) -> datetime | None:
    raw = (raw or "").strip().replace(" ", "T", 1)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(raw) from None


def parse_form(fields: Mapping[str, str], units: list[str] | None = None) -> ExamForm:
    """A submitted form (text fields) -> ExamForm; raises ExamInvalid naming every field that is
    not a number or a time. `units` are the chosen target units (a multi-select)."""
    problems: list[tuple[str, dict[str, object]]] = []

    def text(name: str, limit: int = 200) -> str:
        return str(fields.get(name) or "").strip()[:limit]

    def number(name: str, label: str, low: float, high: float, default: float | None = None,
               integer: bool = True) -> Any:
        raw = text(name, 40)
        if not raw and default is not None:
            return default
        try:
            value = int(raw) if integer else float(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            problems.append(("exam_err_number", {"field": label, "low": low, "high": high}))
            return default if default is not None else low
        return value

    def moment(name: str, label: str, required: bool) -> datetime | None:
        try:
            value = _parse_time(fields.get(name))
        except ValueError:
            value = None
            problems.append(("exam_err_time", {"field": label}))
            return None
        if value is None and required:
            problems.append(("exam_err_time", {"field": label}))
        return value

    lines = []
    for i in range(MAX_LINES):
        kind = text(f"bp_type_{i}", 20)
        count, points = text(f"bp_count_{i}", 10), text(f"bp_points_{i}", 10)
        if not kind and not count:
            continue
        qtype = TYPE_ALIASES.get(kind)
        if qtype is None:
            problems.append(("exam_err_type", {"line": i + 1}))
            continue
        label = f"#{i + 1}"
        n = number(f"bp_count_{i}", label, 1, 500)
        pts = number(f"bp_points_{i}", label, 0.1, 1000, default=1.0 if not points else None, integer=False)
        tag = text(f"bp_tag_{i}", 80)
        lines.append(BlueprintLine(qtype, n, float(pts), (tag,) if tag else (),
                                   partial=qtype is QType.FILL and bool(fields.get(f"bp_partial_{i}"))))
    final = text("final_score", 10) or "best"
    form = ExamForm(
        id=text("id", 40), title_zh=text("title_zh"), title_en=text("title_en"), blueprint=tuple(lines),
        time_limit_minutes=number("time_limit", "time_limit", 1, 600),
        pass_mark=number("pass_mark", "pass_mark", 0, 10000, integer=False),
        opens=moment("opens", "opens", True) or datetime(2000, 1, 1),
        closes=moment("closes", "closes", True) or datetime(2000, 1, 2),
        makeup_opens=moment("makeup_opens", "makeup_opens", False),
        makeup_closes=moment("makeup_closes", "makeup_closes", False),
        makeup_attempts=number("makeup_attempts", "makeup_attempts", 0, 100, default=1),
        units=tuple(dict.fromkeys(u.strip() for u in (units or []) if u.strip())),
        roles=tuple(dict.fromkeys(r.strip() for r in re.split(r"[,，、;；\s]+", text("roles", 400)) if r.strip())),
        attempts_allowed=number("attempts", "attempts", 0, 100, default=1),
        final_score=final if final in ("best", "last") else "best",
        prereq_points=number("prereq_points", "prereq_points", 0, 100000, default=0),
        prereq_practice_answers=number("prereq_practice", "prereq_practice", 0, 100000, default=0),
        prereq_study_days=number("prereq_days", "prereq_days", 0, 100000, default=0),
        prereq_study_hours=number("prereq_hours", "prereq_hours", 0, 100000, default=0, integer=False),
        study_from=moment("study_from", "study_from", False),
        per_question_seconds=number("per_question", "per_question", 5, 3600, default=0),
    )
    if problems:
        raise ExamInvalid(problems, form)
    return form


def problem_texts(locale: str, error: ExamInvalid) -> list[str]:
    """The reasons, in the admin's language (field and type names translated)."""
    from bot.texts import tr

    out = []
    for key, values in error.problems:
        values = dict(values)
        if "field" in values and not str(values["field"]).startswith("#"):
            values["field"] = tr(locale, f"exam_f_{values['field']}")
        elif "field" in values:
            values["field"] = tr(locale, "exam_f_line", n=str(values["field"])[1:])
        if "type" in values:
            values["type"] = tr(locale, f"type_{values['type']}").removesuffix("题")  # 材料题 -> 材料 + 题
        out.append(tr(locale, key, **values))
    return out


# --- validation -----------------------------------------------------------------------------------

def validate(deps: Deps, actor: Actor, form: ExamForm, *, creating: bool) -> ExamDefinition:
    """The exam the form describes, checked like `lawbot content check` checks a YAML exam; raises
    ExamInvalid with every reason, or Forbidden when the units are not the actor's."""
    problems: list[tuple[str, dict[str, object]]] = []
    if not _ID_RE.match(form.id):
        problems.append(("exam_err_id", {}))
    elif creating and form.id in deps.catalog.exams:
        problems.append(("exam_err_id_taken", {"id": form.id}))
    if not form.title_zh.strip():
        problems.append(("exam_err_title", {}))
    unknown = [u for u in form.units if u not in actor.tree]
    if unknown:
        problems.append(("exam_err_units", {"units": "、".join(unknown)[:200]}))
    if not actor.is_super:
        if not form.units:
            raise Forbidden("exam_units_required")
        for unit in form.units:
            if unit in actor.tree:
                actor.require_unit(unit)
    if not form.blueprint:
        problems.append(("exam_err_blueprint_empty", {}))
    elif form.pass_mark > (total := sum(line.count * line.points for line in form.blueprint)):
        problems.append(("exam_err_pass_mark_total", {"mark": f"{form.pass_mark:g}", "total": f"{total:g}"}))
    if len({line.partial for line in form.blueprint if line.type is QType.FILL}) > 1:
        problems.append(("exam_err_fill_partial", {}))  # the content check's own reason is English
    zone = ZoneInfo(deps.config.timezone)
    if form.closes <= form.opens:
        problems.append(("exam_err_window", {}))
    if (form.makeup_opens is None) != (form.makeup_closes is None):
        problems.append(("exam_err_makeup_both", {}))
    elif form.makeup_opens is not None and form.makeup_closes is not None:
        if form.makeup_closes <= form.makeup_opens:
            problems.append(("exam_err_makeup_window", {}))
        elif form.makeup_opens < form.closes:
            problems.append(("exam_err_makeup_order", {}))
    if problems:
        raise ExamInvalid(problems, form)
    definition, found = parse_exam(form.body(zone), f"{ORIGIN}:{form.id}")
    if definition is None:  # the content check's own reasons (its texts are English)
        raise ExamInvalid([("exam_err_content", {"reason": p.reason}) for p in found], form)
    short = blueprint_shortfalls(definition, deps.catalog.exam_questions(definition))
    if short:
        raise ExamInvalid([("exam_err_bank_short", {
            "line": definition.blueprint.index(item) + 1, "count": item.count, "type": item.type.value,
            "tags": "/".join(item.tags) or "—", "have": have}) for item, have in short], form)
    return definition


# --- writing --------------------------------------------------------------------------------------

async def create_exam(deps: Deps, actor: Actor, form: ExamForm, now: float) -> ExamDefinition:
    await refresh(deps)
    definition = validate(deps, actor, form, creating=True)
    body = form.body(ZoneInfo(deps.config.timezone))
    async with deps.storage.atomic():
        if not await deps.storage.console_exams.save_console_exam(form.id, body, actor.user, now, create=True):
            raise ExamInvalid([("exam_err_id_taken", {"id": form.id})])
        await record(deps, actor, "exam.create", f"exam:{form.id}", after=body, unit=_unit_of(actor, form))
    await refresh(deps)
    return definition


async def update_exam(deps: Deps, actor: Actor, form: ExamForm, now: float, base: str = "") -> ExamDefinition:
    """Edit a console exam before its window opens (afterwards only its windows move). `base`: the
    form_stamp the edit form showed; EditConflict when the stored exam differs (another admin saved
    it since). The write is conditional on the revision read here, so of two saves that both read
    the same revision only one is stored (EditConflict for the other; a form without base too)."""
    await refresh(deps)
    current = deps.catalog.exams.get(form.id)
    row = await deps.storage.console_exams.console_exam(form.id)
    if current is None or row is None or not is_console(current):
        raise ExamError("exam_unknown", id=form.id[:40])
    _require_manage(actor, current)
    if rules.phase_at(await spec_of(deps, current), now) != rules.BEFORE:
        raise ExamError("exam_err_started", title=current.title)
    if base and base != form_stamp(form_from_body(row.body)):
        raise EditConflict()
    definition = validate(deps, actor, form, creating=False)
    body = form.body(ZoneInfo(deps.config.timezone))
    async with deps.storage.atomic():
        if not await deps.storage.console_exams.save_console_exam(form.id, body, actor.user, now, create=False,
                                                                  expected_revision=row.revision):
            raise EditConflict()  # saved by another admin since `row` was read (rolls this transaction back)
        if await deps.storage.windows.window_override(form.id) is not None:  # the form's window wins over earlier moves
            spec = definition.official
            assert spec is not None
            await deps.storage.windows.set_window(form.id, rules.WindowOverride(
                spec.opens, spec.closes, spec.makeup_opens, spec.makeup_closes), actor.user, now)
        await record(deps, actor, "exam.update", f"exam:{form.id}", before=row.body, after=body,
                     unit=_unit_of(actor, form))
    await refresh(deps)
    return definition


async def record(deps: Deps, actor: Actor, action: str, target: str, **values: Any) -> None:
    """The audit log entry of a write (bot.services.audit), in the write's transaction."""
    from bot.services import audit

    await audit.record(deps, actor, action, target, **values)


def _unit_of(actor: Actor, form: ExamForm) -> str | None:
    """The unit an audit entry concerns: the one target unit, else the actor's own."""
    return form.units[0] if len(form.units) == 1 else actor.role.unit


KINDS = ("open", "close", "makeup", "extend")
WINDOW_LOCK = "exam-window:"  # + exam id: the key of the lock a window change holds (PostgreSQL)


def window_stamp(spec: OfficialSpec) -> str:
    """The windows as the console's list shows them (its buttons' form carries it as `base`):
    move_window refuses a change whose base is not the stamp of the windows it is about to move."""
    return "-".join(f"{moment or 0:.0f}" for moment in (spec.opens, spec.closes, spec.makeup_opens, spec.makeup_closes))


async def move_window(deps: Deps, actor: Actor, exam_id: str, kind: str, now: float, days: int = 7,
                      base: str = "") -> WindowChange:
    """kind: open (the main window from now for `days`; a 补考 that would come first or overlap
    moves after it), close (the main window ends now), makeup (the 补考 window from now for `days`,
    only after the main window closed), extend (the window open now, or not yet open, ends `days`
    later).

    The windows are read, checked and written in one transaction that holds the exam's window
    lock (on SQLite every write transaction is one at a time; on PostgreSQL a transaction-level
    advisory lock on the exam), so of two changes at the same instant the second starts from the
    first's result. `base`: the window_stamp the admin saw (a console button); when the windows
    changed since (a repeated request, another admin), nothing is written: ExamError
    "web_window_changed"."""
    await refresh(deps)
    definition = deps.catalog.exams.get(exam_id)
    if definition is None or not definition.official:
        raise ExamError("window_usage", exams="、".join(d.id for d in official_exams(deps)) or "—")
    _require_manage(actor, definition)
    if not 1 <= days <= 365:
        raise ExamError("exam_err_days")
    if kind not in KINDS:
        raise ExamError("exam_unknown", id=kind[:20])
    async with deps.storage.atomic():  # a refusal below rolls it back: nothing written
        await deps.storage.turns.lock_user(WINDOW_LOCK + definition.id)
        before = await spec_of(deps, definition)
        if base and window_stamp(before) != base:
            raise ExamError("web_window_changed")
        window = _moved(definition, before, kind, now, days)
        await deps.storage.windows.set_window(definition.id, window, actor.user, now)
        after = await spec_of(deps, definition)
        await record(deps, actor, f"exam.{kind}", f"exam:{definition.id}", before=_window_dict(before),
                     after=_window_dict(after), unit=None if not definition.official.units or
                     len(definition.official.units) != 1 else definition.official.units[0])
    return WindowChange(definition, kind, before, after)


def _moved(definition: ExamDefinition, before: OfficialSpec, kind: str, now: float, days: int) -> rules.WindowOverride:
    """The override that makes `kind` of the windows `before` (bot.domain.official_exam's rules)."""
    end = now + days * DAY
    if kind == "open":
        return rules.move_main_window(before, now, end)
    if kind == "close":
        return rules.WindowOverride(closes=now)
    if kind == "makeup":
        if before.closes > now:
            raise ExamError("window_makeup_during_main", title=definition.title, id=definition.id,
                            closes=before.closes)
        return rules.WindowOverride(makeup_opens=now, makeup_closes=end)
    phase = rules.phase_at(before, now)  # extend
    if phase in (rules.BEFORE, rules.OPEN):
        return rules.move_main_window(before, before.opens, before.closes + days * DAY)
    if phase == rules.MAKEUP and before.makeup_closes is not None:
        return rules.WindowOverride(makeup_closes=before.makeup_closes + days * DAY)
    raise ExamError("exam_err_nothing_to_extend", title=definition.title)


def _window_dict(spec: OfficialSpec) -> dict[str, float | None]:
    return {"opens": spec.opens, "closes": spec.closes, "makeup_opens": spec.makeup_opens,
            "makeup_closes": spec.makeup_closes}



def text_of(deps: Deps, locale: str, error: ExamError) -> str:
    """An ExamError as the admin reads it (times in the configured timezone)."""
    from bot.texts import tr

    values = {k: when(deps, v) if k in ("opens", "closes") and isinstance(v, float) else
              (v.get(locale) or v.get("zh", "")) if k == "title" and isinstance(v, dict) else v
              for k, v in error.values.items()}
    return tr(locale, error.key, **values)


def when(deps: Deps, ts: float | None) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, ZoneInfo(deps.config.timezone)).strftime("%Y-%m-%d %H:%M")
