"""Plans and hand-written migrations the validator tests share.

The schema is small but has what breaks migrations in practice: a unique email, a free-text
name with repeated values and NULLs, a long varchar, a foreign key, numbers. Broken migrations
are `RawMigration`s whose SQL does something other than what the plan says, per dialect where
the spelling differs.
"""

from __future__ import annotations

from collections.abc import Sequence

from migwright.tools import ops as o
from migwright.tools.frameworks.render import MigrationPlan
from migwright.tools.schema import Column, ForeignKey, Schema, Table, UniqueConstraint
from migwright.tools.validate import RawMigration, SqlMigration
from migwright.tools.validate_report import PhaseName, ValidationReport, Verdict

#: Rows per table: enough for duplicates, NULLs and long strings, small enough to be quick.
ROWS = 300

USERS = Table(
    "users",
    (
        Column("id", "integer", False, identity=True),
        Column("email", "varchar(200)", False),
        Column("name", "varchar(200)"),
        Column("bio", "text"),
    ),
    ("id",),
    uniques=(UniqueConstraint("uq_users_email", ("email",)),),
)

ORDERS = Table(
    "orders",
    (
        Column("id", "integer", False, identity=True),
        Column("user_id", "integer", False),
        Column("total", "numeric(10,2)"),
        Column("quantity", "integer"),
        Column("status", "varchar(20)"),
    ),
    ("id",),
    foreign_keys=(ForeignKey("fk_orders_user", ("user_id",), "users", ("id",)),),
)

BEFORE = Schema((USERS, ORDERS))


def plan(*operations: o.Operation, description: str = "test migration") -> MigrationPlan:
    return MigrationPlan(tuple(operations), BEFORE, "postgresql", description, "0002_test")


def sql_migration(*operations: o.Operation) -> tuple[SqlMigration, MigrationPlan]:
    p = plan(*operations)
    return SqlMigration(p), p


def raw(
    p: MigrationPlan, up: Sequence[str], down: Sequence[str] | None
) -> tuple[RawMigration, MigrationPlan]:
    return RawMigration(p, up, down), p


def drop_index(dialect: str, name: str, table: str) -> str:
    return f"DROP INDEX {name} ON {table}" if dialect == "mysql" else f"DROP INDEX {name}"


def failed(report: ValidationReport) -> list[Verdict]:
    return [v for phase in report.phases for v in phase.verdicts if not v.ok]


def verdict(report: ValidationReport, phase: PhaseName, name: str) -> Verdict:
    for v in report.phase(phase).verdicts:
        if v.name == name:
            return v
    raise AssertionError(f"no verdict {name} in {phase}: {report.phase(phase)}")
