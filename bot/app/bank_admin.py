"""Question bank import and export in chat: a super admin sends an .xlsx, .csv or
GIFT/Aiken .txt file; it is validated with the code `lawbot bank import` uses (a dry run first),
previewed with the first bad rows, kept in storage (pending_uploads) until 导入 / 跳过错误行导入 /
取消, then merged by id into quizzes/bank/imported.yaml and put into the running catalog so it can
be practised at once. `/bank template` and `/bank export [xlsx|csv]` send files to admins.

The rules (who may, what is checked, what is written and published) are the use cases of
bot/services/bank.py, which the web console calls too; this module parses the turn and renders
replies. Unit admins may not import: the bank is shared by every unit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.app.context import Turn, idle_menu, main_menu
from bot.app.messages import Attachment, Reply
from bot.catalog.bank_io import ImportResult
from bot.catalog.bank_io.columns import ImportProblem
from bot.catalog.bank_io.messages import problem_text
from bot.deps import Deps
from bot.services import bank as bank_service
from bot.services.bank import EXPORT_FORMATS, SUFFIXES, TEMPLATE, BankError, safe_name  # noqa: F401 - re-exported
from bot.services.org import Org
from bot.services.rights import Actor, Forbidden, actor_for

log = logging.getLogger(__name__)

SHOWN_ERRORS = 10


def problem_line(problem: ImportProblem, locale: str) -> str:
    """`sheet row column: reason` in the admin's language (the file is the one just sent, so it
    is left out)."""
    return problem_text(problem, locale, with_file=False)


@dataclass(frozen=True, slots=True)
class Inspection:
    """What inspect() found: a refusal (text key and values) or the dry-run result."""

    name: str
    refusal: tuple[str, dict[str, Any]] | None = None
    result: ImportResult | None = None
    actor: Actor | None = None


class BankAdminFlow:
    def __init__(self, deps: Deps, org: Org, on_questions_changed: Callable[[], None]):
        self.deps = deps
        self.store = deps.storage
        self.catalog = deps.catalog
        self.org = org
        self.on_questions_changed = on_questions_changed  # e.g. PracticeFlow.reload_questions

    async def _super(self, user: str) -> Actor | None:
        try:
            actor = await actor_for(self.deps, user)
            actor.require_super()
        except Forbidden:
            return None
        return actor

    # --- a file arrives --------------------------------------------------------------
    async def inspect(self, user: str, attachment: Attachment) -> Inspection:
        """Check the sender and parse the file. Called before the turn's transaction: parsing a
        large file takes seconds and must not hold the storage lock other users wait on."""
        name = safe_name(attachment.filename or "")
        actor = await self._super(user)
        if actor is None:
            log.warning("refused a file from %s (not a super admin)", user)
            return Inspection(name, ("bank_refused", {}))
        try:
            name, result = await bank_service.check_upload(self.deps, actor, attachment.filename or "",
                                                           attachment.data, attachment.size)
        except BankError as exc:
            return Inspection(name, (exc.key, dict(exc.values)))
        return Inspection(name, result=result, actor=actor)

    async def on_file(self, turn: Turn, attachment: Attachment, inspection: Inspection) -> list[Reply]:
        if inspection.refusal is not None:
            key, values = inspection.refusal
            return [Reply(turn.t(key, **values), idle_menu(turn) if key == "bank_refused" else [])]
        return await self._preview(turn, inspection, attachment.data)

    async def _preview(self, turn: Turn, inspection: Inspection, data: bytes) -> list[Reply]:
        result, actor = inspection.result, inspection.actor
        assert result is not None and actor is not None  # not refused: inspect() parsed the file for an admin
        preview = await bank_service.keep_upload(self.deps, actor, inspection.name, data, result)
        lines = [turn.t("bank_preview", name=preview.name, rows=result.rows, new=preview.new, updated=preview.updated,
                        same=preview.same, bad=result.bad_rows)]
        if result.problems:
            shown = [problem_line(p, turn.locale) for p in result.problems[:SHOWN_ERRORS]]
            lines.append(turn.t("bank_preview_errors", shown=len(shown), total=len(result.problems),
                                lines="\n".join(shown)))
        if result.duplicates:
            shown = [d.text(turn.locale, with_file=False) for d in result.duplicates[:SHOWN_ERRORS]]
            lines.append(turn.t("bank_preview_duplicates", shown=len(shown), total=len(result.duplicates),
                                lines="\n".join(shown)))
        if preview.upload_id is None:
            lines.append(turn.t("bank_preview_nothing"))
            return [Reply("\n\n".join(lines))]
        if result.problems:
            lines.append(turn.t("bank_preview_partial", n=len(result.questions)))
            first = turn.choice("btn_bank_skip_bad", f"u:skip:{preview.upload_id}")
        else:
            lines.append(turn.t("bank_preview_ok"))
            first = turn.choice("btn_bank_import", f"u:ok:{preview.upload_id}")
        return [Reply("\n\n".join(lines), [[first, turn.choice("btn_bank_cancel", f"u:no:{preview.upload_id}")]])]

    # --- the buttons -----------------------------------------------------------------
    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        """u:ok|skip|no:<upload id>; None when malformed (the service refuses it)."""
        if len(parts) != 3 or parts[1] not in ("ok", "skip", "no") or not parts[2].isdigit() or len(parts[2]) > 18:
            return None
        actor = await self._super(turn.user)
        if actor is None:
            return [Reply(turn.t("bank_refused"), idle_menu(turn))]
        if parts[1] == "no":
            if not await bank_service.drop_upload(self.deps, actor, int(parts[2])):
                return [Reply(turn.t("bank_upload_gone"), main_menu(turn))]
            return [Reply(turn.t("bank_cancelled"), main_menu(turn), edit=True)]

        try:  # taken inside the turn's transaction: a second press of 导入 finds it gone
            upload = await bank_service.claim_upload(self.deps, actor, int(parts[2]))
        except BankError:
            return [Reply(turn.t("bank_upload_gone"), main_menu(turn))]

        async def later() -> list[Reply]:  # after the turn's transaction: the import takes seconds
            try:
                done = await bank_service.import_claimed(self.deps, actor, upload, parts[1] == "skip", turn.locale)
            except BankError as exc:
                if exc.key == "bank_import_failed":
                    return [Reply(turn.t("bank_import_failed", name=exc.values.get("name", ""),
                                         lines="\n".join(exc.lines)), main_menu(turn))]
                return [Reply(turn.t(exc.key, **exc.values))]
            self.on_questions_changed()
            return [Reply(turn.t("bank_imported", name=done.name, added=done.added, updated=done.updated,
                                 skipped=done.skipped, total=done.total),
                          [[turn.choice("btn_topic", "p:t"), turn.choice("btn_menu", "m")]], edit=True)]

        return [Reply("", later=later)]

    # --- /bank -----------------------------------------------------------------------
    async def command(self, turn: Turn, args: str) -> list[Reply]:
        try:
            actor = await actor_for(self.deps, turn.user)
        except Forbidden:
            return [Reply(turn.t("admin_only"), idle_menu(turn))]
        words = args.lower().split()
        if words[:1] == ["template"]:
            data = await asyncio.to_thread(bank_service.template_bytes, self.deps)
            return [Reply(turn.t("bank_template_caption"), attachment=Attachment(TEMPLATE.name, data, "document"))]
        if words[:1] == ["export"]:
            fmt = words[1] if len(words) > 1 else "xlsx"
            if fmt not in EXPORT_FORMATS or len(words) > 2:
                return [Reply(turn.t("bank_export_usage"))]
            if not turn.private:
                return [Reply(turn.t("export_private_only"))]

            async def export() -> list[Reply]:  # after the turn's transaction (bot/app/deferred.py)
                name, data, n = await bank_service.export_bank(self.deps, actor, fmt)
                return [Reply(turn.t("bank_export_caption", n=n, fmt=fmt),
                              attachment=Attachment(name, data, "document"))]

            return [Reply("", later=export)]
        return [Reply(turn.t("bank_help"))]
