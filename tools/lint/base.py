"""The lint vocabulary: findings, rules, the rule registry and the context a lint runs in.

Shaped after Squawk (one rule, one module family, one docs page, one test pair) and
strong_migrations (the message says the consequence, the help says the action, the safe
alternative is a complete migration with the user's names filled in). Rule modules register
their rules themselves through `statement_rule` / `migration_rule`, the way a plugin would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ConfigError
from ..schema import Schema

if TYPE_CHECKING:
    from ..frameworks.base import History
    from .engine import Run
    from .statement import Stmt

Severity = Literal["error", "warning", "note"]
#: Severities from least to most serious; `failed()` compares by position.
SEVERITIES: tuple[Severity, ...] = ("note", "warning", "error")
ALL_DIALECTS = frozenset({"postgresql", "mysql", "sqlite"})
PG = frozenset({"postgresql"})
MYSQL = frozenset({"mysql"})
SQLITE = frozenset({"sqlite"})
PG_MYSQL = frozenset({"postgresql", "mysql"})


@dataclass(frozen=True)
class TableStats:
    """Size of one table: estimated live rows and total bytes (heap, indexes, TOAST)."""

    rows: int
    bytes: int


@dataclass(frozen=True)
class Finding:
    """One problem. `message` says what happens, `help` what to do instead.

    `safe_alternative` is a complete migration (SQL with the user's names) where one exists.
    `statement_index` counts from 0; `line` is 1-based in `file` (None for plans).
    `estimated_seconds` is the expected lock or rewrite time when the table's size is known.
    """

    rule: str
    severity: Severity
    message: str
    help: str
    safe_alternative: str | None = None
    statement_index: int | None = None
    file: str | None = None
    line: int | None = None
    table: str | None = None
    estimated_seconds: float | None = None
    statement: str | None = None
    docs: str | None = None
    #: For plans: the index of the operation the statement was rendered from.
    operation_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "help": self.help,
            "safe_alternative": self.safe_alternative,
            "statement_index": self.statement_index,
            "file": self.file,
            "line": self.line,
            "table": self.table,
            "estimated_seconds": self.estimated_seconds,
            "statement": self.statement,
            "docs": self.docs,
            "operation_index": self.operation_index,
        }

    def where(self) -> str:
        """`file:line`, `statement N` or "" for a finding about the whole migration."""
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        if self.line:
            return f"line {self.line}"
        if self.statement_index is not None:
            return f"statement {self.statement_index + 1}"
        return self.file or ""


@dataclass(frozen=True)
class Hit:
    """What a check reports; the engine turns it into a Finding (severity, place, estimate).

    `stmt` is the statement it concerns (migration-level checks name it; statement checks get
    theirs filled in). `severity` overrides the rule's default when the check knows better.
    """

    message: str
    help: str
    safe_alternative: str | None = None
    table: str | None = None
    severity: Severity | None = None
    stmt: Stmt | None = None
    #: False when the cost does not depend on the table's size (no size-based severity).
    sized: bool = True


StatementCheck = Callable[["Stmt", "Run"], Iterable[Hit]]
MigrationCheck = Callable[["Run"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A lint rule. `id` is kebab-case and grouped by family prefix (ban-, prefer-, require-,
    adding-, ...). `cost` is what the statement costs on a big table (rewrite, scan, index,
    update) and drives size-based severity and time estimates; None for rules about
    correctness or breakage, whose severity does not depend on size.

    `anchors` maps other linters to their id for the same check (squawk, strong_migrations,
    atlas, django-migration-linter, ...); `catalogue` lists rows of LINT_CATALOGUE.md.
    """

    id: str
    family: str
    dialects: frozenset[str]
    severity: Severity
    summary: str
    anchors: Mapping[str, str] = field(default_factory=dict)
    cost: str | None = None
    enabled_by_default: bool = True
    catalogue: tuple[str, ...] = ()
    statement_check: StatementCheck | None = None
    migration_check: MigrationCheck | None = None

    @property
    def docs_path(self) -> str:
        return f"docs/rules/{self.id}.md"

    def applies_to(self, family: str) -> bool:
        return family in self.dialects


#: Every rule, by id, in registration order. Filled by the rule modules on import.
RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.id in RULES:
        raise ValueError(f"lint rule {rule.id} registered twice")
    RULES[rule.id] = rule
    return rule


def statement_rule(
    id: str,
    *,
    family: str,
    dialects: frozenset[str],
    severity: Severity,
    summary: str,
    anchors: Mapping[str, str] | None = None,
    cost: str | None = None,
    catalogue: tuple[str, ...] = (),
    enabled_by_default: bool = True,
) -> Callable[[StatementCheck], StatementCheck]:
    """Register a check that looks at one statement at a time (with the run for context)."""

    def wrap(check: StatementCheck) -> StatementCheck:
        register(
            Rule(
                id,
                family,
                dialects,
                severity,
                summary,
                anchors or {},
                cost,
                enabled_by_default,
                catalogue,
                statement_check=check,
            )
        )
        return check

    return wrap


def migration_rule(
    id: str,
    *,
    family: str,
    dialects: frozenset[str],
    severity: Severity,
    summary: str,
    anchors: Mapping[str, str] | None = None,
    cost: str | None = None,
    catalogue: tuple[str, ...] = (),
    enabled_by_default: bool = True,
) -> Callable[[MigrationCheck], MigrationCheck]:
    """Register a check that looks at the whole migration (order, transactions, the down)."""

    def wrap(check: MigrationCheck) -> MigrationCheck:
        register(
            Rule(
                id,
                family,
                dialects,
                severity,
                summary,
                anchors or {},
                cost,
                enabled_by_default,
                catalogue,
                migration_check=check,
            )
        )
        return check

    return wrap


def family_of(dialect: str) -> str:
    """ "mariadb" -> "mysql", "pg" -> "postgresql": the family the rules are written for."""
    key = dialect.strip().lower()
    families = {
        "postgresql": "postgresql", "postgres": "postgresql", "pg": "postgresql",
        "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite", "sqlite3": "sqlite",
    }  # fmt: skip
    if key not in families:
        raise ConfigError(
            f"unknown SQL dialect {dialect!r} for lint",
            "use postgresql (postgres, pg), mysql, mariadb or sqlite",
        )
    return families[key]


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """`"14.2"` -> (14, 2); `"10.6.12-MariaDB"` -> (10, 6, 12); None and "" stay None."""
    if not text:
        return None
    import re

    match = re.match(r"\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if not match:
        raise ConfigError(f"cannot read the server version {text!r}", "give it as 14 or 14.2")
    return tuple(int(g) for g in match.groups() if g is not None)


@dataclass(frozen=True)
class LintContext:
    """What the linter knows besides the SQL.

    - `dialect`: postgresql, mysql, mariadb or sqlite.
    - `version`: the server version, e.g. (14, 2); None lints for every supported version
      (rules that only matter on old servers stay quiet, see docs/rules/README.md).
    - `stats`: {table: TableStats or (rows, bytes)}; drives size-based severity and estimates.
    - `in_transaction`: the framework runs each migration inside one transaction (Django's
      atomic migrations, Alembic's transactional DDL on PostgreSQL, Knex by default).
    - `created_tables`: tables created earlier in the same migration (by other files or ops);
      tables created by the linted SQL itself are tracked automatically.
    - `before`: the schema before the migration, when known (types, checks, foreign keys).
    - `settings`: session settings the runner applies itself (e.g. {"lock_timeout"}).
    - `sqlite_foreign_keys`: whether connections run with PRAGMA foreign_keys=ON (None: unknown).
    - `partitioned_tables`: partitioned parents known from the catalog.
    - `history` / `migration_id`: the framework's history and the id of the linted migration.
    - `expects_down`: the framework keeps a down for every migration (a missing one is a finding).
    """

    dialect: str = "postgresql"
    version: tuple[int, ...] | None = None
    stats: Mapping[str, TableStats | tuple[int, int]] | None = None
    in_transaction: bool = False
    created_tables: frozenset[str] = frozenset()
    before: Schema | None = None
    settings: frozenset[str] = frozenset()
    sqlite_foreign_keys: bool | None = None
    partitioned_tables: frozenset[str] = frozenset()
    history: History | None = None
    migration_id: str | None = None
    expects_down: bool = False

    @property
    def family(self) -> str:
        return family_of(self.dialect)

    @property
    def mariadb(self) -> bool:
        return self.dialect.strip().lower() == "mariadb"

    def at_least(self, *version: int) -> bool | None:
        """Whether the server is at least `version`; None when the version is unknown."""
        if self.version is None:
            return None
        return tuple(self.version[: len(version)]) >= version

    def table_stats(self, table: str | None) -> TableStats | None:
        """Stats for `table` (qualified or not, any case); None when unknown."""
        if not table or not self.stats:
            return None
        candidates = [
            table,
            table.lower(),
            table.rsplit(".", 1)[-1],
            table.rsplit(".", 1)[-1].lower(),
        ]
        for key in candidates:
            found = self.stats.get(key)
            if found is not None:
                return found if isinstance(found, TableStats) else TableStats(*found)
        lowered = {k.lower(): v for k, v in self.stats.items()}
        for key in candidates:
            found = lowered.get(key.lower())
            if found is not None:
                return found if isinstance(found, TableStats) else TableStats(*found)
        bare = candidates[-1]
        matches = [v for k, v in lowered.items() if k.rsplit(".", 1)[-1] == bare]
        if len(matches) == 1:  # `orders` in the SQL, `public.orders` in the stats
            found = matches[0]
            return found if isinstance(found, TableStats) else TableStats(*found)
        return None
