"""Running the rules: over SQL text, a file, or one of migwright's own plans.

`lint_sql` splits and reads the statements, works out which transaction block each runs in
(BEGIN/COMMIT in the file, the framework's own transaction, MySQL's implicit commit after
DDL), runs every selected rule, then applies size-based severity, time estimates and the
`-- migwright: ignore <rule-id> <reason>` markers. `lint_plan` renders the operations with
`tools.sql.render` and lints those statements, plus the checks only a plan allows (a down that
cannot restore data). Results are plain data; the CLI renders them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import ConfigError
from ..ops import Operation
from ..schema import Schema, Table
from .base import RULES, SEVERITIES, Finding, Hit, LintContext, Rule, Severity
from .cost import describe_estimate, estimate_seconds, sized_severity
from .cursor import short
from .shape import DDL_KINDS, Action
from .shape_parts import ColumnDef
from .statement import Stmt, parse_statements


@dataclass(frozen=True)
class PlanInput:
    """A migwright plan being linted: its operations and the schema they start from."""

    operations: tuple[Operation, ...]
    before: Schema


@dataclass
class Run:
    """One lint run: the context, the statements (up, and the down when given) and the facts
    rules share: tables created in this migration, columns it adds, transaction blocks."""

    ctx: LintContext
    statements: list[Stmt]
    down: list[Stmt] | None = None
    plan: PlanInput | None = None
    #: Tables created and columns added by the migration whose down this run lints.
    up_created: frozenset[str] = frozenset()
    up_columns: frozenset[tuple[str, str]] = frozenset()
    #: Names of the indexes and constraints that up created (lower-case).
    up_objects: frozenset[str] = frozenset()
    is_down: bool = False
    _created: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for stmt in self.statements:
            if stmt.kind == "create_table" and stmt.table:
                self._created.setdefault(stmt.table.lower(), stmt.index)

    @property
    def family(self) -> str:
        return self.ctx.family

    def is_new_table(self, table: str | None, stmt: Stmt) -> bool:
        """Created earlier in this migration (or by the up whose down this is): nobody uses it
        yet, so locking or rewriting it costs nothing."""
        if not table:
            return False
        key = short(table).lower()
        if key in {short(t).lower() for t in self.ctx.created_tables} or key in self.up_created:
            return True
        created_at = self._created.get(key)
        return created_at is not None and created_at < stmt.index

    def created_in_migration(self, table: str | None) -> bool:
        return bool(table) and short(table or "").lower() in self._created

    def same_transaction(self, stmt: Stmt) -> list[Stmt]:
        """Every statement of the transaction block `stmt` runs in (only itself in autocommit)."""
        if stmt.txn is None:
            return [stmt]
        return [s for s in self.statements if s.txn == stmt.txn]

    def earlier(self, stmt: Stmt) -> list[Stmt]:
        return self.statements[: stmt.index]

    def later(self, stmt: Stmt) -> list[Stmt]:
        return self.statements[stmt.index + 1 :]

    def schema_table(self, table: str | None) -> Table | None:
        before = self.ctx.before
        if before is None or not table:
            return None
        name = short(table)
        for candidate in before.tables:
            if candidate.name.lower() == name.lower():
                return candidate
        return None

    def column_def(self, table: str | None, column: str | None, stmt: Stmt) -> ColumnDef | None:
        """The column as this migration last defined it before `stmt` (CREATE TABLE, ADD
        COLUMN, MODIFY), or as the before schema has it; None when unknown."""
        if not table or not column:
            return None
        key = short(table).lower()
        name = column.lower()
        found: ColumnDef | None = None
        schema_table = self.schema_table(table)
        if schema_table is not None:
            for c in schema_table.columns:
                if c.name.lower() == name:
                    found = ColumnDef(
                        c.name, c.type, not c.nullable or c.name in schema_table.primary_key,
                        c.default, c.identity, enum_values=_enum_values(c.type),
                    )  # fmt: skip
        for s in self.statements[: stmt.index]:
            if (s.table or "").lower() != key:
                continue
            for defined in s.shape.columns:
                if defined.name.lower() == name:
                    found = defined
            for action in s.shape.actions:
                changed = action.column_def
                if changed is not None and changed.name.lower() == name:
                    found = changed
                elif found is not None and (action.column or "").lower() == name:
                    found = _changed(found, action)
        return found


@dataclass(frozen=True)
class LintResult:
    """The findings of one lint, and what was linted."""

    findings: tuple[Finding, ...]
    dialect: str
    files: tuple[str, ...] = ()
    statements: int = 0
    rules: tuple[str, ...] = ()

    def failed(self, fail_on: Severity = "error") -> bool:
        return failed(self.findings, fail_on)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def failed(findings: Iterable[Finding], fail_on: Severity = "error") -> bool:
    """Whether any finding is at least `fail_on` serious (the CLI's exit code 1)."""
    if fail_on not in SEVERITIES:
        raise ConfigError(f"unknown severity {fail_on!r}", "use error, warning or note")
    floor = SEVERITIES.index(fail_on)
    return any(SEVERITIES.index(f.severity) >= floor for f in findings)


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def lint_sql(
    sql: str,
    ctx: LintContext | None = None,
    *,
    file: str | None = None,
    down: str | None = None,
    down_file: str | None = None,
    rules: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> LintResult:
    """Lint SQL text (a migration's up, and its down when given)."""
    ctx = ctx or LintContext()
    selected = select_rules(ctx.family, rules, ignore)
    statements = parse_statements(sql, ctx.family, file)
    assign_transactions(statements, ctx)
    down_statements = None
    if down is not None:
        down_statements = parse_statements(down, ctx.family, down_file or _down_name(file))
        assign_transactions(down_statements, ctx)
    run = Run(ctx, statements, down=down_statements)
    findings = run_rules(run, selected)
    if down_statements is not None:
        findings += run_rules(_down_run(run, down_statements), selected, statement_only=True)
    files = tuple(f for f in (file, down_file if down is not None else None) if f)
    return _result(findings, ctx, files, len(statements), selected)


def lint_file(
    path: str | Path,
    ctx: LintContext | None = None,
    *,
    down_path: str | Path | None = None,
    rules: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> LintResult:
    """Lint a SQL file (and its down file). Paths in findings are as given."""
    up = _read(path)
    down = _read(down_path) if down_path is not None else None
    return lint_sql(
        up,
        ctx,
        file=str(path),
        down=down,
        down_file=str(down_path) if down_path is not None else None,
        rules=rules,
        ignore=ignore,
    )


def lint_plan(
    operations: Sequence[Operation],
    before: Schema,
    ctx: LintContext | None = None,
    *,
    rules: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    include_down: bool = True,
) -> LintResult:
    """Lint one of migwright's plans: its rendered SQL, and its down when it has one."""
    from ..errors import IrreversibleError
    from ..ops import reverse_all
    from ..sql import render, reverse_statements

    ctx = replace(ctx or LintContext(), before=before)
    selected = select_rules(ctx.family, rules, ignore)
    statements = _plan_statements(render(operations, before, ctx.dialect), ctx.family, "up")
    assign_plan_transactions(statements, ctx)
    plan = PlanInput(tuple(operations), before)
    run = Run(ctx, statements, plan=plan)
    findings = [f for f in run_rules(run, selected) if not _own_guard(f, operations)]
    findings += _seen_through_guards(operations, before, ctx, selected, findings)
    if include_down:
        try:
            rendered_down = reverse_statements(operations, before, ctx.dialect)
        except IrreversibleError:
            rendered_down = None
        if rendered_down:
            down = _plan_statements(rendered_down, ctx.family, "down")
            assign_plan_transactions(down, ctx)
            reverses = reverse_all(operations, before).operations
            findings += [
                f
                for f in run_rules(_down_run(run, down), selected, statement_only=True)
                if not _own_guard(f, reverses)
            ]
    return _result(findings, ctx, (), len(statements), selected)


#: Rules about what a change means, not how it locks: they still apply when the zero-downtime
#: rewrite put the statement inside a DO block the statement rules cannot read.
DESIGN_RULES = frozenset(
    {
        "prefer-bigint-over-int",
        "prefer-identity",
        "prefer-text-field",
        "prefer-timestamptz",
        "ban-char-field",
        "identifier-too-long",
        "prefer-jsonb",
        "renaming-column",
        "renaming-table",
        "ban-drop-column",
        "ban-drop-table",
        "adding-required-field",
        "ban-type-change-on-constrained-column",
    }
)


def _own_guard(finding: Finding, operations: Sequence[Operation]) -> bool:
    """An opaque-raw-sql note on a DO block migwright wrote itself (the zero-downtime rewrite's
    guards and retries): what it does is known, and the design rules look at its effects."""
    from ..ops_safe import DropInvalidIndex, Guarded

    index = finding.operation_index
    if finding.rule != "opaque-raw-sql" or index is None or not 0 <= index < len(operations):
        return False
    return isinstance(operations[index], Guarded | DropInvalidIndex)


def _seen_through_guards(
    operations: Sequence[Operation],
    before: Schema,
    ctx: LintContext,
    selected: Sequence[Rule],
    found: Sequence[Finding],
) -> list[Finding]:
    """The design rules run on the modelled operations inside the rewrite's guarded SQL (its
    `effects`), so a guarded `varchar(100)` column or rename is still named; lock rules are not
    run there: the guard is the answer to them."""
    from ..errors import MigwrightError
    from ..ops import RawSQL
    from ..ops_safe import Guarded
    from ..sql import render

    if not any(isinstance(op, Guarded) for op in operations):
        return []
    plain: list[Operation] = []
    for op in operations:
        if isinstance(op, Guarded):
            plain += op.effects
        elif not isinstance(op, RawSQL) and op.kind in OPERATION_KINDS_TO_LINT:
            plain.append(op)
    design = [r for r in selected if r.id in DESIGN_RULES]
    try:
        statements = _plan_statements(render(plain, before, ctx.dialect), ctx.family, "up")
    except MigwrightError:  # a view for lint only: the plan itself rendered already
        return []
    assign_plan_transactions(statements, ctx)
    run = Run(ctx, statements, plan=PlanInput(tuple(plain), before))
    seen = {(f.rule, f.table) for f in found}
    return [f for f in run_rules(run, design) if (f.rule, f.table) not in seen]


#: Operations of a plan that are the request's own (not the rewrite's extra steps).
OPERATION_KINDS_TO_LINT = frozenset(
    {
        "create_table",
        "drop_table",
        "rename_table",
        "add_column",
        "drop_column",
        "alter_column",
        "rename_column",
        "create_index",
        "drop_index",
        "add_foreign_key",
        "add_unique",
        "add_check",
        "drop_constraint",
        "create_enum",
        "add_enum_value",
        "backfill",
    }
)


# ---------------------------------------------------------------------------------------------
# Rule selection
# ---------------------------------------------------------------------------------------------


def select_rules(
    family: str, rules: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> list[Rule]:
    """The rules to run: `rules` (ids or globs like `ban-*`; default: every rule enabled by
    default) minus `ignore`, limited to those that apply to the dialect family."""
    _load_rules()
    wanted = list(rules) if rules is not None else None
    skipped = list(ignore or ())
    for pattern in [*(wanted or []), *skipped]:
        if not any(fnmatch.fnmatch(rule_id, pattern) for rule_id in RULES):
            raise ConfigError(
                f"no lint rule matches {pattern!r}",
                "see docs/rules/README.md for the rule ids (globs like ban-* work too)",
            )
    chosen = []
    for rule in RULES.values():
        if wanted is None:
            if not rule.enabled_by_default:
                continue
        elif not any(fnmatch.fnmatch(rule.id, p) for p in wanted):
            continue
        if any(fnmatch.fnmatch(rule.id, p) for p in skipped):
            continue
        if rule.applies_to(family):
            chosen.append(rule)
    return chosen


def _load_rules() -> None:
    from . import rules_load  # noqa: F401  (imports every rule module: they register)


# ---------------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------------


def assign_transactions(statements: Sequence[Stmt], ctx: LintContext) -> None:
    """Set `txn`/`managed` on each statement from BEGIN/COMMIT and the framework's mode.

    MySQL commits implicitly before and after every DDL statement, so DDL never runs inside a
    transaction there and ends any open one.
    """
    counter = 0
    current: int | None = 0 if ctx.in_transaction else None
    managed = ctx.in_transaction
    for stmt in statements:
        kind = stmt.kind
        if ctx.family == "mysql" and kind in DDL_KINDS:
            stmt.txn, stmt.managed = None, False
            current, managed = None, False
            continue
        if kind == "begin":
            if current is None:
                counter += 1
                current, managed = counter, False
            stmt.txn, stmt.managed = current, managed
            continue
        stmt.txn, stmt.managed = current, managed
        if kind in ("commit", "rollback"):
            current, managed = None, False


def assign_plan_transactions(statements: Sequence[Stmt], ctx: LintContext) -> None:
    """migwright runs each run of transactional statements in one transaction (see
    `sql.script`) and the others (CONCURRENTLY, ADD VALUE, PRAGMA) outside any."""
    counter = 0
    current: int | None = None
    for stmt in statements:
        if ctx.family == "mysql" or stmt.must_run_outside_transaction:
            stmt.txn = None
            current = None
            continue
        if current is None:
            counter += 1
            current = counter
        stmt.txn = current
        stmt.managed = True


# ---------------------------------------------------------------------------------------------
# Running rules and shaping findings
# ---------------------------------------------------------------------------------------------


def run_rules(run: Run, rules: Sequence[Rule], *, statement_only: bool = False) -> list[Finding]:
    findings: list[Finding] = []
    by_statement: dict[int, list[Finding]] = {}
    for rule in rules:
        hits: list[tuple[Hit, Stmt | None]] = []
        if rule.statement_check is not None:
            for stmt in run.statements:
                hits += [(hit, hit.stmt or stmt) for hit in rule.statement_check(stmt, run)]
        if rule.migration_check is not None and not statement_only:
            hits += [(hit, hit.stmt) for hit in rule.migration_check(run)]
        for hit, where in hits:
            finding = _finding(rule, hit, where, run)
            if where is not None:
                by_statement.setdefault(where.index, []).append(finding)
            else:
                findings.append(finding)
    from .markers import apply_markers

    findings += apply_markers(run.statements, by_statement, {r.id for r in rules})
    return findings


def _finding(rule: Rule, hit: Hit, stmt: Stmt | None, run: Run) -> Finding:
    table = hit.table or (stmt.table if stmt is not None else None)
    stats = run.ctx.table_stats(table) if rule.cost and hit.sized else None
    severity = hit.severity or sized_severity(rule.severity, stats)
    seconds = estimate_seconds(rule.cost, stats)
    message = hit.message
    if seconds is not None and stats is not None:
        message = f"{message} ({describe_estimate(seconds, stats)})"
    return Finding(
        rule=rule.id,
        severity=severity,
        message=message,
        help=hit.help,
        safe_alternative=hit.safe_alternative,
        statement_index=stmt.index if stmt is not None else None,
        file=stmt.file if stmt is not None else None,
        line=(stmt.line or None) if stmt is not None and stmt.file is not None else None,
        table=table,
        estimated_seconds=seconds,
        statement=stmt.excerpt() if stmt is not None else None,
        docs=rule.docs_path,
        operation_index=stmt.op_index if stmt is not None else None,
    )


def _result(
    findings: list[Finding], ctx: LintContext, files: tuple[str, ...], count: int,
    selected: Sequence[Rule],
) -> LintResult:  # fmt: skip
    ordered = sorted(
        findings,
        key=lambda f: (
            f.file or "",
            f.statement_index if f.statement_index is not None else -1,
            -SEVERITIES.index(f.severity),
            f.rule,
        ),
    )
    return LintResult(tuple(ordered), ctx.dialect, files, count, tuple(r.id for r in selected))


def _down_run(up: Run, down: list[Stmt]) -> Run:
    created = {t for t in up._created} | {short(t).lower() for t in up.ctx.created_tables}
    columns = {
        ((s.table or "").lower(), (a.column or "").lower())
        for s in up.statements
        for a in s.shape.actions
        if a.kind == "add_column"
    }
    objects = {(s.shape.name or "").lower() for s in up.statements if s.kind == "create_index"}
    objects |= {
        (a.constraint.name or "").lower()
        for s in up.statements
        for a in s.shape.actions
        if a.constraint is not None
    }
    return Run(
        up.ctx, down, plan=up.plan, up_created=frozenset(created),
        up_columns=frozenset(columns), up_objects=frozenset(objects - {""}), is_down=True,
    )  # fmt: skip


def _plan_statements(rendered: Sequence[object], family: str, file: str) -> list[Stmt]:
    statements: list[Stmt] = []
    for item in rendered:
        sql = getattr(item, "sql", "")
        for stmt in parse_statements(sql, family):
            stmt.index = len(statements)
            stmt.op_index = getattr(item, "op_index", None)
            stmt.must_run_outside_transaction = not getattr(item, "transactional", True)
            stmt.file = None if file == "up" else file
            stmt.line = 0
            statements.append(stmt)
    return statements


def _down_name(file: str | None) -> str:
    return f"{file} (down)" if file else "down"


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror}", "check the path") from err


def _changed(col: ColumnDef, action: Action) -> ColumnDef:
    """`col` after an ALTER COLUMN action (nullability, type, default)."""
    from dataclasses import replace as _replace

    if action.kind == "set_not_null":
        return _replace(col, not_null=True)
    if action.kind == "drop_not_null":
        return _replace(col, not_null=False)
    if action.kind == "alter_type" and action.type:
        return _replace(col, type=action.type)
    if action.kind == "set_default":
        return _replace(col, default=action.value)
    if action.kind == "drop_default":
        return _replace(col, default=None)
    return col


def _enum_values(type_: str) -> tuple[str, ...] | None:
    """The members of an `enum('a','b')` / `set(...)` type string, else None."""
    import re

    if not type_.lower().startswith(("enum(", "set(")):
        return None
    return tuple(v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", type_))
