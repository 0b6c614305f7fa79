"""Rule examples on disk: `<corpus>/<rule-id>/{bad,good}.sql`, read with their lint context.

Each rule has a pair: `bad.sql` triggers the rule, `good.sql` (the safe way) does not. The
tests run every pair and the docs pages show them, so an example cannot rot. What a rule needs
besides SQL goes into `-- lint:` header comments (and an optional `schema.sql` beside the pair,
the existing schema, plus `bad.down.sql` / `good.down.sql` for rules about the down):

    -- lint: dialect=postgresql version=14.2 in_transaction=true
    -- lint: stats=orders:5000000:3221225472 partitioned=measurements
    -- lint: sqlite_foreign_keys=on expects_down=true settings=lock_timeout
    -- lint: history=0001,0002,0003 heads=0003 migration=0002
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..frameworks.base import History, MigrationRef
from .base import LintContext, TableStats, parse_version
from .schema_sql import schema_from_sql

_HEADER = re.compile(r"^\s*--\s*lint:\s*(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    """One corpus file with the context it is linted in."""

    path: Path
    sql: str
    ctx: LintContext
    down: str | None = None

    @property
    def body(self) -> str:
        """The SQL without the `-- lint:` header lines (what the docs show)."""
        return _HEADER.sub("", self.sql).strip() + "\n"


def read_example(path: Path) -> Example:
    sql = path.read_text(encoding="utf-8")
    settings: dict[str, str] = {}
    for line in _HEADER.findall(sql):
        for item in line.split():
            key, _, value = item.partition("=")
            settings[key.strip()] = value.strip()
    dialect = settings.get("dialect", "postgresql")
    schema_file = path.parent / "schema.sql"
    before = (
        schema_from_sql(schema_file.read_text(encoding="utf-8"), dialect)
        if (schema_file.is_file())
        else None
    )
    down_file = path.with_name(path.stem + ".down.sql")
    down = down_file.read_text(encoding="utf-8") if down_file.is_file() else None
    ctx = LintContext(
        dialect=dialect,
        version=parse_version(settings.get("version")),
        stats=_stats(settings.get("stats")),
        in_transaction=_flag(settings.get("in_transaction")),
        before=before,
        settings=frozenset(filter(None, settings.get("settings", "").split(","))),
        sqlite_foreign_keys=_maybe_flag(settings.get("sqlite_foreign_keys")),
        partitioned_tables=frozenset(filter(None, settings.get("partitioned", "").split(","))),
        history=_history(settings.get("history"), settings.get("heads")),
        migration_id=settings.get("migration"),
        expects_down=_flag(settings.get("expects_down")),
    )
    return Example(path, sql, ctx, down)


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "on", "1", "yes")


def _maybe_flag(value: str | None) -> bool | None:
    return None if value is None else _flag(value)


def _stats(value: str | None) -> dict[str, TableStats] | None:
    if not value:
        return None
    stats = {}
    for item in value.split(","):
        try:
            table, rows, size = item.split(":")
            stats[table] = TableStats(int(rows), int(size))
        except ValueError as err:
            raise ConfigError(f"bad stats entry {item!r}", "write table:rows:bytes") from err
    return stats


def _history(ids: str | None, heads: str | None) -> History | None:
    if not ids:
        return None
    order = ids.split(",")
    refs = tuple(
        MigrationRef(id=i, path=f"{i}.sql", name=i, parents=(order[n - 1],) if n else ())
        for n, i in enumerate(order)
    )
    return History(refs, tuple((heads or order[-1]).split(",")))
