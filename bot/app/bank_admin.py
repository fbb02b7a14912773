"""Question bank import and export in chat (issue 3 item 4): a super admin sends an .xlsx, .csv or
GIFT/Aiken .txt file; it is validated with the code `lawbot bank import` uses (a dry run first),
previewed with the first bad rows, kept in storage (pending_uploads) until 导入 / 跳过错误行导入 /
取消, then merged by id into quizzes/bank/imported.yaml and put into the running catalog so it can
be practised at once. `/bank template` and `/bank export [xlsx|csv]` send files to admins.

Unit admins may not import: the bank is shared by every unit, so changing it is a super admin's
right (bot/app/org.py scopes unit admins to their unit's people)."""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from bot.app.context import Deps, Turn, idle_menu, main_menu
from bot.app.messages import Attachment, Reply
from bot.app.org import Org
from bot.catalog.bank_io import ImportFormatError, ImportResult, export_questions, import_into_bank, read_questions
from bot.catalog.bank_io.columns import ImportProblem
from bot.catalog.bank_io.importer import bank_target
from bot.catalog.bank_io.messages import problem_text
from bot.catalog.bank_io.xlsx import write_template
from bot.catalog.questions import load_bank_file
from bot.domain.models import Question

log = logging.getLogger(__name__)

SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt", ".gift", ".aiken")
EXPORT_FORMATS = ("xlsx", "csv")
TEMPLATE = Path("content") / "templates" / "题库导入模板.xlsx"
SHOWN_ERRORS = 10
MAX_NAME = 80
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def safe_name(filename: str) -> str:
    """The sender's file name without directories or characters a file system refuses."""
    name = _UNSAFE_NAME.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    suffix = Path(name).suffix[:8]
    stem = name[: len(name) - len(suffix)] if suffix else name
    return (stem[: MAX_NAME - len(suffix)] or "upload") + suffix


def problem_line(problem: ImportProblem, locale: str) -> str:
    """`sheet row column: reason` in the admin's language (the file is the one just sent, so it
    is left out)."""
    return problem_text(problem, locale, with_file=False)


@dataclass(frozen=True, slots=True)
class Inspection:
    """What inspect() found: a refusal (text key and values) or the dry-run result."""

    name: str
    refusal: tuple[str, dict] | None = None
    result: ImportResult | None = None


class BankAdminFlow:
    def __init__(self, deps: Deps, org: Org, on_questions_changed: Callable[[], None]):
        self.deps = deps
        self.store = deps.storage
        self.catalog = deps.catalog
        self.org = org
        self.on_questions_changed = on_questions_changed  # e.g. PracticeFlow.reload_questions

    @property
    def _limit_mb(self) -> int:
        return self.deps.config.bank.upload_max_mb

    # --- a file arrives --------------------------------------------------------------
    async def inspect(self, user: str, attachment: Attachment) -> "Inspection":
        """Check the sender and parse the file. Called before the turn's transaction: parsing a
        large file takes seconds and must not hold the storage lock other users wait on."""
        name = safe_name(attachment.filename or "")
        role = await self.org.role(user)
        if role is None or not role.is_super:
            log.warning("refused a file from %s (not a super admin)", user)
            return Inspection(name, ("bank_refused", {}))
        if Path(name).suffix.lower() not in SUFFIXES:
            return Inspection(name, ("bank_file_type", {"name": name}))
        limit = self._limit_mb * 1024 * 1024
        if (attachment.size or 0) > limit or len(attachment.data) > limit:
            return Inspection(name, ("bank_file_too_big", {"name": name, "limit": self._limit_mb}))
        if not attachment.data:
            return Inspection(name, ("bank_file_empty", {"name": name}))
        try:
            return Inspection(name, result=await asyncio.to_thread(self._dry_run, name, attachment.data))
        except ImportFormatError as exc:
            return Inspection(name, ("bank_file_unreadable", {"name": name, "reason": str(exc)[:300]}))

    async def on_file(self, turn: Turn, attachment: Attachment, inspection: "Inspection") -> list[Reply]:
        if inspection.refusal is not None:
            key, values = inspection.refusal
            return [Reply(turn.t(key, **values), idle_menu(turn) if key == "bank_refused" else [])]
        return await self._preview(turn, inspection.name, attachment.data, inspection.result)

    def _dry_run(self, name: str, data: bytes) -> ImportResult:
        root = self.catalog.root
        with tempfile.TemporaryDirectory(prefix="lawbot-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            return read_questions(path, self.catalog.laws, show_progress=False, existing=self.catalog.questions,
                                  target=bank_target(root, None)[1])

    async def _preview(self, turn: Turn, name: str, data: bytes, result: ImportResult) -> list[Reply]:
        new = updated = 0
        for q in result.questions:
            old = self.catalog.questions.get(q.id)
            if old is None:
                new += 1
            elif replace(old, origin="") != replace(q, origin=""):
                updated += 1
        lines = [turn.t("bank_preview", name=name, rows=result.rows, new=new, updated=updated,
                        same=len(result.questions) - new - updated, bad=result.bad_rows)]
        if result.problems:
            shown = [problem_line(p, turn.locale) for p in result.problems[:SHOWN_ERRORS]]
            lines.append(turn.t("bank_preview_errors", shown=len(shown), total=len(result.problems),
                                lines="\n".join(shown)))
        if result.duplicates:
            shown = [d.text(turn.locale, with_file=False) for d in result.duplicates[:SHOWN_ERRORS]]
            lines.append(turn.t("bank_preview_duplicates", shown=len(shown), total=len(result.duplicates),
                                lines="\n".join(shown)))
        if not result.questions:
            lines.append(turn.t("bank_preview_nothing"))
            return [Reply("\n\n".join(lines))]
        ttl = self.deps.config.bank.upload_ttl_hours * 3600
        upload_id = await self.store.uploads.save_upload(turn.user, name, data, turn.now, turn.now - ttl)
        if result.problems:
            lines.append(turn.t("bank_preview_partial", n=len(result.questions)))
            first = turn.choice("btn_bank_skip_bad", f"u:skip:{upload_id}")
        else:
            lines.append(turn.t("bank_preview_ok"))
            first = turn.choice("btn_bank_import", f"u:ok:{upload_id}")
        return [Reply("\n\n".join(lines), [[first, turn.choice("btn_bank_cancel", f"u:no:{upload_id}")]])]

    # --- the buttons -----------------------------------------------------------------
    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        """u:ok|skip|no:<upload id>; None when malformed (the service refuses it)."""
        if len(parts) != 3 or parts[1] not in ("ok", "skip", "no") or not parts[2].isdigit() or len(parts[2]) > 18:
            return None
        role = await self.org.role(turn.user)
        if role is None or not role.is_super:
            return [Reply(turn.t("bank_refused"), idle_menu(turn))]
        upload = await self.store.uploads.get_upload(int(parts[2]), turn.user)
        ttl = self.deps.config.bank.upload_ttl_hours * 3600
        if upload is None or upload.created_at < turn.now - ttl:
            return [Reply(turn.t("bank_upload_gone"), main_menu(turn))]
        await self.store.uploads.drop_upload(upload.id)
        if parts[1] == "no":
            return [Reply(turn.t("bank_cancelled"), main_menu(turn), edit=True)]
        try:
            result, stored = await asyncio.to_thread(self._import, upload.filename, upload.data, parts[1] == "skip")
        except ImportFormatError as exc:
            return [Reply(turn.t("bank_file_unreadable", name=upload.filename, reason=str(exc)[:300]))]
        if result.written is None:
            shown = "\n".join(problem_line(p, turn.locale) for p in result.problems[:SHOWN_ERRORS]) or "—"
            return [Reply(turn.t("bank_import_failed", name=upload.filename, lines=shown), main_menu(turn))]
        self.catalog.add_questions(stored)
        self.on_questions_changed()
        target, shown = bank_target(self.catalog.root, None)  # every other worker applies it (bot/bank_sync.py)
        await self.store.bank_versions.publish(shown, target.read_text(encoding="utf-8"), turn.now, turn.user)
        await self.store.admins.log_admin(turn.user, "bank_import",
                                   f"{upload.filename} +{result.added} ~{result.updated} !{result.bad_rows}", turn.now)
        log.info("%s imported %s: %s", turn.user, upload.filename, result.summary())
        return [Reply(turn.t("bank_imported", name=upload.filename, added=result.added, updated=result.updated,
                             skipped=result.bad_rows, total=len(self.catalog.questions)),
                      [[turn.choice("btn_topic", "p:t"), turn.choice("btn_menu", "m")]], edit=True)]

    def _import(self, name: str, data: bytes, skip_bad: bool) -> tuple[ImportResult, list[Question]]:
        """Validate again (the bank may have changed since the preview) and merge by id; then read
        the imported questions back from the bank file, as a restart would (origin file:line)."""
        with tempfile.TemporaryDirectory(prefix="lawbot-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            result = import_into_bank(path, self.catalog.root, self.catalog.questions, self.catalog.laws,
                                      skip_bad=skip_bad, show_progress=False)
        if result.written is None:
            return result, []
        target, shown = bank_target(self.catalog.root, None)
        imported = {q.id for q in result.questions}
        stored, _problems = load_bank_file(target, self.catalog.laws, shown)
        return result, [q for q in stored if q.id in imported]

    # --- /bank -----------------------------------------------------------------------
    async def command(self, turn: Turn, args: str) -> list[Reply]:
        role = await self.org.role(turn.user)
        if role is None:
            return [Reply(turn.t("admin_only"), idle_menu(turn))]
        words = args.lower().split()
        if words[:1] == ["template"]:
            data = await asyncio.to_thread(self._template)
            return [Reply(turn.t("bank_template_caption"), attachment=Attachment(TEMPLATE.name, data, "document"))]
        if words[:1] == ["export"]:
            fmt = words[1] if len(words) > 1 else "xlsx"
            if fmt not in EXPORT_FORMATS or len(words) > 2:
                return [Reply(turn.t("bank_export_usage"))]
            if not turn.private:
                return [Reply(turn.t("export_private_only"))]
            questions = self.catalog.question_list
            data = await asyncio.to_thread(self._export, questions, fmt)
            await self.store.admins.log_admin(turn.user, "bank_export", fmt, turn.now)
            day = datetime.fromtimestamp(turn.now, timezone.utc).strftime("%Y%m%d")
            return [Reply(turn.t("bank_export_caption", n=len(questions), fmt=fmt),
                          attachment=Attachment(f"bank-{day}.{fmt}", data, "document"))]
        return [Reply(turn.t("bank_help"))]

    def _template(self) -> bytes:
        shipped = self.catalog.root / TEMPLATE
        if shipped.is_file():
            return shipped.read_bytes()
        with tempfile.TemporaryDirectory(prefix="lawbot-template-") as folder:
            path = Path(folder) / TEMPLATE.name
            write_template(path)
            return path.read_bytes()

    @staticmethod
    def _export(questions: list, fmt: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="lawbot-export-") as folder:
            path = Path(folder) / f"bank.{fmt}"
            export_questions(questions, path, fmt, show_progress=False)
            return path.read_bytes()
