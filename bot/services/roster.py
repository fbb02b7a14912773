"""人员名册 use cases: upload a roster file with a preview and an error per bad row (nothing is
imported while any row is bad), search people by name or 工号 (paged in SQL), move a person to
another unit, unbind chat accounts, issue one-time bind codes, and erase a person's personal data
on request (个人信息保护法) after a confirmation that names the person's 工号.

A unit admin acts on the people of their unit and the units below it; a super admin on everyone.
Each write is recorded in the audit log (bot.services.audit) in the write's transaction. Chat
(/code, /unbind), the command line (`lawbot roster import`) and the console call these."""

from __future__ import annotations

import logging
import secrets
import tempfile
from dataclasses import dataclass, field
from dataclasses import replace as with_fields  # import_roster has a `replace` flag
from pathlib import Path

from bot.catalog.roster import RowError, UnreadableFile, load_roster
from bot.deps import Deps
from bot.domain.units import RosterEntry, UnitTree
from bot.reports import offloop
from bot.services.audit import record
from bot.services.rights import Actor, Forbidden
from bot.storage.ports import PersonRecord

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
ROSTER_SUFFIXES = (".xlsx", ".csv", ".txt", ".yaml", ".yml")
UPLOAD_PREFIX = "roster/"  # pending_uploads.filename of a roster upload (a bank upload has no '/')
PAGE_SIZES = (20, 50, 100)
SHOWN_ROWS = 20  # preview rows shown


class RosterError(Exception):
    """A request the service refuses for a reason the admin can fix; `key` names the text."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Binding:
    platform: str
    user: str
    bound_at: float


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    staff_no: str
    name: str
    unit_id: str
    unit_name: str
    role: str
    phone_tail: str
    active: bool
    bindings: tuple[Binding, ...] = ()

    def facts(self) -> dict[str, object]:
        """What the audit log keeps of this entry (erased again with the person)."""
        return {"staff_no": self.staff_no, "name": self.name, "unit": self.unit_id}


@dataclass(frozen=True, slots=True)
class SearchPeople:
    text: str = ""
    unit: str | None = None  # None: the actor's whole scope
    page: int = 1
    size: int = 50
    sort: str = "staff_no"  # staff_no | name | unit
    desc: bool = False


@dataclass(frozen=True, slots=True)
class PeoplePage:
    people: list[Person]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True, slots=True)
class PreviewRow:
    row: int
    staff_no: str
    name: str
    unit_id: str
    unit_name: str
    role: str
    change: str  # "new" | "update"


@dataclass(frozen=True, slots=True)
class RosterPreview:
    filename: str
    rows: int
    errors: list[RowError]
    shown: list[PreviewRow]
    added: int
    updated: int
    upload_id: int | None  # set when the file may be imported (no bad row)

    @property
    def ok(self) -> bool:
        return not self.errors and self.upload_id is not None


@dataclass(frozen=True, slots=True)
class RosterImported:
    filename: str
    added: int
    updated: int
    deactivated: int


@dataclass(frozen=True, slots=True)
class BindCode:
    code: str
    person: Person
    expires_at: float
    hours: int


@dataclass(frozen=True, slots=True)
class Erased:
    roster_id: int
    accounts: int
    changed: dict[str, int] = field(default_factory=dict)


# --- reading ---------------------------------------------------------------------------
def _person(record: PersonRecord, tree: UnitTree) -> Person:
    return Person(record.id, record.staff_no, record.name, record.unit_id, tree.name(record.unit_id), record.role,
                  record.phone_tail, record.active, tuple(Binding(p, u, at) for p, u, at in record.bindings))


async def search_people(deps: Deps, actor: Actor, query: SearchPeople) -> PeoplePage:
    """A page of the people the actor may see, by 工号 prefix or part of the name."""
    if query.unit is not None:
        if query.unit not in actor.tree:
            raise Forbidden("admin_unknown_unit", unit=query.unit[:40])
        actor.require_unit(query.unit)
        scope: set[str] | None = actor.tree.subtree(query.unit)
    else:
        scope = None if actor.is_super else actor.scope()
    size = query.size if query.size in PAGE_SIZES else PAGE_SIZES[1]
    page = max(1, query.page)
    records, total = await deps.storage.roster_admin.search(scope, query.text[:40], (page - 1) * size, size,
                                                          query.sort, query.desc)
    return PeoplePage([_person(r, actor.tree) for r in records], total, page, size)


async def get_person(deps: Deps, actor: Actor, roster_id: int) -> Person:
    """One person of the actor's scope; Forbidden for anyone else's (a direct URL gets 403)."""
    found = await deps.storage.roster_admin.person(roster_id)
    if found is None or found.erased:
        raise RosterError("roster_no_such_person")
    actor.require_unit(found.unit_id)
    return _person(found, actor.tree)


async def person_by_staff_no(deps: Deps, actor: Actor, staff_no: str) -> Person | None:
    """The active person with this 工号 in the actor's scope; None both for "no such person" and
    "not yours" (chat answers the same to both)."""
    entry = await deps.storage.roster.roster_by_staff_no(staff_no[:40])
    if entry is None or not actor.covers(entry.unit_id):
        return None
    found = await deps.storage.roster_admin.person(entry.id)
    return None if found is None else _person(found, actor.tree)


# --- import ----------------------------------------------------------------------------
def _parse(filename: str, data: bytes, units: dict[str, str]) -> tuple[list[RosterEntry], list[RowError]]:
    with tempfile.TemporaryDirectory(prefix="lawbot-roster-") as folder:
        path = Path(folder) / filename
        path.write_bytes(data)
        return load_roster(path, units)


def _safe_name(filename: str) -> str:
    from bot.services.bank import safe_name

    return safe_name(filename)


async def check_roster(deps: Deps, actor: Actor, entries: list[RosterEntry],
                       errors: list[RowError], rows: dict[str, int], shown: str) -> list[RowError]:
    """Rights per row: a unit admin may add or change people only in their subtree, and may not
    take over a 工号 already on another unit's roster."""
    if actor.is_super:
        return errors
    owners = await deps.storage.roster_admin.staff_owners([e.staff_no for e in entries])
    extra = []
    for e in entries:
        if not actor.covers(e.unit_id):
            extra.append(RowError(shown, rows[e.staff_no], f"unit {e.unit_id!r} is outside the units you manage"))
        elif e.staff_no in owners and not actor.covers(owners[e.staff_no]):
            extra.append(RowError(shown, rows[e.staff_no],
                                  f"staff number {e.staff_no} belongs to a unit outside the units you manage"))
    return sorted(errors + extra, key=lambda r: r.row)


async def read_roster_file(deps: Deps, actor: Actor, filename: str, data: bytes) -> tuple[list[RosterEntry], list[RowError], dict[str, int]]:
    """Parse and check a roster file (off the event loop): entries, bad rows, 工号 -> row number."""
    name = _safe_name(filename)
    if Path(name).suffix.lower() not in ROSTER_SUFFIXES:
        raise RosterError("roster_file_type", name=name)
    limit = deps.config.bank.upload_max_mb * 1024 * 1024
    if len(data) > limit:
        raise RosterError("roster_file_too_big", name=name, limit=deps.config.bank.upload_max_mb)
    if not data:
        raise RosterError("roster_file_empty", name=name)
    units = {u.id: u.name for u in actor.tree.units.values()}
    if not units:
        raise RosterError("roster_no_units")
    try:
        entries, errors, rows = await offloop.bank_file(_parse_numbered, name, data, units)
    except UnreadableFile as exc:  # the reader says why (a password, a renamed file): an English imp_* reason
        raise RosterError("roster_file_unreadable_why", name=name, reason=exc.reason) from None
    except Exception as exc:  # noqa: BLE001 - a damaged file (openpyxl's zip, XML, …) is the sender's problem
        log.warning("roster file %s unreadable: %s: %s", name, type(exc).__name__, str(exc)[:200])
        raise RosterError("roster_file_unreadable", name=name) from None
    if not entries and not errors:
        raise RosterError("roster_file_no_rows", name=name)
    entries = [e if "\x00" not in e.name + e.role else  # PostgreSQL refuses NUL in text (a YAML "\0", a CSV byte)
               with_fields(e, name=e.name.replace("\x00", ""), role=e.role.replace("\x00", "")) for e in entries]
    errors = await check_roster(deps, actor, entries, errors, rows, name)
    return entries, errors, rows


def _parse_numbered(name: str, data: bytes,
                    units: dict[str, str]) -> tuple[list[RosterEntry], list[RowError], dict[str, int]]:
    """(in a worker thread) _parse and _row_numbers: reading a city's xlsx takes seconds of CPU."""
    entries, errors = _parse(name, data, units)
    return entries, errors, _row_numbers(name, data, units, entries)


def _row_numbers(name: str, data: bytes, units: dict[str, str], entries: list[RosterEntry]) -> dict[str, int]:
    """工号 -> the row it is on (load_roster keeps the file's order; rows come from read_table)."""
    from bot.catalog.roster import read_table

    if Path(name).suffix.lower() in (".yaml", ".yml"):
        return {e.staff_no: i + 1 for i, e in enumerate(entries)}
    with tempfile.TemporaryDirectory(prefix="lawbot-roster-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            table = read_table(path)
        except Exception:  # noqa: BLE001 - load_roster reported it already
            return {}
    found: dict[str, int] = {}
    for number, row in table:
        found.setdefault(row.get("staff_no", ""), number)
    return found


async def preview_roster(deps: Deps, actor: Actor, filename: str, data: bytes) -> RosterPreview:
    """Validate an upload; when every row is good keep it (pending_uploads) for import_roster."""
    name = _safe_name(filename)
    entries, errors, rows = await read_roster_file(deps, actor, filename, data)
    owners = await deps.storage.roster_admin.staff_owners([e.staff_no for e in entries])
    added = sum(1 for e in entries if e.staff_no not in owners)
    shown = [PreviewRow(rows.get(e.staff_no, 0), e.staff_no, e.name, e.unit_id, actor.tree.name(e.unit_id), e.role,
                        "update" if e.staff_no in owners else "new") for e in entries[:SHOWN_ROWS]]
    upload_id = None
    if entries and not errors:
        now = deps.clock.now()
        ttl = deps.config.bank.upload_ttl_hours * 3600
        upload_id = await deps.storage.uploads.save_upload(actor.user, UPLOAD_PREFIX + name, data, now, now - ttl)
    return RosterPreview(name, len(entries) + len({e.row for e in errors}), errors, shown, added,
                         len(entries) - added, upload_id)


async def import_roster(deps: Deps, actor: Actor, upload_id: int, replace: bool = False) -> RosterImported:
    """Import a previewed upload (checked again: the roster may have changed since)."""
    if replace:
        actor.require_super()  # deactivating everyone not in the file spans every unit
    upload = await deps.storage.uploads.get_upload(upload_id, actor.user)
    ttl = deps.config.bank.upload_ttl_hours * 3600
    if upload is None or not upload.filename.startswith(UPLOAD_PREFIX) or upload.created_at < deps.clock.now() - ttl:
        raise RosterError("roster_upload_gone")
    name = upload.filename[len(UPLOAD_PREFIX):]
    entries, errors, _rows = await read_roster_file(deps, actor, name, upload.data)
    if errors or not entries:
        raise RosterError("roster_import_refused", n=len(errors))
    now = deps.clock.now()
    async with deps.storage.atomic():
        if not await deps.storage.uploads.drop_upload(upload.id):  # a double click: the other request took it
            raise RosterError("roster_upload_gone")
        added, updated, gone = await deps.storage.roster.upsert_roster(entries, now, replace=replace)
        await record(deps, actor, "roster.import", f"file:{name}", unit=actor.role.unit,
                     after={"added": added, "updated": updated, "deactivated": gone, "rows": len(entries)})
    return RosterImported(name, added, updated, gone)


async def import_roster_file(deps: Deps, actor: Actor, path: Path, replace: bool = False,
                             skip_errors: bool = False) -> tuple[RosterImported | None, list[RowError]]:
    """The command line's import: every bad row is returned; nothing is written while any row is
    bad unless skip_errors (then the good rows are)."""
    if replace:
        actor.require_super()
    units = {u.id: u.name for u in actor.tree.units.values()}
    if not units:
        raise RosterError("roster_no_units")
    entries, errors = await offloop.bank_file(load_roster, path, units)
    if not entries:  # nothing to import; with replace it would have deactivated everyone
        empty = "the file is empty" if path.suffix.lower() in (".yaml", ".yml") else "a header row but no rows below it"
        return None, errors or [RowError(path.name, 1, empty)]
    if errors and not skip_errors:
        return None, errors
    now = deps.clock.now()
    async with deps.storage.atomic():
        added, updated, gone = await deps.storage.roster.upsert_roster(entries, now, replace=replace)
        await record(deps, actor, "roster.import", f"file:{path.name}", unit=actor.role.unit,
                     after={"added": added, "updated": updated, "deactivated": gone, "rows": len(entries),
                            "skipped": len(errors)})
    return RosterImported(path.name, added, updated, gone), errors


# --- one person ------------------------------------------------------------------------
async def move_person(deps: Deps, actor: Actor, roster_id: int, unit_id: str) -> Person:
    """Move a person to another unit; the actor must manage both units."""
    person = await get_person(deps, actor, roster_id)
    if unit_id not in actor.tree:
        raise RosterError("admin_unknown_unit", unit=unit_id[:40])
    actor.require_unit(unit_id)
    if unit_id == person.unit_id:
        return person
    async with deps.storage.atomic():
        await deps.storage.roster_admin.move(roster_id, unit_id, deps.clock.now())
        await record(deps, actor, "roster.move", f"roster:{roster_id}", unit=unit_id,
                     before=person.facts(), after={**person.facts(), "unit": unit_id})
    return await get_person(deps, actor, roster_id)


async def unbind_person(deps: Deps, actor: Actor, roster_id: int, platform: str | None = None) -> tuple[Person, int]:
    """Remove the person's chat accounts (on one platform, or all); returns how many."""
    person = await get_person(deps, actor, roster_id)
    async with deps.storage.atomic():
        from bot.services.flags import unbind_recorded  # the re-bind flag of fair exams reads these events

        removed = await unbind_recorded(deps, roster_id, platform[:10] if platform else None, actor.user,
                                        deps.clock.now())
        await deps.storage.admins.log_admin(actor.user, "unbind", f"{person.staff_no} {platform or ''}".strip(),
                                            deps.clock.now())
        await record(deps, actor, "roster.unbind", f"roster:{roster_id}", unit=person.unit_id,
                     before={**person.facts(), "accounts": [b.user for b in person.bindings
                                                            if platform in (None, b.platform)]},
                     after={"removed": removed, "platform": platform})
    return person, removed


async def issue_bind_code(deps: Deps, actor: Actor, roster_id: int) -> BindCode:
    """A one-time code the person sends to /bind on any channel (valid registration.code_ttl_hours)."""
    person = await get_person(deps, actor, roster_id)
    if not person.active:
        raise RosterError("roster_inactive", name=person.name)
    hours = deps.config.registration.code_ttl_hours
    now = deps.clock.now()
    async with deps.storage.atomic():
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
            if await deps.storage.roster.create_bind_code(code, roster_id, actor.user, now, now + hours * 3600):
                break
        await deps.storage.admins.log_admin(actor.user, "code", person.staff_no, now)
        await record(deps, actor, "roster.code", f"roster:{roster_id}", unit=person.unit_id,
                     after={**person.facts(), "expires_at": now + hours * 3600})
    return BindCode(code, person, now + hours * 3600, hours)


async def erase_person(deps: Deps, actor: Actor, roster_id: int, confirm_staff_no: str) -> Erased:
    """Erase the person's personal data everywhere (storage.roster_admin.erase); the admin confirms
    by typing the person's 工号. The audit log keeps that an erasure happened, not whose."""
    person = await get_person(deps, actor, roster_id)
    if confirm_staff_no.strip() != person.staff_no:
        raise RosterError("roster_erase_confirm_mismatch")
    now = deps.clock.now()
    async with deps.storage.atomic():
        done = await deps.storage.roster_admin.erase(roster_id, now, audit_target=f"roster:{roster_id}")
        if done is None:
            raise RosterError("roster_no_such_person")
        await record(deps, actor, "roster.erase", f"roster:{roster_id}", unit=person.unit_id,
                     after={"accounts": done.accounts, "tables": done.changed})
    return Erased(roster_id, done.accounts, dict(done.changed))

