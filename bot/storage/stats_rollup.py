"""The statistics rollups (tables stats_people and stats_finals) and the triggers that keep them.

stats_people holds, per roster entry, its unit, role and active flag, how many chat accounts are
bound to it, and the study points and 学时 seconds of those accounts summed over all days.
stats_finals holds, per official exam and roster entry with a closed attempt, how many closed
attempts there are, the best score, whether any passed, and the score and verdict of the last
one (highest id), with the entry's unit, role and active flag copied from stats_people so the
results per unit are one index scan. The per-unit report then reads one narrow row per person (SqlStats.unit_counts)
instead of joining roster, bindings, study_daily, study_time and attempts.

Triggers keep both tables in the writing transaction, whichever process or code path writes
(chat workers, the console, the study fold, erasure, a roster import, `lawbot db copy`):

  - roster insert/update/delete: the entry's unit, role and active flag (in both tables);
  - bindings insert/delete/update: the bound count, and the account's study points and seconds
    added to (or taken from) the entry;
  - study_daily and study_time insert/update/delete: the change in points or seconds added to the
    entry the account is bound to (none: nothing to count);
  - attempts insert/update/delete (roster_id set): the (exam, entry) row recomputed from the
    entry's few attempts on that exam (index attempts_exam_roster).

Counters are additive, so concurrent writers on PostgreSQL each add their own change under the
row lock. The finals row is locked first and then recomputed with a fresh snapshot, so of two
transactions adding attempts for one person the second sees the first's. `rebuild(connection)`
recomputes both tables from the base tables (the migration that adds them, and after a copy).
"""

from __future__ import annotations

from sqlalchemy import text

TRIGGER_TABLES = ("roster", "bindings", "study_daily", "study_time", "attempts")

# --- shared SQL -------------------------------------------------------------------------------
_FINALS = """
    SELECT g.exam_id, g.roster_id, p.unit_id, p.role, COALESCE(p.active, 0), g.n, g.best, g.best_passed,
           a.score, a.passed
    FROM (SELECT exam_id, roster_id, COUNT(*) AS n, MAX(score) AS best, MAX(passed) AS best_passed,
                 MAX(id) AS last_id
          FROM attempts WHERE status <> 'open' AND roster_id IS NOT NULL {where}
          GROUP BY exam_id, roster_id) g
    JOIN attempts a ON a.id = g.last_id
    LEFT JOIN stats_people p ON p.roster_id = g.roster_id"""
_FINALS_COLUMNS = "exam_id, roster_id, unit_id, role, active, n, best, best_passed, last_score, last_passed"

_REBUILD = [
    "DELETE FROM stats_people",
    "DELETE FROM stats_finals",
    """INSERT INTO stats_people (roster_id, unit_id, role, active, bound, points, seconds)
       SELECT r.id, r.unit_id, r.role, r.active,
              (SELECT COUNT(*) FROM bindings b WHERE b.roster_id = r.id),
              (SELECT COALESCE(SUM(s.points), 0) FROM bindings b JOIN study_daily s ON s.user_key = b.user_key
               WHERE b.roster_id = r.id),
              (SELECT COALESCE(SUM(t.seconds), 0) FROM bindings b JOIN study_time t ON t.user_key = b.user_key
               WHERE b.roster_id = r.id)
       FROM roster r""",
    f"INSERT INTO stats_finals ({_FINALS_COLUMNS})" + _FINALS.format(where=""),
]

# --- SQLite: triggers of plain statements ---------------------------------------------------------
# (no INSERT OR IGNORE in a trigger: the conflict policy of the statement that fired it wins, and
# an upsert of a roster entry would then fail on the existing stats_people row)
_SQLITE_PERSON = """
    INSERT INTO stats_people (roster_id) SELECT {r}.id
    WHERE NOT EXISTS (SELECT 1 FROM stats_people WHERE roster_id = {r}.id);
    UPDATE stats_people SET unit_id = {r}.unit_id, role = {r}.role, active = {r}.active WHERE roster_id = {r}.id;
    UPDATE stats_finals SET unit_id = {r}.unit_id, role = {r}.role, active = {r}.active WHERE roster_id = {r}.id;"""


def _sqlite_binding(row: str, sign: str) -> str:
    create = (f"INSERT INTO stats_people (roster_id) SELECT {row}.roster_id WHERE NOT EXISTS "
              f"(SELECT 1 FROM stats_people WHERE roster_id = {row}.roster_id);") if sign == "+" else ""
    return f"""
    {create}
    UPDATE stats_people SET bound = bound {sign} 1,
        points = points {sign} (SELECT COALESCE(SUM(points), 0) FROM study_daily WHERE user_key = {row}.user_key),
        seconds = seconds {sign} (SELECT COALESCE(SUM(seconds), 0) FROM study_time WHERE user_key = {row}.user_key)
    WHERE roster_id = {row}.roster_id;"""


def _sqlite_credit(column: str, row: str, sign: str) -> str:
    return f"""
    UPDATE stats_people SET {column} = {column} {sign} {row}.{column}
    WHERE roster_id = (SELECT roster_id FROM bindings WHERE user_key = {row}.user_key);"""


def _sqlite_final(row: str) -> str:
    where = f"AND exam_id = {row}.exam_id AND roster_id = {row}.roster_id"
    return f"""
    DELETE FROM stats_finals WHERE exam_id = {row}.exam_id AND roster_id = {row}.roster_id;
    INSERT INTO stats_finals ({_FINALS_COLUMNS})
    {_FINALS.format(where=where)};"""


SQLITE_TRIGGERS = {
    "stats_roster_ins": f"AFTER INSERT ON roster BEGIN {_SQLITE_PERSON.format(r='new')} END",
    "stats_roster_upd": f"AFTER UPDATE OF id, unit_id, role, active ON roster BEGIN "
                        f"DELETE FROM stats_people WHERE roster_id = old.id AND old.id <> new.id; "
                        f"UPDATE stats_finals SET active = 0 WHERE roster_id = old.id AND old.id <> new.id; "
                        f"{_SQLITE_PERSON.format(r='new')} END",
    "stats_roster_del": "AFTER DELETE ON roster BEGIN DELETE FROM stats_people WHERE roster_id = old.id; "
                        "UPDATE stats_finals SET active = 0 WHERE roster_id = old.id; END",
    "stats_bindings_ins": f"AFTER INSERT ON bindings BEGIN {_sqlite_binding('new', '+')} END",
    "stats_bindings_del": f"AFTER DELETE ON bindings BEGIN {_sqlite_binding('old', '-')} END",
    "stats_bindings_upd": f"AFTER UPDATE OF roster_id, user_key ON bindings BEGIN "
                          f"{_sqlite_binding('old', '-')} {_sqlite_binding('new', '+')} END",
    "stats_daily_ins": f"AFTER INSERT ON study_daily BEGIN {_sqlite_credit('points', 'new', '+')} END",
    "stats_daily_del": f"AFTER DELETE ON study_daily BEGIN {_sqlite_credit('points', 'old', '-')} END",
    "stats_daily_upd": f"AFTER UPDATE OF user_key, points ON study_daily BEGIN "
                       f"{_sqlite_credit('points', 'old', '-')} {_sqlite_credit('points', 'new', '+')} END",
    "stats_time_ins": f"AFTER INSERT ON study_time BEGIN {_sqlite_credit('seconds', 'new', '+')} END",
    "stats_time_del": f"AFTER DELETE ON study_time BEGIN {_sqlite_credit('seconds', 'old', '-')} END",
    "stats_time_upd": f"AFTER UPDATE OF user_key, seconds ON study_time BEGIN "
                      f"{_sqlite_credit('seconds', 'old', '-')} {_sqlite_credit('seconds', 'new', '+')} END",
    "stats_attempts_ins": f"AFTER INSERT ON attempts WHEN new.roster_id IS NOT NULL BEGIN {_sqlite_final('new')} END",
    "stats_attempts_del": f"AFTER DELETE ON attempts WHEN old.roster_id IS NOT NULL BEGIN {_sqlite_final('old')} END",
    "stats_attempts_upd": f"AFTER UPDATE OF exam_id, status, score, passed, roster_id ON attempts BEGIN "
                          f"{_sqlite_final('old')} {_sqlite_final('new')} END",
}

# --- PostgreSQL: one plpgsql function per table ----------------------------------------------------
def _pg_credit(column: str) -> str:
    """The PostgreSQL trigger body that moves a study_daily / study_time row's `column` into
    stats_people (the old row's value out, the new row's in)."""
    return f"""
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE stats_people SET {column} = {column} - OLD.{column}
        WHERE roster_id = (SELECT roster_id FROM bindings WHERE user_key = OLD.user_key);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE stats_people SET {column} = {column} + NEW.{column}
        WHERE roster_id = (SELECT roster_id FROM bindings WHERE user_key = NEW.user_key);
    END IF;
    RETURN NULL;"""


_PG_FUNCTIONS = {
    "roster": """
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id <> NEW.id) THEN
        DELETE FROM stats_people WHERE roster_id = OLD.id;
        UPDATE stats_finals SET active = 0 WHERE roster_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO stats_people (roster_id, unit_id, role, active) VALUES (NEW.id, NEW.unit_id, NEW.role, NEW.active)
        ON CONFLICT (roster_id) DO UPDATE SET unit_id = EXCLUDED.unit_id, role = EXCLUDED.role,
                                               active = EXCLUDED.active;
        UPDATE stats_finals SET unit_id = NEW.unit_id, role = NEW.role, active = NEW.active WHERE roster_id = NEW.id;
    END IF;
    RETURN NULL;""",
    "bindings": """
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE stats_people SET bound = bound - 1,
            points = points - (SELECT COALESCE(SUM(points), 0) FROM study_daily WHERE user_key = OLD.user_key),
            seconds = seconds - (SELECT COALESCE(SUM(seconds), 0) FROM study_time WHERE user_key = OLD.user_key)
        WHERE roster_id = OLD.roster_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO stats_people (roster_id) VALUES (NEW.roster_id) ON CONFLICT (roster_id) DO NOTHING;
        UPDATE stats_people SET bound = bound + 1,
            points = points + (SELECT COALESCE(SUM(points), 0) FROM study_daily WHERE user_key = NEW.user_key),
            seconds = seconds + (SELECT COALESCE(SUM(seconds), 0) FROM study_time WHERE user_key = NEW.user_key)
        WHERE roster_id = NEW.roster_id;
    END IF;
    RETURN NULL;""",
    "study_daily": _pg_credit("points"),
    "study_time": _pg_credit("seconds"),
    "attempts": """
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.roster_id IS NOT NULL THEN
        PERFORM stats_final(OLD.exam_id, OLD.roster_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.roster_id IS NOT NULL THEN
        PERFORM stats_final(NEW.exam_id, NEW.roster_id);
    END IF;
    RETURN NULL;""",
}

_PG_EVENTS = {
    "roster": "INSERT OR DELETE OR UPDATE OF id, unit_id, role, active",
    "bindings": "INSERT OR DELETE OR UPDATE OF roster_id, user_key",
    "study_daily": "INSERT OR DELETE OR UPDATE OF user_key, points",
    "study_time": "INSERT OR DELETE OR UPDATE OF user_key, seconds",
    "attempts": "INSERT OR DELETE OR UPDATE OF exam_id, status, score, passed, roster_id",
}

_PG_FINAL = """
CREATE OR REPLACE FUNCTION stats_final(e text, r bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- lock the row first (waiting for a concurrent writer of this person's attempts to finish),
    -- then recompute with a snapshot that sees that writer's attempts
    INSERT INTO stats_finals (exam_id, roster_id, n) VALUES (e, r, 0) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM stats_finals WHERE exam_id = e AND roster_id = r FOR UPDATE;
    UPDATE stats_finals f SET n = g.n, best = g.best, best_passed = g.best_passed,
                              last_score = a.score, last_passed = a.passed,
                              unit_id = p.unit_id, role = p.role, active = COALESCE(p.active, 0)
    FROM (SELECT COUNT(*) AS n, MAX(score) AS best, MAX(passed) AS best_passed, MAX(id) AS last_id
          FROM attempts WHERE exam_id = e AND roster_id = r AND status <> 'open') g
    LEFT JOIN attempts a ON a.id = g.last_id
    LEFT JOIN stats_people p ON p.roster_id = r
    WHERE f.exam_id = e AND f.roster_id = r;
    DELETE FROM stats_finals WHERE exam_id = e AND roster_id = r AND n = 0;
END $$"""


def _statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"CREATE TRIGGER {name} {body}" for name, body in SQLITE_TRIGGERS.items()]
    out = [_PG_FINAL]
    for table, body in _PG_FUNCTIONS.items():
        out.append(f"CREATE OR REPLACE FUNCTION stats_{table}_trg() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   f"BEGIN{body}\nEND $$")
        out.append(f"CREATE TRIGGER stats_{table} AFTER {_PG_EVENTS[table]} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION stats_{table}_trg()")
    return out


def _drops(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    out = [f"DROP TRIGGER IF EXISTS stats_{table} ON {table}" for table in _PG_FUNCTIONS]
    out += [f"DROP FUNCTION IF EXISTS stats_{table}_trg()" for table in _PG_FUNCTIONS]
    return [*out, "DROP FUNCTION IF EXISTS stats_final(text, bigint)"]


def install_statements(dialect: str) -> list[str]:
    """Drop and create the triggers (for a bulk load that drops them first, then rebuilds)."""
    return [*_drops(dialect), *_statements(dialect)]


def drop_statements(dialect: str) -> list[str]:
    return _drops(dialect)


REBUILD = tuple(_REBUILD)


def install(connection) -> None:
    """Create (or re-create) the triggers on a synchronous connection (Alembic's)."""
    dialect = connection.dialect.name
    for statement in [*_drops(dialect), *_statements(dialect)]:
        connection.exec_driver_sql(statement)


def uninstall(connection) -> None:
    for statement in _drops(connection.dialect.name):
        connection.exec_driver_sql(statement)


def rebuild_statements() -> list:
    """The statements that recompute both rollups from the base tables (run in one transaction)."""
    return [text(s) for s in _REBUILD]


def rebuild(connection) -> None:
    """Recompute both rollups on a synchronous connection."""
    for statement in _REBUILD:
        connection.exec_driver_sql(statement)
