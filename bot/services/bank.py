"""题库 use cases: browse and search the question bank (by text, law, type, tag; paged), one
question with the text of the article it cites and its item statistics, edit a question with the
import's validation, retire a question (past attempts keep it; nothing draws it any more), import
a file with a preview, export.

Every admin may browse and export; changing the bank is a super admin's right (it is shared by
every unit). A change is written to the question's bank file and published as a bank version
(storage.bank_versions), so every worker applies it and a restart loads it; a retirement is kept in
storage.retired_questions and announced with a version too (bot/bank_sync.py). Chat (BankAdminFlow)
and the console call these functions."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import tempfile
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import fslock
from bot.catalog.bank_io import ImportFormatError, ImportResult, export_questions, import_into_bank, read_questions
from bot.catalog.bank_io.columns import ImportProblem, Record
from bot.catalog.bank_io.importer import bank_target, validate
from bot.catalog.bank_io.messages import problem_text
from bot.catalog.bank_io.xlsx import write_template
from bot.catalog.bank_io.yamlbank import dump_questions, merge, question_mapping, write_atomically
from bot.catalog.questions import load_bank_file
from bot.deps import Deps
from bot.domain.models import LETTERS, QType, Question
from bot.services.audit import record
from bot.services.rights import Actor
from bot.storage.ports import PendingUpload
from bot.texts import tr

log = logging.getLogger(__name__)

SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt", ".gift", ".aiken")
EXPORT_FORMATS = ("xlsx", "csv")
TEMPLATE = Path("content") / "templates" / "题库导入模板.xlsx"
PAGE_SIZES = (20, 50, 100)
STATUSES = ("active", "retired", "all")
EDITABLE = (QType.SINGLE, QType.MULTIPLE, QType.JUDGE, QType.FILL, QType.MATERIAL)
SUB_TYPES = (QType.SINGLE, QType.MULTIPLE, QType.JUDGE)  # what a material's sub-question may be
SUB_SLOTS = 5  # the edit form's sub-question slots (a material has 2 to 5)
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


class BankError(Exception):
    """A request refused for a reason the admin can fix: `key` names the text; `lines` are the
    validation's reasons (already in the admin's language)."""

    def __init__(self, key: str, lines: list[str] | None = None, **values: object):
        super().__init__(key)
        self.key = key
        self.lines = lines or []
        self.values = values


class EditConflict(BankError):
    """Another admin saved the question after the edit form (carrying `base`) was opened: nothing
    of this save is kept."""

    def __init__(self) -> None:
        super().__init__("web_edit_conflict")


def question_stamp(question: Question) -> str:
    """A fingerprint of a question as its edit form shows it (the form carries it as `base`)."""
    body = json.dumps(question_mapping(question), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:20]


def _lock() -> asyncio.Lock:
    """One bank change at a time in this process (a file is read, merged and written)."""
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


def _bank_folder(root: Path) -> Path:
    """The content root's bank folder (made if missing), the thing every process of a deployment
    locks; the root itself when the folder cannot be made (a read-only root, where no process
    writes a bank file)."""
    folder = root / "quizzes" / "bank"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = root
    return folder


@contextmanager
def folder_lock(root: Path) -> Iterator[None]:
    """The bank's lock across processes, for a caller without an event loop (`lawbot bank import`):
    the bank folder's flock (bot.fslock). Blocks until free."""
    with fslock.folder_lock(_bank_folder(root)):
        yield


@asynccontextmanager
async def bank_lock(root: Path) -> AsyncIterator[None]:
    """One bank change at a time in the deployment: this process's lock, then the bank folder's
    flock (see folder_lock), shared by every worker, the web console and `lawbot bank import`, so
    of two changes at the same instant the second reads the file the first wrote. The flock is
    tried without blocking; while another process holds it, tried again after a short wait that
    leaves the event loop free (bot.fslock.held)."""
    async with _lock(), fslock.held(_bank_folder(root)):
        yield


# --- browsing --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BankQuery:
    text: str = ""
    law: str = ""
    type: str = ""  # a QType value or ""
    tag: str = ""
    status: str = "active"  # active | retired | all
    page: int = 1
    size: int = 50


@dataclass(frozen=True, slots=True)
class QuestionRow:
    question: Question
    retired: bool
    answers: int
    right: int

    @property
    def right_rate(self) -> float | None:
        return self.right / self.answers if self.answers else None


@dataclass(frozen=True, slots=True)
class BankPage:
    rows: list[QuestionRow]
    total: int
    page: int
    size: int
    laws: list[str]
    tags: list[str]
    types: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True, slots=True)
class ExamItem:
    exam_id: str
    exam_title: str
    n: int
    correct_rate: float | None
    discrimination: float | None


@dataclass(frozen=True, slots=True)
class QuestionDetail:
    question: Question
    article_label: str | None
    article_text: str | None  # the cited article as the law library holds it; None when missing
    retired: tuple[float, str, str] | None  # (when, by, why)
    answers: int
    right: int
    mean_ms: float | None
    exams: list[ExamItem]
    origin_file: str
    editable: bool

    @property
    def right_rate(self) -> float | None:
        return self.right / self.answers if self.answers else None


def _matches(q: Question, query: BankQuery) -> bool:
    if query.law and q.cite.law != query.law:
        return False
    if query.type and q.type.value != query.type:
        return False
    if query.tag and query.tag not in q.tags:
        return False
    text = query.text.strip()
    return not (text and text not in q.id and text not in q.stem and not any(text in o for o in q.options))


async def search_questions(deps: Deps, actor: Actor, query: BankQuery) -> BankPage:
    """A page of the bank (any admin). The bank is in memory; only the page's rows are counted
    in the answer log."""
    catalog = deps.catalog
    retired = catalog.retired
    everything = [q for q in catalog.questions.values() if not q.parent]
    status = query.status if query.status in STATUSES else "active"
    pool = [q for q in everything if (status == "all" or (q.id in retired) == (status == "retired"))]
    chosen = [q for q in pool if _matches(q, query)]
    size = query.size if query.size in PAGE_SIZES else PAGE_SIZES[1]
    pages = max(1, -(-len(chosen) // size))
    page = min(max(1, query.page), pages)
    shown = chosen[(page - 1) * size:page * size]
    counts = await deps.storage.pk.answer_stats([q.id for q in shown])
    rows = [QuestionRow(q, q.id in retired, *counts.get(q.id, (0, 0, None))[:2]) for q in shown]
    tags = sorted({t for q in everything for t in q.tags})
    return BankPage(rows, len(chosen), page, size, catalog.law_tags() or sorted({q.cite.law for q in everything}),
                    tags, [t.value for t in QType])


async def question_detail(deps: Deps, actor: Actor, question_id: str) -> QuestionDetail:
    from bot.services.stats_report import Stats

    catalog = deps.catalog
    q = catalog.questions.get(question_id)
    if q is None or q.parent:
        raise BankError("bank_no_such_question", id=question_id[:60])
    article = catalog.laws.article(q.cite.law, q.cite.article)
    counts = (await deps.storage.pk.answer_stats([q.id])).get(q.id, (0, 0, None))
    stats = Stats(deps)
    exams = []
    for definition in stats.official_exams():
        for item in await stats.items(definition.id):
            if item.question_id == q.id:
                exams.append(ExamItem(definition.id, definition.title_for("zh"), item.n, item.correct_rate,
                                      item.discrimination))
    info = await deps.storage.retired_questions.retired_info(q.id)
    return QuestionDetail(q, article.label if article else None, article.text if article else None, info,
                          counts[0], counts[1], counts[2], exams, q.origin.rpartition(":")[0],
                          q.type in EDITABLE)


# --- editing ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EditSub:
    """One sub-question slot of a material's edit form. `id` is the existing sub-question's id
    ("" for a new one: the material's id + .N). A slot with no text at all is dropped."""
    id: str
    type: str  # single / multiple / judge
    stem: str
    options: list[str]
    answer: str
    explanation: str
    law: str
    article: str

    @property
    def blank(self) -> bool:
        return not any(x.strip() for x in (self.stem, self.answer, self.explanation, *self.options))


@dataclass(frozen=True, slots=True)
class EditQuestion:
    question_id: str
    stem: str  # a material: its text (材料)
    options: list[str]  # single / multiple: one per option
    answer: str  # letters (AC), 正确/错误, or for a fill question 公示|公开；三日
    explanation: str
    law: str
    article: str
    tags: list[str]
    difficulty: str = "2"
    subs: list[EditSub] = field(default_factory=list)  # a material's sub-questions, in order
    base: str = ""  # the question_stamp the edit form showed ("": no check)


@dataclass(frozen=True, slots=True)
class Edited:
    question: Question
    version: int
    changed: bool


def _answer(qtype: QType | None, answer: str) -> str:
    if qtype in (QType.SINGLE, QType.MULTIPLE):
        return answer.strip().upper().replace(",", "").replace("，", "").replace(" ", "")
    return answer.strip()


def _cite(law: str, article: str) -> dict[str, Any]:
    number = article.strip()
    return {"law": law.strip().strip("《》"), "article": int(number) if number.isdigit() else number}


def _material_raw(old: Question, cmd: EditQuestion) -> dict[str, Any]:
    """A material's bank mapping from the form: its text, explanation, tags, difficulty and the
    non-blank sub-question slots (an existing sub keeps its id and the labels it has of its own;
    a new one gets the material's id + .N with the first N no sub, kept or deleted, had: a past
    answer to a deleted sub never counts for a new one)."""
    raw = question_mapping(old)
    raw["material"] = cmd.stem.strip()
    raw.pop("explanation", None)
    if cmd.explanation.strip():
        raw["explanation"] = cmd.explanation.strip()
    raw["tags"] = [t.strip() for t in cmd.tags if t.strip()]
    raw["difficulty"] = int(cmd.difficulty) if cmd.difficulty.strip().isdigit() else cmd.difficulty.strip()
    before = {sub.id: sub for sub in old.subs}
    slots = [s for s in cmd.subs if not s.blank]
    taken = set(before) | {s.id for s in slots}  # a deleted sub's id is not given to a new one (its answers)
    subs = []
    for slot in slots:
        existing = before.get(slot.id)
        sub = question_mapping(existing, old) if existing is not None else {}
        if existing is None:
            n = 1
            while f"{old.id}.{n}" in taken:
                n += 1
            taken.add(f"{old.id}.{n}")
            sub["id"] = f"{old.id}.{n}"
        qtype = existing.type if existing is not None else next(
            (t for t in SUB_TYPES if t.value == slot.type.strip()), None)
        sub["type"] = qtype.value if qtype is not None else slot.type.strip()
        sub["stem"] = slot.stem.strip()
        sub.pop("options", None)
        if qtype in (QType.SINGLE, QType.MULTIPLE) or qtype is None:
            sub["options"] = [o.strip() for o in slot.options if o.strip()]
        sub["answer"] = _answer(qtype, slot.answer)
        sub["explanation"] = slot.explanation.strip()
        sub["cite"] = _cite(slot.law, slot.article)
        subs.append(sub)
    raw["subs"] = subs
    return raw


def _raw(old: Question, cmd: EditQuestion) -> dict[str, Any]:
    if old.type is QType.MATERIAL:
        return _material_raw(old, cmd)
    raw = question_mapping(old)
    raw["stem"] = cmd.stem.strip()
    raw["explanation"] = cmd.explanation.strip()
    raw["cite"] = {"law": cmd.law.strip().strip("《》"), "article": cmd.article.strip()}
    raw["tags"] = [t.strip() for t in cmd.tags if t.strip()]
    raw["difficulty"] = cmd.difficulty.strip()
    if old.type in (QType.SINGLE, QType.MULTIPLE):
        raw["options"] = [o.strip() for o in cmd.options if o.strip()]
        raw["answer"] = cmd.answer.strip().upper().replace(",", "").replace("，", "").replace(" ", "")
    else:
        raw["answer"] = cmd.answer.strip()
    if str(raw["difficulty"]).isdigit():
        raw["difficulty"] = int(raw["difficulty"])
    if raw["cite"]["article"].isdigit():
        raw["cite"]["article"] = int(raw["cite"]["article"])
    return raw


def _file_questions(deps: Deps, shown: str) -> list[Question]:
    """The questions of bank file `shown` (relative to the content root): from disk, or when the
    file is not under this root (a catalog copied to a new root), the catalog's questions read from it."""
    catalog = deps.catalog
    path = catalog.root / shown
    if path.is_file():
        questions, problems = load_bank_file(path, catalog.laws, shown)
        if problems:
            raise BankError("bank_file_has_problems", lines=[str(p) for p in problems[:5]], file=shown)
        return questions
    return [q for q in catalog.questions.values() if not q.parent and q.origin.rpartition(":")[0] == shown]


def _write_file(deps: Deps, shown: str, questions: list[Question]) -> tuple[str, list[Question]]:
    """Write the bank file; returns its text and its questions read back (origins file:line)."""
    catalog = deps.catalog
    path = catalog.root / shown
    body = dump_questions(questions)
    write_atomically(path, body)
    stored, problems = load_bank_file(path, catalog.laws, shown)
    if problems:  # cannot happen for validated questions; never leave a broken file behind
        raise BankError("bank_file_has_problems", lines=[str(p) for p in problems[:5]], file=shown)
    return body, stored


def _inside_root(deps: Deps, shown: str) -> bool:
    root = deps.catalog.root.resolve()
    return (root / shown).resolve().is_relative_to(root) and shown.startswith("quizzes/bank/")


async def edit_question(deps: Deps, actor: Actor, cmd: EditQuestion, locale: str = "zh") -> Edited:
    """Validate the edited question exactly as an import row is validated; a refusal carries the
    reasons. The question keeps its id, type and bank file. A material is edited whole: its text
    and 2 to 5 sub-questions (cmd.subs; existing ones keep their id and type, blank slots are
    dropped, new ones are added), validated as a material in a bank file is. With cmd.base, a
    question saved by another admin since the form was opened is refused (EditConflict): compared
    under the bank's lock with the question in its bank file, so of two saves at the same instant
    the second is compared with the first's result instead of both passing."""
    actor.require_super()
    catalog = deps.catalog
    old = catalog.questions.get(cmd.question_id)
    if old is None or old.parent:
        raise BankError("bank_no_such_question", id=cmd.question_id[:60])
    if old.type not in EDITABLE:
        raise BankError("bank_edit_refused", lines=[old.type.value])
    if cmd.base and cmd.base != question_stamp(old):
        raise EditConflict()  # before validating; checked again under the lock
    shown = old.origin.rpartition(":")[0]
    if not _inside_root(deps, shown):
        raise BankError("bank_edit_outside", file=shown)
    columns = {f: tr(locale, f"bank_field_{f}") for f in ("id", "type", "stem", "options", "answer", "explanation",
                                                           "cite", "tags", "difficulty")}
    rec = Record(file=shown, row=1, raw=_raw(old, cmd), columns=columns, unit="form")
    result = await asyncio.to_thread(validate, [rec], catalog.laws, catalog.questions, shown, False, True)
    if result.problems or result.duplicates or not result.questions:
        lines = [_problem_line(p, locale) for p in result.problems]
        lines += [d.text(locale, with_file=False) for d in result.duplicates]
        raise BankError("bank_edit_refused", lines=lines or ["—"])
    new = result.questions[0]
    changed = replace(old, origin="") != replace(new, origin="")
    if not changed:
        return Edited(old, await deps.storage.bank_versions.latest_version(), False)
    async with bank_lock(catalog.root):
        current = await asyncio.to_thread(_file_questions, deps, shown)
        latest = next((q for q in current if q.id == old.id), None)  # as on disk: another worker's save too
        if cmd.base and (latest is None or cmd.base != question_stamp(latest)):
            raise EditConflict()
        merged, _added, _updated = merge(current, [new])
        body, stored = await asyncio.to_thread(_write_file, deps, shown, merged)
        now = deps.clock.now()
        async with deps.storage.atomic():
            version = await deps.storage.bank_versions.publish(shown, body, now, actor.user)
            await record(deps, actor, "bank.edit", f"question:{old.id}", unit=None,
                         before=question_mapping(old), after=question_mapping(new))
        catalog.add_questions([q for q in stored if q.id == old.id])
    log.info("%s edited question %s (bank version %d)", actor.user, old.id, version)
    return Edited(catalog.questions[old.id], version, True)


def _problem_line(problem: ImportProblem, locale: str) -> str:
    return problem_text(replace(problem, row=None, sheet=None), locale, with_file=False)


async def retire_question(deps: Deps, actor: Actor, question_id: str, reason: str = "",
                          retire: bool = True) -> int:
    """Retire (or with retire=False bring back) a question; returns the bank version that
    announces it to every worker."""
    actor.require_super()
    catalog = deps.catalog
    q = catalog.questions.get(question_id)
    if q is None or q.parent:
        raise BankError("bank_no_such_question", id=question_id[:60])
    shown = q.origin.rpartition(":")[0]
    async with bank_lock(catalog.root):
        current = await asyncio.to_thread(_file_questions, deps, shown)
        body = dump_questions(current) if not (catalog.root / shown).is_file() else \
            (catalog.root / shown).read_text(encoding="utf-8")
        if not (catalog.root / shown).is_file() and _inside_root(deps, shown):
            await asyncio.to_thread(write_atomically, catalog.root / shown, body)
        now = deps.clock.now()
        async with deps.storage.atomic():
            before = await deps.storage.retired_questions.retired_info(q.id)
            if (before is not None) == retire:  # already so (a double click, another admin): nothing to write
                return await deps.storage.bank_versions.latest_version()
            if retire:
                await deps.storage.retired_questions.retire(q.id, actor.user, now, reason.strip())
            else:
                await deps.storage.retired_questions.restore(q.id)
            version = await deps.storage.bank_versions.publish(shown, body, now, actor.user)
            await record(deps, actor, "bank.retire" if retire else "bank.restore", f"question:{q.id}", unit=None,
                         before={"retired": before is not None}, after={"retired": retire, "reason": reason[:500]})
        catalog.set_retired(await deps.storage.retired_questions.retired_ids())
    return version


# --- import ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BankPreview:
    name: str
    result: ImportResult
    new: int
    updated: int
    same: int
    upload_id: int | None  # None: nothing to import


@dataclass(frozen=True, slots=True)
class BankImported:
    name: str
    added: int
    updated: int
    skipped: int
    total: int
    version: int


MAX_NAME = 80
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def safe_name(filename: str) -> str:
    """The sender's file name without directories or characters a file system refuses."""
    name = _UNSAFE_NAME.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    suffix = Path(name).suffix[:8]
    stem = name[: len(name) - len(suffix)] if suffix else name
    return (stem[: MAX_NAME - len(suffix)] or "upload") + suffix


def _dry_run(deps: Deps, name: str, data: bytes) -> ImportResult:
    catalog = deps.catalog
    with tempfile.TemporaryDirectory(prefix="lawbot-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return read_questions(path, catalog.laws, show_progress=False, existing=catalog.questions,
                              target=bank_target(catalog.root, None)[1])


async def check_upload(deps: Deps, actor: Actor, filename: str, data: bytes, size: int | None = None) -> tuple[str, ImportResult]:
    """Refuse a file that is not a bank file, too big or empty; else validate it (a dry run, off
    the event loop). Writes nothing."""
    actor.require_super()
    name = safe_name(filename or "")
    if Path(name).suffix.lower() not in SUFFIXES:
        raise BankError("bank_file_type", name=name)
    limit_mb = deps.config.bank.upload_max_mb
    if (size or 0) > limit_mb * 1024 * 1024 or len(data) > limit_mb * 1024 * 1024:
        raise BankError("bank_file_too_big", name=name, limit=limit_mb)
    if not data:
        raise BankError("bank_file_empty", name=name)
    try:
        return name, await asyncio.to_thread(_dry_run, deps, name, data)
    except ImportFormatError as exc:
        raise BankError("bank_file_unreadable", name=name, reason=str(exc)[:300]) from None


async def keep_upload(deps: Deps, actor: Actor, name: str, data: bytes, result: ImportResult) -> BankPreview:
    """Count what an import would change and keep the file for apply_import (when it has questions)."""
    new = updated = 0
    for q in result.questions:
        old = deps.catalog.questions.get(q.id)
        if old is None:
            new += 1
        elif replace(old, origin="") != replace(q, origin=""):
            updated += 1
    upload_id = None
    if result.questions:
        now = deps.clock.now()
        ttl = deps.config.bank.upload_ttl_hours * 3600
        upload_id = await deps.storage.uploads.save_upload(actor.user, name, data, now, now - ttl)
    return BankPreview(name, result, new, updated, len(result.questions) - new - updated, upload_id)


async def preview_import(deps: Deps, actor: Actor, filename: str, data: bytes) -> BankPreview:
    name, result = await check_upload(deps, actor, filename, data)
    return await keep_upload(deps, actor, name, data, result)


def _import(deps: Deps, name: str, data: bytes, skip_bad: bool) -> tuple[ImportResult, list[Question]]:
    """Validate again (the bank may have changed since the preview) and merge by id; then read
    the imported questions back from the bank file, as a restart would (origin file:line)."""
    catalog = deps.catalog
    with tempfile.TemporaryDirectory(prefix="lawbot-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        result = import_into_bank(path, catalog.root, catalog.questions, catalog.laws, skip_bad=skip_bad,
                                  show_progress=False)
    if result.written is None:
        return result, []
    target, shown = bank_target(catalog.root, None)
    imported = {q.id for q in result.questions}
    stored, _problems = load_bank_file(target, catalog.laws, shown)
    return result, [q for q in stored if q.id in imported]


async def drop_upload(deps: Deps, actor: Actor, upload_id: int) -> bool:
    """Forget a previewed upload (取消); False when it is gone already."""
    actor.require_super()
    upload = await deps.storage.uploads.get_upload(upload_id, actor.user)
    if upload is None:
        return False
    return await deps.storage.uploads.drop_upload(upload.id)


async def claim_upload(deps: Deps, actor: Actor, upload_id: int) -> PendingUpload:
    """Take a previewed upload for import: read it and delete it in one step, so of two presses
    of 导入 (or two workers) exactly one gets the file; the other gets BankError("bank_upload_gone").
    Run it inside the caller's transaction (the chat's turn) to make the claim part of it."""
    actor.require_super()
    upload = await deps.storage.uploads.get_upload(upload_id, actor.user)
    ttl = deps.config.bank.upload_ttl_hours * 3600
    if upload is None or "/" in upload.filename or upload.created_at < deps.clock.now() - ttl:
        raise BankError("bank_upload_gone")
    if not await deps.storage.uploads.drop_upload(upload.id):  # another press took it meanwhile
        raise BankError("bank_upload_gone")
    return upload


async def apply_import(deps: Deps, actor: Actor, upload_id: int, skip_bad: bool, locale: str = "zh") -> BankImported:
    """Import a previewed upload into quizzes/bank/imported.yaml, put the questions into the
    running catalog and publish the file as a bank version (every other worker applies it)."""
    upload = await claim_upload(deps, actor, upload_id)
    return await import_claimed(deps, actor, upload, skip_bad, locale)


async def import_claimed(deps: Deps, actor: Actor, upload: PendingUpload, skip_bad: bool,
                         locale: str = "zh") -> BankImported:
    """apply_import for an upload already taken by claim_upload."""
    actor.require_super()
    async with bank_lock(deps.catalog.root):
        try:
            result, stored = await asyncio.to_thread(_import, deps, upload.filename, upload.data, skip_bad)
        except ImportFormatError as exc:
            raise BankError("bank_file_unreadable", name=upload.filename, reason=str(exc)[:300]) from None
        if result.written is None:
            lines = [problem_text(p, locale, with_file=False) for p in result.problems[:10]]
            raise BankError("bank_import_failed", lines=lines or ["—"], name=upload.filename)
        deps.catalog.add_questions(stored)
        target, shown = bank_target(deps.catalog.root, None)  # every other worker applies it (bot/bank_sync.py)
        now = deps.clock.now()
        async with deps.storage.atomic():
            version = await deps.storage.bank_versions.publish(shown, target.read_text(encoding="utf-8"), now,
                                                               actor.user)
            await deps.storage.admins.log_admin(
                actor.user, "bank_import", f"{upload.filename} +{result.added} ~{result.updated} !{result.bad_rows}",
                now)
            await record(deps, actor, "bank.import", f"file:{upload.filename}", unit=None,
                         after={"added": result.added, "updated": result.updated, "skipped": result.bad_rows,
                                "version": version})
    log.info("%s imported %s: %s", actor.user, upload.filename, result.summary())
    return BankImported(upload.filename, result.added, result.updated, result.bad_rows,
                        len(deps.catalog.questions), version)


# --- export ----------------------------------------------------------------------------
def _export(questions: list[Question], fmt: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="lawbot-export-") as folder:
        path = Path(folder) / f"bank.{fmt}"
        export_questions(questions, path, fmt, show_progress=False)
        return path.read_bytes()


async def export_bank(deps: Deps, actor: Actor, fmt: str = "xlsx", law: str = "", tag: str = "") -> tuple[str, bytes, int]:
    """(file name, bytes, questions) of the questions in use, optionally of one law or tag."""
    if fmt not in EXPORT_FORMATS:
        raise BankError("bank_export_usage")
    questions = [q for q in deps.catalog.question_list
                 if (not law or q.cite.law == law) and (not tag or tag in q.tags)]
    data = await asyncio.to_thread(_export, questions, fmt)
    now = deps.clock.now()
    await deps.storage.admins.log_admin(actor.user, "bank_export", fmt, now)
    day = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d")
    return f"bank-{day}.{fmt}", data, len(questions)


def template_bytes(deps: Deps) -> bytes:
    shipped = deps.catalog.root / TEMPLATE
    if shipped.is_file():
        return shipped.read_bytes()
    with tempfile.TemporaryDirectory(prefix="lawbot-template-") as folder:
        path = Path(folder) / TEMPLATE.name
        write_template(path)
        return path.read_bytes()


def answer_text(q: Question, locale: str = "zh") -> str:
    """The answer as the edit form shows it (and reads it back)."""
    if q.type is QType.FILL:
        return tr(locale, "bank_fill_sep").join("|".join(alts) for alts in q.blanks)
    if q.type is QType.JUDGE:
        return tr(locale, "bank_judge_true" if 0 in q.answer else "bank_judge_false")
    return "".join(LETTERS[i] for i in sorted(q.answer))
