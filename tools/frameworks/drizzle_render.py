"""Drizzle migrations: a SQL file, its `meta/_journal.json` entry, and a rollback script.

drizzle-kit writes `<out>/<NNNN>_<slug>.sql` with the statements separated by
`--> statement-breakpoint` (where drizzle's migrator splits them) and appends an entry to
`meta/_journal.json`; the migrator runs only what the journal lists, all pending files in one
transaction, and orders them by the entry's `when`. So the file is the dialect's SQL from
`tools/sql.py`, the journal gets the entry (with a `when` past every earlier one), and:

- drizzle has no down migrations: the reverse goes to `<out>/rollback/<tag>.sql`, a script a
  person runs by hand (it also deletes the migration's row from `__drizzle_migrations`, so
  the migrator runs the file again afterwards). The folder keeps it out of drizzle's way:
  `<out>` itself should hold only files the journal lists.
- the per-migration schema snapshot (`meta/<NNNN>_snapshot.json`) is drizzle-kit's own
  format and is not written; the file's header says what that means for the next
  `drizzle-kit generate`.
- what cannot run inside the migrator's transaction (CREATE INDEX CONCURRENTLY, a SQLite
  table rebuild of a table other tables reference, which needs `PRAGMA foreign_keys=OFF`
  outside any transaction) is refused with the way out, rather than written to fail or to
  cascade deletes at deploy time.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from .. import ops as o
from ..dialects import get as get_dialect
from ..dialects.sqlite_rebuild import PREFIX
from ..errors import DialectError, HistoryError
from ..repo import RepoFacts
from ..schema import Schema
from ..sql import Statement, script
from ..sql import render as render_sql
from .base import FrameworkConfig, History
from .drizzle import BREAKPOINT, journal_entry
from .jsproject import stamp_ms
from .render import File, MigrationPlan

#: The statement of a SQLite rebuild that names the table being rebuilt.
_REBUILD = re.compile(rf"CREATE TABLE [\"`]?{PREFIX}([^\"`\s(]+)")
#: Default place of drizzle's bookkeeping table (drizzle-orm's migrators).
DEFAULT_TABLE = "__drizzle_migrations"
DEFAULT_SCHEMA = "drizzle"  # PostgreSQL only


def tag_of(path: str) -> str:
    """`drizzle/0006_add_x.sql` -> `0006_add_x`, the journal's tag."""
    return path.rsplit("/", 1)[-1].removesuffix(".sql")


def rollback_path(config: FrameworkConfig, tag: str) -> str:
    """Where the rollback script of migration `tag` lives."""
    return f"{config.migrations_dir}/rollback/{tag}.sql"


def journal_path(config: FrameworkConfig) -> str:
    return f"{config.migrations_dir}/meta/_journal.json"


def bookkeeping_table(config: FrameworkConfig, dialect: str) -> str:
    """The migrator's table, schema-qualified on PostgreSQL, quoted for `dialect`."""
    d = get_dialect(dialect)
    table = d.quote(config.settings.get("table") or DEFAULT_TABLE)
    if dialect != "postgresql":
        return table
    return f"{d.quote(config.settings.get('migrations_schema') or DEFAULT_SCHEMA)}.{table}"


# ---------------------------------------------------------------------------------------------
# What drizzle's migrator can run
# ---------------------------------------------------------------------------------------------


def _concurrently(op: o.Operation, before: Schema) -> str | None:
    if not getattr(op, "concurrently", False):
        return None
    raise DialectError(
        f"{op.describe().strip()}: drizzle's migrator runs every pending migration inside one "
        "transaction, where CONCURRENTLY is refused",
        "drop the concurrently option, or run the statement by hand outside drizzle",
    )


def _enum_value(op: o.Operation, before: Schema) -> str | None:
    return (
        "drizzle's migrator runs this inside its transaction (PostgreSQL 12 and later allow "
        "that); the new value can be used once the migration has committed"
    )


def _no_check(op: o.Operation, before: Schema) -> str | None:
    return None


#: Per operation class: raise when drizzle's migrator cannot run it, or return a note.
_CHECKS: dict[type[o.Operation], Callable[[o.Operation, Schema], str | None]] = {
    o.CreateIndex: _concurrently,
    o.DropIndex: _concurrently,
    o.AddEnumValue: _enum_value,
}


def _check(
    operations: Sequence[o.Operation], before: Schema, statements: Sequence[Statement], dialect: str
) -> dict[int, str]:
    """Notes by operation index; raises for what cannot run under drizzle's migrator."""
    notes: dict[int, str] = {}
    state = before
    for index, op in enumerate(operations):
        note = _CHECKS.get(type(op), _no_check)(op, state)
        if note:
            notes[index] = note
        if dialect == "sqlite":
            rebuilt = {
                m[1] for st in statements if st.op_index == index and (m := _REBUILD.match(st.sql))
            }
            _check_rebuild(op, rebuilt, state)
        state = op.apply(state)
    return notes


def _check_rebuild(op: o.Operation, rebuilt: set[str], state: Schema) -> None:
    """A SQLite rebuild drops the table; with foreign keys on (inside drizzle's transaction
    the pragma that turns them off is ignored) rows referencing it would be deleted or block."""
    for table in sorted(rebuilt):
        users = sorted(
            t.name
            for t in state.tables
            if t.name != table and any(fk.ref_table == table for fk in t.foreign_keys)
        )
        if users:
            raise DialectError(
                f"{op.describe().strip()}: SQLite rebuilds {table} to do this, and drizzle's "
                f"migrator runs it inside a transaction where `PRAGMA foreign_keys=OFF` is "
                f"ignored, so dropping the old {table} would cascade to {', '.join(users)}",
                "run this change by hand with foreign keys off, or split it so that no table "
                "references the one being rebuilt",
            )


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def render(
    repo: RepoFacts,
    config: FrameworkConfig,
    history: History,
    plan: MigrationPlan,
    now: datetime | None = None,
) -> list[File]:
    """The SQL file, the journal with its new entry and (when reversible) the rollback script."""
    tag = tag_of(plan.name)
    journal, entries = _journal(repo, config)
    when = _when(entries, now or datetime.now(UTC))
    up = render_sql(plan.operations, plan.before, plan.dialect)
    notes = _check(plan.operations, plan.before, up, plan.dialect)
    files = [File(plan.name, _migration_text(plan, up, notes, tag, config), "migration")]
    entry = journal_entry(history, tag, now or datetime.now(UTC), _version(journal))
    entry["when"] = when
    journal["entries"] = [*entries, entry]
    files.append(
        File(journal_path(config), _json_like(repo, config, journal), "journal", existing=True)
    )
    if plan.reverse.ok:
        down = render_sql(plan.reverse.operations, plan.after, plan.dialect)
        _check(plan.reverse.operations, plan.after, down, plan.dialect)
        files.append(
            File(
                rollback_path(config, tag),
                _rollback_text(plan, down, tag, when, config),
                "rollback",
            )
        )
    return files


def _journal(repo: RepoFacts, config: FrameworkConfig) -> tuple[dict[str, object], list[object]]:
    path = journal_path(config)
    try:
        data = json.loads(repo.read(path))
    except (OSError, ValueError) as exc:
        raise HistoryError(
            f"{path}: cannot read drizzle's journal ({exc})",
            "restore it from version control, or run `npx drizzle-kit generate` once",
        ) from exc
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise HistoryError(f"{path}:1: no entries list", "restore it from version control")
    return data, entries


def _version(journal: dict[str, object]) -> str:
    entries = journal.get("entries")
    last = entries[-1] if isinstance(entries, list) and entries else None
    version = last.get("version") if isinstance(last, dict) else journal.get("version")
    return str(version or "7")


def _when(entries: Sequence[object], now: datetime) -> int:
    """`now` in ms, moved past the newest entry: the migrator skips anything not newer than
    the last migration it recorded."""
    newest = max(
        (int(e["when"]) for e in entries if isinstance(e, dict) and isinstance(e.get("when"), int)),
        default=0,
    )
    return max(stamp_ms(now), newest + 1)


def _json_like(repo: RepoFacts, config: FrameworkConfig, data: dict[str, object]) -> str:
    """The journal as drizzle-kit writes it (JSON.stringify with two spaces), keeping
    whether the file ended with a newline."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    original = repo.read(journal_path(config))
    return text + "\n" if original.endswith("\n") else text


def _migration_text(
    plan: MigrationPlan,
    up: Sequence[Statement],
    notes: dict[int, str],
    tag: str,
    config: FrameworkConfig,
) -> str:
    header = [plan.description]
    if plan.reverse.ok:
        header.append(
            f"drizzle has no down migrations: the reverse is rollback/{tag}.sql, to run by hand."
        )
    else:
        reasons = "; ".join(
            f"{op.describe().lstrip('+-~ ').strip()}: {why.reason}"
            for op, why in plan.reverse.irreversible
        )
        header.append(f"Irreversible, so there is no rollback script: {reasons}.")
    header.append(
        "No meta/*_snapshot.json was written for this file (drizzle-kit's own format): once "
        "the schema file says the same, `drizzle-kit generate` proposes this change again; "
        "delete the SQL file and journal entry it writes and keep its snapshot."
    )
    chunks = _chunks(up, notes, _nothing(plan.operations, up))
    return _comments(header) + f"\n{BREAKPOINT}\n".join(chunks) + "\n"


def _nothing(operations: Sequence[o.Operation], statements: Sequence[Statement]) -> list[str]:
    """What the operations without statements (NoOp, the reverse of a backfill) say."""
    used = {s.op_index for s in statements}
    return [
        f"Nothing to do: {getattr(op, 'reason', '') or op.describe().strip()}."
        for index, op in enumerate(operations)
        if index not in used
    ]


def _comments(paragraphs: Sequence[str]) -> str:
    """`-- ` lines, each paragraph wrapped at a readable width."""
    lines = [
        line
        for text in paragraphs
        for line in textwrap.wrap(text, 96, initial_indent="-- ", subsequent_indent="-- ")
    ]
    return "\n".join(lines) + "\n" if lines else ""


def _chunks(
    statements: Sequence[Statement], notes: dict[int, str], nothing: Sequence[str] = ()
) -> list[str]:
    chunks: list[str] = []
    noted: set[int] = set()
    for s in statements:
        lines = []
        if s.op_index in notes and s.op_index not in noted:
            lines.append(f"-- {notes[s.op_index]}")
            noted.add(s.op_index)
        if s.note:
            lines.append(f"-- {s.note}")
        lines.append(s.sql.rstrip().rstrip(";") + ";")
        chunks.append("\n".join(lines))
    return chunks or [_comments(nothing or ["Nothing to do."]) + "SELECT 1;"]


def _rollback_text(
    plan: MigrationPlan, down: Sequence[Statement], tag: str, when: int, config: FrameworkConfig
) -> str:
    table = bookkeeping_table(config, plan.dialect)
    forget = Statement(
        f"DELETE FROM {table} WHERE created_at = {when}",
        note=f"forget {tag}, so drizzle's migrator runs it again",
    )
    header = [
        f"Rollback of {tag}.sql ({plan.description}); drizzle has no down migrations. Run it "
        "by hand against the database the migration ran on.",
    ]
    if plan.reverse.data_loss:
        header.append("It cannot bring back " + "; ".join(plan.reverse.data_loss) + ".")
    header += _nothing(plan.reverse.operations, down)
    return _comments(header) + script([*down, forget], plan.dialect)
