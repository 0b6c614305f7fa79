"""The operations only the zero-downtime rewrite (`zero_downtime.py`) produces.

They exist so that a plan made safe for a live database is still a plan of operations: each
has its state change (most change nothing: validating a constraint or dropping a leftover
invalid index leaves the modelled schema as it is) and its reverse, and every framework can
run it, natively or as the dialect's SQL.

- `ValidateConstraint`: `ALTER TABLE ... VALIDATE CONSTRAINT`, the scan of a constraint added
  NOT VALID, in its own transaction (it takes SHARE UPDATE EXCLUSIVE: writes go on).
- `DropInvalidIndex`: drops an index of the given name only when an interrupted
  `CREATE INDEX CONCURRENTLY` left it INVALID, so that the build can run again.
- `PrepareUniqueIndex`: the unique index a UNIQUE constraint will adopt (`USING INDEX`),
  built concurrently; it becomes part of the constraint, so it has no state and no reverse.
- `Guarded`: modelled operations (`effects`) run as SQL migwright wrote for a live database:
  on PostgreSQL a `DO` block that checks whether the work is already done (so a re-run after
  a crash finishes instead of failing) and retries on `lock_timeout` with backoff; on
  MySQL/MariaDB the ALTERs with an explicit ALGORITHM and LOCK. It is a RawSQL, so every
  framework runs it as SQL and keeps its state from the effects (Django's state_operations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .errors import SchemaError
from .ops import DropConstraint, Irreversible, NoOp, Operation, RawSQL, reverse_all
from .schema import Schema, UniqueConstraint


@dataclass(frozen=True)
class LockRetry:
    """How a statement waits for its lock: at most `timeout_ms` per try, `attempts` tries,
    sleeping `backoff_ms`, then twice that, ... between them (PostgreSQL)."""

    timeout_ms: int = 2000
    attempts: int = 5
    backoff_ms: int = 200
    #: The framework writes its own DDL calls (Alembic, Django, Knex, ...): a statement that
    #: must take ACCESS EXCLUSIVE stays the framework's native call, under a session
    #: `lock_timeout` (`LockTimeout`) instead of a retry block of raw SQL; the migration is one
    #: transaction there, so a timed-out try rolls back whole and is simply run again.
    native: bool = False
    #: The runner can run a statement outside a transaction (Drizzle's migrator cannot: it
    #: wraps every file in one, and PostgreSQL refuses CREATE INDEX CONCURRENTLY inside it).
    concurrent: bool = True

    def __post_init__(self) -> None:
        if self.timeout_ms <= 0 or self.attempts <= 0 or self.backoff_ms < 0:
            raise SchemaError(
                f"lock retry needs a positive timeout and attempts, not {self}",
                "give e.g. --lock-timeout 2000 --lock-attempts 5",
            )

    def describe(self) -> str:
        return f"lock_timeout {self.timeout_ms} ms, {self.attempts} tries"


@dataclass(frozen=True)
class ValidateConstraint(Operation):
    """Check the existing rows against a constraint added NOT VALID; its own transaction."""

    table: str
    name: str
    kind: ClassVar[str] = "validate_constraint"
    symbol: ClassVar[str] = "~"

    def apply(self, schema: Schema) -> Schema:
        DropConstraint(self.table, self.name).find(schema.table(self.table))
        return schema

    def reverse(self, before: Schema) -> Operation:
        return NoOp(f"validating {self.name} needs no undo")

    @property
    def transactional(self) -> bool:
        return False

    def describe(self) -> str:
        return f"~ validate constraint {self.name} on {self.table}"


@dataclass(frozen=True)
class DropInvalidIndex(Operation):
    """Drop index `name` if, and only if, an interrupted concurrent build left it INVALID."""

    table: str
    name: str
    retry: LockRetry = LockRetry()
    kind: ClassVar[str] = "drop_invalid_index"
    symbol: ClassVar[str] = "-"

    def apply(self, schema: Schema) -> Schema:
        schema.table(self.table)
        return schema

    def reverse(self, before: Schema) -> Operation:
        return NoOp(f"an invalid {self.name} is not brought back")

    @property
    def transactional(self) -> bool:
        return False

    def describe(self) -> str:
        return f"- drop index {self.name} on {self.table} if a crashed build left it invalid"


@dataclass(frozen=True)
class PrepareUniqueIndex(Operation):
    """Build, concurrently, the unique index that `AddUnique(using_index=True)` adopts."""

    table: str
    unique: UniqueConstraint
    kind: ClassVar[str] = "prepare_unique_index"
    symbol: ClassVar[str] = "+"

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        for column in self.unique.columns:
            table.column(column)
        if not self.unique.name:
            raise SchemaError(
                "a unique index for a constraint needs the constraint's name", "name the unique"
            )
        return schema

    def reverse(self, before: Schema) -> Operation:
        return NoOp(f"{self.unique.name} goes with its constraint")

    @property
    def transactional(self) -> bool:
        return False

    def describe(self) -> str:
        cols = ", ".join(self.unique.columns)
        return f"+ build unique index {self.unique.name} concurrently on {self.table} ({cols})"


@dataclass(frozen=True)
class Guarded(RawSQL):
    """`effects` as SQL written for a live database (see the module docstring); `note` says
    how (the lock timeout and retries, the algorithm)."""

    note: str = ""
    in_transaction: bool = False
    kind: ClassVar[str] = "guarded_sql"

    @property
    def table(self) -> str | None:
        """The first effect's table (so reverse_all counts a guarded drop's data loss)."""
        return self.effects[0].tables[0] if self.effects and self.effects[0].tables else None

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for e in self.effects for t in e.tables))

    @property
    def transactional(self) -> bool:
        return self.in_transaction

    def reverse(self, before: Schema) -> Operation | Irreversible:
        if self.reverse_sql is None:
            plan = reverse_all(self.effects, before)
            if plan.irreversible:
                return plan.irreversible[0][1]
            return Irreversible("guarded SQL without a reverse")
        back = reverse_all(self.effects, before).operations
        return Guarded(self.reverse_sql, self.sql, back, self.note, self.in_transaction)

    def data_loss(self, before: Schema) -> str | None:
        state, losses = before, []
        for effect in self.effects:
            loss = effect.data_loss(state)
            if loss:
                losses.append(loss)
            state = effect.apply(state)
        return "; ".join(losses) or None

    def describe(self) -> str:
        """What the effects do, as the plain operations say it: plans, chat and documents list
        the change the person asked for; how it runs (`note`) is the SQL's comment."""
        return "; ".join(e.describe().strip() for e in self.effects) or "~ run sql"


@dataclass(frozen=True)
class LockTimeout(RawSQL):
    """`SET lock_timeout` for the rest of the migration (native mode, see LockRetry.native):
    the first operation of a plan sets it, the last resets it, and the down does the same."""

    kind: ClassVar[str] = "lock_timeout"

    def reverse(self, before: Schema) -> Operation | Irreversible:
        if self.reverse_sql is None:
            return Irreversible("lock_timeout without its reset")
        return LockTimeout(self.reverse_sql, self.sql)

    def describe(self) -> str:
        return f"~ {self.sql}"


def lock_timeout_pair(retry: LockRetry) -> tuple[LockTimeout, LockTimeout]:
    """The opening and closing statements of a native-mode plan (see LockTimeout)."""
    set_sql = f"SET lock_timeout = '{retry.timeout_ms}ms'"
    return LockTimeout(set_sql, "RESET lock_timeout"), LockTimeout("RESET lock_timeout", set_sql)
