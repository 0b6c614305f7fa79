"""The SQL that keeps old and new names in step while an expand/contract change is live.

Between the expand migration and the contract migration two versions of the application run at
once: the one that reads and writes the old column (or table) and the one that uses the new. The
database keeps both views of the data equal, so either version may write:

- a column rename or type change: triggers copy every write of one column into the other,
  converting the type where it changes. PostgreSQL uses one BEFORE INSERT OR UPDATE trigger
  function; MySQL/MariaDB two BEFORE triggers, each a single `SET NEW.a = ..., NEW.b = ...`
  (no BEGIN/END, so no DELIMITER is needed); SQLite cannot change NEW, so four AFTER triggers
  UPDATE the row by its key.
- a table rename: the table takes its new name and a view with the old name stands in for it.
  PostgreSQL and MySQL views over one table are updatable by themselves; SQLite needs INSTEAD OF
  triggers on the view.

The rules, so neither side overwrites the other: on INSERT, a value in the new column wins (old
code never sets it), otherwise the new column is computed from the old one; on UPDATE, the column
the statement changed is copied to the other. A copy back into the old column is skipped when the
new value already equals the conversion of the old one, so a backfill of the new column does not
rewrite the old column through a lossy round trip.

Nothing here runs SQL: these functions return text for `RawSQL` operations, each with its
reverse, so every framework renders and validates them like any other raw statement. The schema
model does not know triggers and views; the contract phase finds them by name (`object_names`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from .dialects import Dialect
from .dialects import get as get_dialect
from .schema import Schema, Table, canonical_type

#: Longest trigger/function/view name every dialect accepts (PostgreSQL 63, MySQL 64).
NAME_LIMIT = 60


def object_name(*parts: str) -> str:
    """A deterministic name for a sync object: both phases compute the same one."""
    name = "mw_" + "_".join(parts)
    if len(name) <= NAME_LIMIT:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: NAME_LIMIT - 9]}_{digest}"


@dataclass(frozen=True)
class ColumnSync:
    """Two columns of one table kept equal: `old` (running code) and `new` (next deploy).

    `using` is a PostgreSQL-spelled conversion from the old column to the new type that names
    the old column (AlterColumn's USING); without it, a CAST to the new type.
    """

    table: str
    old: str
    new: str
    old_type: str
    new_type: str
    key: tuple[str, ...] = ()
    using: str | None = None

    @property
    def retyped(self) -> bool:
        return canonical_type(self.old_type) != canonical_type(self.new_type)

    @property
    def base(self) -> str:
        return object_name(self.table, self.old, self.new)

    def object_names(self, dialect: str) -> tuple[str, ...]:
        """Names of the triggers (and PostgreSQL function) the expand creates."""
        name = get_dialect(dialect).name
        if name == "postgresql":
            return (self.base,)
        if name == "mysql":
            return (f"{self.base[:57]}_bi", f"{self.base[:57]}_bu")
        return tuple(f"{self.base[:56]}_{s}" for s in ("io", "in", "uo", "un"))

    def to_new_sql(self, ref: str, d: Dialect, schema: Schema) -> str:
        """The new column's value computed from the old column `ref` (e.g. `NEW.total`)."""
        column = f"{ref}.{d.quote(self.old)}" if ref else d.quote(self.old)
        if not self.retyped and self.using is None:
            return column
        if self.using is not None and d.name == "postgresql":
            return _with_prefix(self.using, self.old, ref)
        return f"CAST({column} AS {d.cast_type(canonical_type(self.new_type), schema)})"

    def to_old_sql(self, ref: str, d: Dialect, schema: Schema) -> str:
        column = f"{ref}.{d.quote(self.new)}" if ref else d.quote(self.new)
        if not self.retyped:
            return column
        return f"CAST({column} AS {d.cast_type(canonical_type(self.old_type), schema)})"

    def backfill_expression(self) -> str:
        """The new column from the old one, PostgreSQL-spelled (Backfill expressions are)."""
        if self.using is not None:
            return self.using
        if not self.retyped:
            return self.old
        return f"CAST({self.old} AS {self.new_type})"

    def create_sql(self, dialect: str, schema: Schema) -> str:
        d = get_dialect(dialect)
        return {"postgresql": _pg_create, "mysql": _mysql_create}.get(d.name, _sqlite_create)(
            self, d, schema
        )

    def drop_sql(self, dialect: str) -> str:
        d = get_dialect(dialect)
        names = self.object_names(dialect)
        if d.name == "postgresql":
            return (
                f"DROP TRIGGER IF EXISTS {names[0]} ON {d.quote(self.table)};\n"
                f"DROP FUNCTION IF EXISTS {names[0]}()"
            )
        return ";\n".join(f"DROP TRIGGER IF EXISTS {n}" for n in names)


def _with_prefix(using: str, column: str, ref: str) -> str:
    """`using` with each bare reference to `column` read from the row `ref` (NEW)."""
    tree = sqlglot.parse_one(using, read="postgres")

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name == column and not node.table:
            return exp.column(column, table=ref)
        return node

    return tree.transform(swap).sql(dialect="postgres")


def _pg_create(s: ColumnSync, d: Dialect, schema: Schema) -> str:
    o, n, fn = d.quote(s.old), d.quote(s.new), s.base
    to_new, to_old = s.to_new_sql("NEW", d, schema), s.to_old_sql("NEW", d, schema)
    # OR REPLACE and DROP ... IF EXISTS: a re-run after a crash between this step's commit
    # and the runner's bookkeeping must not fail on what the first run made
    return f"""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $mw$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.{n} IS NULL THEN
      NEW.{n} := {to_new};
    ELSIF NEW.{n} IS DISTINCT FROM {to_new} THEN
      NEW.{o} := {to_old};
    END IF;
  ELSIF NEW.{o} IS DISTINCT FROM OLD.{o} THEN
    NEW.{n} := {to_new};
  ELSIF NEW.{n} IS DISTINCT FROM OLD.{n} AND NEW.{n} IS DISTINCT FROM {to_new} THEN
    NEW.{o} := {to_old};
  END IF;
  RETURN NEW;
END
$mw$;
DROP TRIGGER IF EXISTS {fn} ON {d.quote(s.table)};
CREATE TRIGGER {fn} BEFORE INSERT OR UPDATE ON {d.quote(s.table)}
  FOR EACH ROW EXECUTE FUNCTION {fn}()"""


def _mysql_create(s: ColumnSync, d: Dialect, schema: Schema) -> str:
    # One SET per trigger; its assignments run left to right, so each reads what the ones
    # before it left in NEW: the order below is what makes the rules hold.
    o, n, t = d.quote(s.old), d.quote(s.new), d.quote(s.table)
    to_new, to_old = s.to_new_sql("NEW", d, schema), s.to_old_sql("NEW", d, schema)
    insert, update = s.object_names("mysql")
    return (  # MySQL commits each DDL statement: a re-run after a crash drops what was made
        f"DROP TRIGGER IF EXISTS {insert};\nDROP TRIGGER IF EXISTS {update};\n"
        f"CREATE TRIGGER {insert} BEFORE INSERT ON {t} FOR EACH ROW SET\n"
        f"  NEW.{o} = IF(NEW.{n} IS NULL OR NEW.{n} <=> {to_new}, NEW.{o}, {to_old}),\n"
        f"  NEW.{n} = IF(NEW.{n} IS NULL, {to_new}, NEW.{n});\n"
        f"CREATE TRIGGER {update} BEFORE UPDATE ON {t} FOR EACH ROW SET\n"
        f"  NEW.{n} = IF(NEW.{o} <=> OLD.{o}, NEW.{n}, {to_new}),\n"
        f"  NEW.{o} = IF(NEW.{o} <=> OLD.{o} AND NOT (NEW.{n} <=> OLD.{n})"
        f" AND NOT (NEW.{n} <=> {to_new}), {to_old}, NEW.{o})"
    )


def _sqlite_create(s: ColumnSync, d: Dialect, schema: Schema) -> str:
    o, n, t = d.quote(s.old), d.quote(s.new), d.quote(s.table)
    to_new, to_old = s.to_new_sql("NEW", d, schema), s.to_old_sql("NEW", d, schema)
    where = _row_match(s.key, "NEW", d)
    io, in_, uo, un = s.object_names("sqlite")
    set_new = f"UPDATE {t} SET {n} = {to_new} WHERE {where}; END"
    set_old = f"UPDATE {t} SET {o} = {to_old} WHERE {where}; END"
    return ";\n".join(
        [
            f"CREATE TRIGGER {io} AFTER INSERT ON {t} FOR EACH ROW\n"
            f"  WHEN NEW.{n} IS NULL BEGIN {set_new}",
            f"CREATE TRIGGER {in_} AFTER INSERT ON {t} FOR EACH ROW\n"
            f"  WHEN NEW.{n} IS NOT NULL AND NEW.{n} IS NOT {to_new} BEGIN {set_old}",
            f"CREATE TRIGGER {uo} AFTER UPDATE OF {o} ON {t} FOR EACH ROW\n"
            f"  WHEN NEW.{o} IS NOT OLD.{o} AND NEW.{o} IS NOT {to_old} BEGIN {set_new}",
            f"CREATE TRIGGER {un} AFTER UPDATE OF {n} ON {t} FOR EACH ROW\n"
            f"  WHEN NEW.{n} IS NOT OLD.{n} AND NEW.{o} IS OLD.{o}"
            f" AND NEW.{n} IS NOT {to_new} BEGIN {set_old}",
        ]
    )


def _row_match(key: tuple[str, ...], ref: str, d: Dialect) -> str:
    if not key:
        return f"rowid = {ref}.rowid"
    return " AND ".join(f"{d.quote(k)} = {ref}.{d.quote(k)}" for k in key)


# ---------------------------------------------------------------------------------------------
# Table renames: a view under the old name
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableAlias:
    """The view `old` over the renamed table `new`, so running code keeps its table name."""

    old: str
    new: str

    def object_names(self, dialect: str) -> tuple[str, ...]:
        """What the contract looks for in the history: the view's CREATE (lower-cased)."""
        return (f"view {self.old}",)

    def create_sql(self, dialect: str, schema: Schema) -> str:
        """`schema` is the one after the rename (it has the table `new`)."""
        d = get_dialect(dialect)
        view = f"CREATE VIEW {d.quote(self.old)} AS SELECT * FROM {d.quote(self.new)}"
        if d.name != "sqlite":
            return view
        return ";\n".join([view, *_sqlite_view_triggers(self, schema.table(self.new), d, schema)])

    def drop_sql(self, dialect: str) -> str:
        d = get_dialect(dialect)
        return f"DROP VIEW IF EXISTS {d.quote(self.old)}"  # SQLite drops its triggers with it


def _sqlite_view_triggers(alias: TableAlias, table: Table, d: Dialect, schema: Schema) -> list[str]:
    view, real = d.quote(alias.old), d.quote(alias.new)
    names = ", ".join(d.quote(c.name) for c in table.columns)

    def value(column_name: str) -> str:
        column = table.column(column_name)
        default = d.default_sql(column, schema) if column.default is not None else None
        ref = f"NEW.{d.quote(column_name)}"
        return f"COALESCE({ref}, {default})" if default else ref

    values = ", ".join(value(c.name) for c in table.columns)
    sets = ", ".join(f"{d.quote(c.name)} = NEW.{d.quote(c.name)}" for c in table.columns)
    key = table.primary_key or tuple(c.name for c in table.columns)
    where = " AND ".join(f"{d.quote(k)} IS OLD.{d.quote(k)}" for k in key)
    base = object_name(alias.old, "view")[:55]
    return [
        f"CREATE TRIGGER {base}_ins INSTEAD OF INSERT ON {view} FOR EACH ROW\n"
        f"  BEGIN INSERT INTO {real} ({names}) VALUES ({values}); END",
        f"CREATE TRIGGER {base}_upd INSTEAD OF UPDATE ON {view} FOR EACH ROW\n"
        f"  BEGIN UPDATE {real} SET {sets} WHERE {where}; END",
        f"CREATE TRIGGER {base}_del INSTEAD OF DELETE ON {view} FOR EACH ROW\n"
        f"  BEGIN DELETE FROM {real} WHERE {where}; END",
    ]
