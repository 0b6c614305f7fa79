"""The engine: transactions, rule selection, size-based severity, server versions, ignore
markers, downs, ORM-emitted SQL, migwright plans and the JSON document."""

from __future__ import annotations

import json

import pytest

from migwright.tools import ops as o
from migwright.tools.errors import ConfigError
from migwright.tools.lint import (
    Finding,
    LintContext,
    TableStats,
    failed,
    lint_file,
    lint_plan,
    lint_result_to_json,
    lint_sql,
    parse_version,
)
from migwright.tools.lint.engine import assign_transactions
from migwright.tools.lint.statement import parse_statements
from migwright.tools.schema import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    Schema,
    Table,
)

PG = LintContext("postgresql")


def rules_of(sql: str, ctx: LintContext = PG, **kwargs: object) -> list[str]:
    return [f.rule for f in lint_sql(sql, ctx, **kwargs).findings]  # type: ignore[arg-type]


def finding(sql: str, rule: str, ctx: LintContext = PG) -> Finding:
    return next(f for f in lint_sql(sql, ctx).findings if f.rule == rule)


# ---------------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------------


def test_transactions_follow_begin_commit_and_the_framework_mode() -> None:
    sql = "BEGIN; ALTER TABLE a ADD COLUMN b int; COMMIT; CREATE INDEX i ON a (b); BEGIN; SELECT 1;"
    statements = parse_statements(sql, "postgresql")
    assign_transactions(statements, PG)
    assert [s.txn for s in statements] == [1, 1, 1, None, 2, 2]
    statements = parse_statements("ALTER TABLE a ADD COLUMN b int; COMMIT; SELECT 1;", "postgresql")
    assign_transactions(statements, LintContext("postgresql", in_transaction=True))
    assert [(s.txn, s.managed) for s in statements] == [(0, True), (0, True), (None, False)]


def test_mysql_ddl_commits_implicitly() -> None:
    sql = "BEGIN; UPDATE a SET b = 1 WHERE id = 1; ALTER TABLE a ADD COLUMN c int; SELECT 1;"
    statements = parse_statements(sql, "mysql")
    assign_transactions(statements, LintContext("mysql"))
    assert [s.txn for s in statements] == [1, 1, None, None]


def test_concurrently_is_fine_outside_and_fails_inside_the_framework_transaction() -> None:
    sql = "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (a);"
    assert "ban-concurrently-in-transaction" not in rules_of(sql)
    wrapped = LintContext("postgresql", in_transaction=True)
    found = finding(sql, "ban-concurrently-in-transaction", wrapped)
    assert "framework's transaction" in found.message
    assert "autocommit_block" in (found.safe_alternative or "")


# ---------------------------------------------------------------------------------------------
# Selection and failure
# ---------------------------------------------------------------------------------------------


def test_rule_selection_by_id_glob_and_ignore() -> None:
    sql = "CREATE INDEX i ON orders (a); DROP TABLE legacy;"
    assert set(rules_of(sql, rules=["ban-*"])) == {"ban-drop-table"}
    assert "ban-drop-table" not in rules_of(sql, ignore=["ban-drop-table"])
    only = rules_of(sql, rules=["require-concurrent-index-creation"])
    assert only == ["require-concurrent-index-creation"]
    with pytest.raises(ConfigError) as err:
        lint_sql(sql, PG, rules=["no-such-rule"])
    assert "docs/rules/README.md" in err.value.hint


def test_disabled_rules_run_only_when_selected() -> None:
    sql = "CREATE TABLE invoices (id bigint PRIMARY KEY);"
    assert "require-schema-qualified-name" not in rules_of(sql)
    assert "require-schema-qualified-name" in rules_of(sql, rules=["require-schema-*"])


def test_rules_for_other_dialects_do_not_run() -> None:
    sql = "ALTER TABLE t ADD COLUMN c int AFTER b;"
    assert "ban-column-reorder" not in rules_of(sql)
    assert "ban-column-reorder" in rules_of(sql, LintContext("mysql"))


def test_failed_compares_severities() -> None:
    note = Finding("r", "note", "m", "h")
    warning = Finding("r", "warning", "m", "h")
    assert not failed([note, warning])
    assert failed([note, warning], fail_on="warning")
    assert failed([note], fail_on="note")
    assert not failed([])
    with pytest.raises(ConfigError):
        failed([note], fail_on="fatal")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Size-based severity and versions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stats", "severity"),
    [
        (None, "error"),
        ({"orders": (300, 65_536)}, "note"),
        ({"orders": (200_000, 80 * 2**20)}, "warning"),
        ({"orders": (3_000_000, 900 * 2**20)}, "error"),
        ({"public.orders": TableStats(50, 2**31)}, "error"),
    ],
)
def test_severity_follows_table_size(stats: dict | None, severity: str) -> None:
    ctx = LintContext("postgresql", stats=stats)
    found = finding("CREATE INDEX i ON orders (user_id);", "require-concurrent-index-creation", ctx)
    assert found.severity == severity
    assert (found.estimated_seconds is None) == (stats is None)


def test_estimate_is_in_the_message() -> None:
    ctx = LintContext("postgresql", stats={"orders": (5_000_000, 3 * 2**30)})
    found = finding("ALTER TABLE orders ADD COLUMN u uuid DEFAULT gen_random_uuid();",
                    "adding-field-with-default", ctx)  # fmt: skip
    assert found.estimated_seconds == pytest.approx(48.0)
    assert "about 48 s for 5,000,000 rows (3.0 GiB)" in found.message


def test_breakage_rules_ignore_size() -> None:
    ctx = LintContext("postgresql", stats={"users": (10, 8192)})
    assert (
        finding("ALTER TABLE users DROP COLUMN nick;", "ban-drop-column", ctx).severity == "error"
    )


def test_tables_created_in_the_migration_are_exempt_from_lock_rules() -> None:
    sql = "CREATE TABLE t (id bigint PRIMARY KEY, a text); CREATE INDEX t_a_idx ON t (a);"
    assert "require-concurrent-index-creation" not in rules_of(sql)
    created = LintContext("postgresql", created_tables=frozenset({"orders"}))
    assert "require-concurrent-index-creation" not in rules_of(
        "CREATE INDEX i ON orders (a);", created
    )


@pytest.mark.parametrize(
    ("version", "flagged"), [(None, False), ((10, 22), True), ((11,), False), ((16, 2), False)]
)
def test_constant_default_rewrites_only_before_pg11(version: tuple | None, flagged: bool) -> None:
    ctx = LintContext("postgresql", version=version)
    sql = "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';"
    assert ("adding-field-with-default" in rules_of(sql, ctx)) is flagged
    volatile = "ALTER TABLE orders ADD COLUMN ts timestamptz DEFAULT clock_timestamp();"
    assert "adding-field-with-default" in rules_of(volatile, ctx)


@pytest.mark.parametrize(
    ("version", "flagged"), [(None, False), ((14, 0), True), ((14, 3), True), ((14, 4), False)]
)
def test_pg14_concurrent_index_corruption(version: tuple | None, flagged: bool) -> None:
    ctx = LintContext("postgresql", version=version)
    sql = "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (a);"
    assert ("ban-concurrent-index-pg14-corruption" in rules_of(sql, ctx)) is flagged


def test_set_not_null_advice_depends_on_pg12() -> None:
    sql = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
    modern = finding(sql, "adding-not-nullable-field")
    old = finding(sql, "adding-not-nullable-field", LintContext("postgresql", version=(11,)))
    assert "SET NOT NULL;" in (modern.safe_alternative or "")
    assert "SET NOT NULL" not in (old.safe_alternative or "")
    assert "before PostgreSQL 12" in old.message


def test_add_enum_value_in_transaction_depends_on_version() -> None:
    sql = "BEGIN; ALTER TYPE mood ADD VALUE 'meh' AFTER 'ok'; COMMIT;"
    assert finding(sql, "ban-alter-type-add-value-in-transaction").severity == "warning"
    old = LintContext("postgresql", version=(11,))
    assert finding(sql, "ban-alter-type-add-value-in-transaction", old).severity == "error"


def test_parse_version() -> None:
    assert parse_version("14.2") == (14, 2)
    assert parse_version("10.6.12-MariaDB") == (10, 6, 12)
    assert parse_version(None) is None
    with pytest.raises(ConfigError):
        parse_version("latest")


def test_mariadb_versions_for_instant_columns() -> None:
    sql = "ALTER TABLE t ADD COLUMN c int DEFAULT 0;"
    old = LintContext("mariadb", version=(10, 2))
    new = LintContext("mariadb", version=(10, 6))
    assert "adding-field-with-expression-default" in rules_of(sql, old)
    assert "adding-field-with-expression-default" not in rules_of(sql, new)


# ---------------------------------------------------------------------------------------------
# Ignore markers
# ---------------------------------------------------------------------------------------------


def test_marker_silences_named_rules_for_the_next_statement_only() -> None:
    sql = (
        "-- migwright: ignore ban-drop-column, ban-drop-table nobody reads them since v41\n"
        "ALTER TABLE users DROP COLUMN a;\n"
        "ALTER TABLE users DROP COLUMN b;\n"
    )
    found = lint_sql(sql, PG, file="m.sql").findings
    drops = [f for f in found if f.rule == "ban-drop-column"]
    assert [f.line for f in drops] == [3]
    assert not [f for f in found if f.rule.startswith("ignore-")]


def test_marker_without_reason_silences_nothing_and_is_reported() -> None:
    sql = "ALTER TABLE orders ADD COLUMN x int;\n/* migwright: ignore ban-drop-column */\nALTER TABLE users DROP COLUMN a;\n"
    found = lint_sql(sql, PG, file="m.sql").findings
    assert any(f.rule == "ban-drop-column" and f.line == 3 for f in found)
    meta = next(f for f in found if f.rule == "ignore-needs-reason")
    assert meta.line == 2 and "ban-drop-column" in meta.message


def test_marker_naming_no_rule_is_reported() -> None:
    sql = "-- migwright: ignore\nDROP TABLE t;"
    assert {"ignore-needs-reason", "ban-drop-table"} <= set(rules_of(sql))


# ---------------------------------------------------------------------------------------------
# Files and downs
# ---------------------------------------------------------------------------------------------


def test_findings_carry_file_and_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    up = tmp_path / "0002_up.sql"
    down = tmp_path / "0002_down.sql"
    up.write_text("SET lock_timeout = '5s';\n\nALTER TABLE users\n  DROP COLUMN nick;\n")
    down.write_text("ALTER TABLE users ADD COLUMN nick text;\nDROP TABLE orders;\n")
    result = lint_file(up, down_path=down)
    drop = next(f for f in result.findings if f.rule == "ban-drop-column")
    assert (drop.file, drop.line) == (str(up), 3)
    unrelated = next(f for f in result.findings if f.rule == "down-drops-unrelated-data")
    assert (unrelated.file, unrelated.line, unrelated.table) == (str(down), 2, "orders")
    assert result.files == (str(up), str(down))
    with pytest.raises(ConfigError):
        lint_file(tmp_path / "missing.sql")


def test_down_may_undo_what_the_up_created() -> None:
    up = "CREATE TABLE invoices (id bigint PRIMARY KEY); ALTER TABLE users ADD COLUMN tz text;"
    down = "ALTER TABLE users DROP COLUMN tz; DROP TABLE invoices;"
    found = rules_of(up, down=down)
    assert "down-drops-unrelated-data" not in found
    assert "ban-drop-table" not in found and "ban-drop-column" not in found


# ---------------------------------------------------------------------------------------------
# ORM-emitted SQL is plain SQL input
# ---------------------------------------------------------------------------------------------

DJANGO_SQLMIGRATE = """BEGIN;
--
-- Add field priority to order
--
ALTER TABLE "shop_order" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL;
ALTER TABLE "shop_order" ALTER COLUMN "priority" DROP DEFAULT;
--
-- Create index shop_order_priori_6c1a1d_idx on field(s) priority of model order
--
CREATE INDEX "shop_order_priori_6c1a1d_idx" ON "shop_order" ("priority");
COMMIT;
"""

ALEMBIC_SQL = """BEGIN;

-- Running upgrade 1a2b3c -> 4d5e6f

ALTER TABLE orders ADD COLUMN note VARCHAR(200);

UPDATE alembic_version SET version_num='4d5e6f' WHERE alembic_version.version_num = '1a2b3c';

COMMIT;
"""


def test_django_sqlmigrate_output() -> None:
    found = set(rules_of(DJANGO_SQLMIGRATE))
    assert {
        "require-database-default",
        "require-concurrent-index-creation",
        "ban-index-after-exclusive-lock",
    } <= found


def test_alembic_offline_sql_output() -> None:
    found = set(rules_of(ALEMBIC_SQL))
    assert "prefer-text-field" in found
    assert "ban-dml-with-ddl" not in found  # the version bookkeeping is not a backfill
    assert "require-batched-dml" not in found


# ---------------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------------

USERS = Table(
    "users",
    (Column("id", "bigint", False, identity=True), Column("email", "text"), Column("nick", "text")),
    ("id",),
)
ORDERS = Table(
    "orders",
    (
        Column("id", "bigint", False, identity=True),
        Column("user_id", "bigint"),
        Column("total", "numeric(12,2)"),
    ),
    ("id",),
    indexes=(Index("ix_orders_user_id", ("user_id",)),),
    foreign_keys=(ForeignKey("fk_orders_user_id", ("user_id",), "users", ("id",)),),
)
BEFORE = Schema((USERS, ORDERS), (EnumType("mood", ("ok", "sad")),))


def test_plan_is_rendered_and_linted_with_operation_indexes() -> None:
    plan = [
        o.AlterColumn("orders", "total", type="numeric(14,2)"),
        o.AddCheck("orders", CheckConstraint("ck_total", "total >= 0")),
        o.CreateIndex("orders", Index("ix_orders_total", ("total",)), concurrently=True),
        o.DropColumn("users", "nick"),
    ]
    stats = {"orders": (2_000_000, 2 * 2**30), "users": (500, 100_000)}
    result = lint_plan(plan, BEFORE, LintContext("postgresql", stats=stats))
    by_rule = {f.rule: f for f in result.findings}
    assert "changing-column-type" not in by_rule  # numeric(12,2) -> (14,2) is binary-compatible
    assert by_rule["constraint-missing-not-valid"].operation_index == 1
    assert by_rule["constraint-missing-not-valid"].severity == "error"
    assert "ban-concurrently-in-transaction" not in by_rule  # migwright runs it outside
    assert by_rule["ban-drop-column"].operation_index == 3
    assert "users.nick" in by_rule["lossy-rollback"].message
    assert result.statements == 4


def test_plan_irreversible_operation() -> None:
    plan = [o.AddEnumValue("mood", "meh", after="ok")]
    result = lint_plan(plan, BEFORE, LintContext("postgresql"))
    irreversible = next(f for f in result.findings if f.rule == "irreversible-migration")
    assert "cannot remove the value" in irreversible.message
    assert "ban-alter-type-add-value-in-transaction" not in {f.rule for f in result.findings}


def test_plan_down_is_linted() -> None:
    plan = [o.AddColumn("users", Column("tz", "text"))]
    result = lint_plan(
        plan, BEFORE, LintContext("postgresql", settings=frozenset({"lock_timeout"}))
    )
    downs = [f for f in result.findings if f.file == "down"]
    assert all(f.rule != "ban-drop-column" for f in downs)  # dropping what the up added is fine
    assert "require-lock-timeout" not in {f.rule for f in result.findings}


def test_sqlite_plan_rebuild_is_judged_as_a_rebuild() -> None:
    plan = [o.AlterColumn("users", "email", nullable=False)]
    result = lint_plan(plan, BEFORE, LintContext("sqlite"))
    rules = {f.rule for f in result.findings}
    assert "adding-not-nullable-field" in rules
    assert "ban-drop-table" not in rules and "renaming-table" not in rules
    # migwright turns foreign keys off around the rebuild, outside the transaction
    assert "ban-sqlite-rebuild-with-foreign-keys" not in rules


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def test_json_document_round_trips() -> None:
    result = lint_sql("DROP TABLE t; CREATE INDEX i ON u (a);", PG, file="x.sql")
    document = json.loads(json.dumps(lint_result_to_json(result)))
    assert document["dialect"] == "postgresql"
    assert document["summary"]["error"] == result.count("error") >= 2
    first = document["findings"][0]
    assert {"rule", "severity", "message", "help", "safe_alternative", "line", "docs"} <= set(first)
    assert first["docs"].startswith("docs/rules/")
