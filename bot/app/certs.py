"""Pass certificates: the signing key, issuing one when someone passes an official exam,
rendering the PDF (off the event loop), verifying a serial, revoking; and /cert in chat.

Policy: one certificate per person and official exam. A pass issues it when the person holds
no unrevoked one; /cert issues any that a pass could not (no key set then, or an attempt
handed in by the deadline sweeper). A revoked certificate is never reissued by itself."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app.context import Turn, main_menu
from bot.app.messages import Attachment, Choice, Reply
from bot.config import Config
from bot.deps import Deps
from bot.domain import certificate as rules
from bot.domain.models import Attempt
from bot.services.org import Org
from bot.storage.ports import CertificateRecord
from bot.texts import tr

log = logging.getLogger(__name__)
KEY_FILE = "cert_secret"
MIN_KEY = 16


class NoKey(Exception):
    """No certificate key: not configured, and not generated (a database server is in use)."""


def cert_key(config: Config) -> bytes:
    """The HMAC key: certificates.secret / LAWBOT_CERT_SECRET; else, with the embedded SQLite
    database only, one generated at first use and kept in <data_dir>/cert_secret (0600). With a
    database server several processes must share the key, so it must be configured."""
    configured = config.certificates.resolved_secret()
    if configured:
        if len(configured) < MIN_KEY:
            raise NoKey(f"certificates.secret is shorter than {MIN_KEY} characters")
        return configured.encode("utf-8")
    if config.database_url:
        raise NoKey("certificates.secret (or LAWBOT_CERT_SECRET) is not set and a database server is in use")
    path = Path(config.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode("utf-8")


def facts_of(record: CertificateRecord) -> rules.CertFacts:
    return rules.CertFacts(record.roster_id, record.exam_id, record.score, record.issued_on, record.counter,
                           record.name, record.unit_id)


def verify_url(config: Config, serial: str) -> str | None:
    base = config.http.public_url
    return f"{base.rstrip('/')}/verify/{serial}" if base else None


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # rules.VALID | INVALID | REVOKED
    serial: str  # as printed, or what was given when it cannot be a serial
    record: CertificateRecord | None  # only when the signature holds


def verdict_text(locale: str, verdict: Verdict, zone: str) -> str:
    """The verification result for anyone: status and the facts, the name masked."""
    lines = [tr(locale, "cert_verify_head", serial=verdict.serial, status=tr(locale, f"cert_status_{verdict.status}"))]
    record = verdict.record
    if record is None:
        lines.append(tr(locale, "cert_verify_invalid"))
        return "\n".join(lines)
    lines.append(tr(locale, "cert_verify_facts", name=rules.mask_name(record.name), unit=record.unit_name,
                    exam=record.exam_title, score=rules.score_text(record.score), date=record.issued_on))
    if verdict.status == rules.REVOKED and record.revoked_at is not None:
        lines.append(tr(locale, "cert_verify_revoked", when=local_time(record.revoked_at, zone)))
    return "\n".join(lines)


class Certificates:
    """Issue, render, verify and revoke; used by the exam flow, /cert, the CLI and /verify."""

    def __init__(self, deps: Deps, org: Org | None = None):
        self.deps = deps
        self.config = deps.config
        self.store = deps.storage
        self.org = org or Org(deps)

    @property
    def enabled(self) -> bool:
        return self.config.certificates.enabled

    # --- issuing ---------------------------------------------------------------------
    async def issue(self, attempt: Attempt, max_score: float, now: float) -> CertificateRecord:
        """The certificate of this passed official attempt, issued now unless the person holds
        an unrevoked one for the exam already (that one is returned). Raises NoKey."""
        existing = await self.store.certificates.certificate_of_attempt(attempt.id)
        if existing is not None:
            return existing
        entry = await self.org.entry(attempt.user)
        if entry is None:
            raise LookupError(f"attempt {attempt.id}: {attempt.user} is not bound to a roster entry")
        for held in await self.store.certificates.certificates_of(entry.id, attempt.user):
            if held.exam_id == attempt.exam_id and held.roster_id == entry.id and held.revoked_at is None:
                return held
        key = cert_key(self.config)
        definition = self.deps.catalog.exams[attempt.exam_id]
        tree = await self.org.tree()
        counter = await self.store.certificates.next_counter(entry.id, attempt.exam_id)
        issued_on = local_time(attempt.submitted_at or now, self.config.timezone)[:10]
        facts = rules.CertFacts(entry.id, attempt.exam_id, float(attempt.score or 0), issued_on, counter,
                                entry.name, entry.unit_id)
        record = CertificateRecord(None, rules.make_serial(key, facts), attempt.id, entry.id, attempt.user,
                                   attempt.exam_id, definition.title_for("zh"), entry.name, entry.unit_id,
                                   tree.name(entry.unit_id) or entry.unit_id, facts.score, float(max_score),
                                   issued_on, now, counter)
        await self.store.certificates.add_certificate(record)
        log.info("certificate %s issued for attempt %s", record.serial, attempt.id)
        return await self.store.certificates.certificate_of_attempt(attempt.id) or record

    async def issue_missing(self, user: str, now: float) -> None:
        """Issue the certificates a pass could not (see the module's policy). Raises NoKey."""
        entry = await self.org.entry(user)
        if entry is None:
            return
        held = {c.exam_id for c in await self.store.certificates.certificates_of(entry.id, user)
                if c.roster_id == entry.id}
        for definition in self.deps.catalog.exams.values():
            if not definition.official or definition.id in held:
                continue
            passed = [a for a in await self.store.attempts.official_attempts(entry.id, definition.id)
                      if a.status != "open" and a.passed]
            if not passed:
                continue
            best = max(passed, key=lambda a: (a.score or 0, a.id))
            attempt = await self.store.attempts.get_attempt(best.id)
            if attempt is not None:
                await self.issue(attempt, definition.max_score, now)

    # --- the PDF ---------------------------------------------------------------------
    async def pdf(self, record: CertificateRecord, locale: str) -> Attachment:
        from bot.reports import offloop
        from bot.reports.certificate import CertificateView

        url = verify_url(self.config, record.serial)
        score = rules.score_text(record.score)
        view = CertificateView(
            heading=tr(locale, "cert_pdf_heading"),
            body=tr(locale, "cert_pdf_body", name=record.name, exam=record.exam_title),
            rows=[(tr(locale, "cert_pdf_name"), record.name), (tr(locale, "cert_pdf_unit"), record.unit_name),
                  (tr(locale, "cert_pdf_exam"), record.exam_title),
                  (tr(locale, "cert_pdf_score"), tr(locale, "cert_pdf_score_value", score=score,
                                                    max=rules.score_text(record.max_score))),
                  (tr(locale, "cert_pdf_date"), record.issued_on)],
            serial_label=tr(locale, "cert_pdf_serial"), serial=record.serial, qr_caption=tr(locale, "cert_pdf_qr"),
            verify_url=url, issuer=tr(locale, "cert_pdf_issuer"),
            footer=tr(locale, "cert_pdf_footer_url", url=url, serial=record.serial) if url
            else tr(locale, "cert_pdf_footer", serial=record.serial))
        data = await offloop.certificate(view)
        return Attachment(f"certificate-{record.serial}.pdf", data, "document")

    def verify_line(self, locale: str, serial: str) -> str:
        url = verify_url(self.config, serial)
        return tr(locale, "cert_verify_at", url=url) if url else tr(locale, "cert_verify_admin")

    # --- verifying and revoking ------------------------------------------------------
    async def verify(self, text: str) -> Verdict:
        """Raises NoKey: without the key nothing can be told valid."""
        serial = rules.normalize_serial(text)
        if serial is None:
            return Verdict(rules.INVALID, (text or "").strip()[:40], None)
        key = cert_key(self.config)
        record = await self.store.certificates.certificate_by_serial(serial)
        holds = record is not None and rules.signature_holds(key, facts_of(record), serial)
        status = rules.status_of(record is not None, holds, record is not None and record.revoked_at is not None)
        return Verdict(status, serial, record if holds else None)

    async def revoke(self, serial_text: str, by: str, reason: str, now: float) -> tuple[str, CertificateRecord | None]:
        """('bad_serial' | 'not_found' | 'already' | 'done', record); logged in the admin log."""
        serial = rules.normalize_serial(serial_text)
        if serial is None:
            return "bad_serial", None
        record = await self.store.certificates.certificate_by_serial(serial)
        if record is None:
            return "not_found", None
        if not await self.store.certificates.revoke_certificate(serial, by, reason, now):
            return "already", record
        await self.store.admins.log_admin(by, "cert_revoke", f"{serial} {reason}".strip(), now)
        return "done", await self.store.certificates.certificate_by_serial(serial)


class CertFlow:
    """In chat: the certificate after a pass, /cert (list and get again), /cert revoke."""

    def __init__(self, deps: Deps, certs: Certificates):
        self.deps = deps
        self.certs = certs

    async def after_pass(self, turn: Turn, attempt: Attempt, max_score: float) -> list[Reply]:
        """The certificate reply after a submitted attempt ([] unless an official exam was passed)."""
        definition = self.deps.catalog.exams.get(attempt.exam_id)
        if not self.certs.enabled or definition is None or not definition.official or not attempt.passed:
            return []
        try:
            record = await self.certs.issue(attempt, max_score, turn.now)
        except NoKey as exc:
            log.warning("certificate for attempt %s not issued: %s", attempt.id, exc)
            return [Reply(turn.t("cert_no_key"))]
        if record.attempt_id != attempt.id:
            return [Reply(turn.t("cert_have_one", exam=record.exam_title, serial=record.serial))]
        return [self._with_pdf(turn.t("cert_issued", exam=record.exam_title, serial=record.serial,
                                      verify=self.certs.verify_line(turn.locale, record.serial)), record, turn.locale)]

    async def sweep_note(self, locale: str, attempt: Attempt, max_score: float, now: float) -> str:
        """For a passed attempt handed in by the deadline sweeper: issue, and a line for the
        queued result ('' when nothing was issued)."""
        definition = self.deps.catalog.exams.get(attempt.exam_id)
        if not self.certs.enabled or definition is None or not definition.official or not attempt.passed:
            return ""
        try:
            record = await self.certs.issue(attempt, max_score, now)
        except NoKey as exc:
            log.warning("certificate for attempt %s not issued: %s", attempt.id, exc)
            return "\n\n" + tr(locale, "cert_no_key")
        return "\n\n" + tr(locale, "cert_sweep_note", serial=record.serial)

    async def command(self, turn: Turn, args: str) -> list[Reply]:
        words = args.split(maxsplit=2)
        if words[:1] == ["revoke"]:
            return await self._revoke(turn, words[1:])
        if not self.certs.enabled:
            return [Reply(turn.t("cert_off"), main_menu(turn))]
        entry = await self.certs.org.entry(turn.user)
        if entry is not None:
            try:
                await self.certs.issue_missing(turn.user, turn.now)
            except NoKey as exc:
                log.warning("certificates for %s not issued: %s", turn.user, exc)
                return [Reply(turn.t("cert_no_key"), main_menu(turn))]
        held = await self.deps.storage.certificates.certificates_of(entry.id if entry else None, turn.user)
        if not held:
            return [Reply(turn.t("cert_none" if entry else "cert_need_bind"), main_menu(turn))]
        lines = [turn.t("cert_list_head", n=len(held))]
        rows = []
        for i, c in enumerate(held, 1):
            lines.append(turn.t("cert_list_line", i=i, exam=c.exam_title, score=rules.score_text(c.score),
                                date=c.issued_on, serial=c.serial,
                                revoked=turn.t("cert_revoked_tag") if c.revoked_at is not None else ""))
            if c.revoked_at is None:
                rows.append([Choice(turn.t("btn_cert_get", i=i), f"z:s:{c.id}")])
        return [Reply("\n".join(lines), rows + [[turn.choice("btn_menu", "m")]])]

    async def on_action(self, turn: Turn, parts: list[str]) -> list[Reply] | None:
        if len(parts) != 3 or parts[1] != "s" or not parts[2].isdigit():
            return None
        entry = await self.certs.org.entry(turn.user)
        held = await self.deps.storage.certificates.certificates_of(entry.id if entry else None, turn.user)
        record = next((c for c in held if c.id == int(parts[2])), None)
        if record is None:
            return [Reply(turn.t("cert_gone"), main_menu(turn))]
        if record.revoked_at is not None:
            return [Reply(turn.t("cert_revoked_cannot_send", serial=record.serial), main_menu(turn))]
        return [self._with_pdf(turn.t("cert_resent", exam=record.exam_title, serial=record.serial,
                                      verify=self.certs.verify_line(turn.locale, record.serial)), record, turn.locale)]

    def _with_pdf(self, text: str, record: CertificateRecord, locale: str) -> Reply:
        """The reply with the certificate PDF, rendered after the turn's transaction has committed
        (about a second of CPU, off the loop): the turn never holds the database while it draws."""

        async def later() -> list[Reply]:
            return [Reply(text, attachment=await self.certs.pdf(record, locale))]

        return Reply(text, later=later)

    async def _revoke(self, turn: Turn, words: list[str]) -> list[Reply]:
        role = await self.certs.org.role(turn.user)
        if role is None or not role.is_super:
            return [Reply(turn.t("cert_revoke_denied"))]
        if not words:
            return [Reply(turn.t("cert_revoke_usage"))]
        reason = words[1].strip() if len(words) > 1 else ""
        outcome, record = await self.certs.revoke(words[0], turn.user, reason, turn.now)
        if outcome == "bad_serial":
            return [Reply(turn.t("cert_bad_serial"))]
        if outcome == "not_found":
            return [Reply(turn.t("cert_not_found", serial=rules.normalize_serial(words[0])))]
        assert record is not None
        if outcome == "already":
            return [Reply(turn.t("cert_revoke_already", serial=record.serial,
                                 when=local_time(record.revoked_at or turn.now, self.deps.config.timezone)))]
        return [Reply(turn.t("cert_revoke_done", serial=record.serial, name=record.name, exam=record.exam_title,
                             reason=reason or turn.t("cert_no_reason")))]


def local_time(ts: float, zone: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
