"""MySQL and MariaDB: implicit commits, inline enums, indexes that are constraints.

What shapes this module:
- DDL commits implicitly, so a script is never wrapped in BEGIN/COMMIT.
- There are no enum types: a PostgreSQL enum column becomes `ENUM('a','b')` with the values of
  the type, CREATE/DROP TYPE render nothing and adding a value rewrites each column's list.
- A unique constraint *is* a unique index (dropped with DROP INDEX), a foreign key needs an
  index on its columns (InnoDB creates one, named like the key, when none exists, drops it
  silently when a better one is created, and refuses to drop the last one a key needs), and
  a check is dropped with DROP CONSTRAINT (MariaDB; MySQL >= 8.0.19).
- TEXT, BLOB and JSON cannot be indexed without a prefix length, and before MySQL 8.0.13 they
  cannot have a default; a DEFAULT that is not a literal needs parentheses.
- Both servers are the target when the flavour is unknown (`get("mysql")`): the SQL rendered is
  what MySQL 8.0.19+ and MariaDB 10.5+ both accept; `get("mariadb")` refuses what MariaDB lacks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import ClassVar

from sqlalchemy.dialects.mysql.reserved_words import RESERVED_WORDS_MARIADB
from sqlglot.dialects.mysql import MySQL as _SqlglotMySQL

from .. import ops as o
from ..errors import DialectError
from ..schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    canonical_type,
)
from .base import (
    COMMON,
    Dialect,
    Renderer,
    Statement,
    foreign_key_partners,
    identity_of,
    is_integer_type,
    is_literal,
    is_now,
    parse_default,
    render_add_check,
    render_add_foreign_key,
    stmt,
)
from .mysql_keys import (
    check_actions,
    check_shared_index,
    comparable_keys,
    drop_foreign_key,
    drop_key,
    keys,
)

_TYPES = {
    "smallint": "SMALLINT",
    "integer": "INT",
    "bigint": "BIGINT",
    "boolean": "BOOLEAN",
    "double": "DOUBLE",
    "real": "FLOAT",
    "numeric": "DECIMAL(65,30)",
    "text": "LONGTEXT",
    "timestamp": "DATETIME(6)",
    "timestamptz": "DATETIME(6)",
    "date": "DATE",
    "time": "TIME(6)",
    "timetz": "TIME(6)",
    "json": "JSON",
    "jsonb": "JSON",
    "uuid": "CHAR(36)",
    "blob": "LONGBLOB",
}

#: CAST targets MySQL and MariaDB both accept (CAST(x AS BIGINT) is not one of them).
_CASTS = {
    "smallint": "SIGNED",
    "integer": "SIGNED",
    "bigint": "SIGNED",
    "boolean": "SIGNED",
    "double": "DOUBLE",
    "real": "DOUBLE",
    "numeric": "DECIMAL(65,30)",
    "timestamp": "DATETIME(6)",
    "timestamptz": "DATETIME(6)",
    "date": "DATE",
    "time": "TIME(6)",
    "timetz": "TIME(6)",
    "blob": "BINARY",
}

#: Types MySQL can neither index without a prefix length nor (before 8.0.13) give a default.
_LOB_TYPES = ("text", "blob", "json", "jsonb")
_TIME_TYPES = ("timestamp", "timestamptz")


@dataclass(frozen=True)
class MySQLDialect(Dialect):
    """MySQL 8 and MariaDB 10.5+; `mariadb` is True when the server is known to be MariaDB."""

    mariadb: bool = False

    name: ClassVar[str] = "mysql"
    label: ClassVar[str] = "MySQL/MariaDB"
    sqlglot_name: ClassVar[str] = "mysql"
    quote_char: ClassVar[str] = "`"
    reserved: ClassVar[frozenset[str]] = frozenset(
        _SqlglotMySQL.Generator.RESERVED_KEYWORDS | RESERVED_WORDS_MARIADB
    )
    transactional_ddl: ClassVar[bool] = False

    @property
    def server(self) -> str:
        return "MariaDB" if self.mariadb else "MySQL"

    def older_mysql(self, version: tuple[int, ...]) -> bool:
        """True when the server is known to be a MySQL older than `version`."""
        return not self.mariadb and self.version is not None and self.version < version

    def literal(self, value: str) -> str:
        # Backslash is an escape character in MySQL strings (unless NO_BACKSLASH_ESCAPES).
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"

    # -- types --------------------------------------------------------------------------------
    def render_type(self, canonical: str, column: Column | None, schema: Schema) -> str:
        base = canonical.split("(")[0]
        if column is not None and identity_of(column) and not is_integer_type(canonical):
            raise DialectError(
                f"AUTO_INCREMENT column {column.name} must be an integer, not {canonical}",
                "give the column an integer type, or drop identity and use a default",
            )
        if canonical.endswith("[]"):
            raise DialectError(
                f"{self.label} has no array types ({canonical})", "store the list as json"
            )
        if canonical.startswith(("enum(", "set(")):
            return base.upper() + canonical[len(base) :]
        enum = next((e for e in schema.enums if e.name.lower() == canonical), None)
        if enum is not None:
            return "ENUM(" + ", ".join(self.literal(v) for v in enum.values) + ")"
        if canonical in _TYPES:
            return _TYPES[canonical]
        if base == "numeric":
            return "DECIMAL" + canonical[len(base) :]
        if base in ("varchar", "char"):
            if "(" not in canonical:
                raise DialectError(
                    f"{self.label} needs a length for {canonical}", "give varchar(n), or use text"
                )
            return canonical.upper()
        if base == "interval":
            raise DialectError(
                f"{self.label} has no interval type", "store seconds in a bigint, or use text"
            )
        return canonical.upper()

    def cast_type(self, canonical: str, schema: Schema) -> str:
        base = canonical.split("(")[0]
        if canonical in _CASTS:
            return _CASTS[canonical]
        if base == "numeric":
            return "DECIMAL" + canonical[len(base) :]
        if base in ("varchar", "char") and "(" in canonical:
            return "CHAR" + canonical[len(base) :]
        return "CHAR"

    # -- defaults and columns -----------------------------------------------------------------
    def default_sql(self, column: Column, schema: Schema) -> str | None:
        if column.default is None or identity_of(column):
            return None
        tree = parse_default(column.default)
        kind = canonical_type(column.type)
        if tree is None:
            return column.default.strip()
        if is_now(tree):
            return "CURRENT_TIMESTAMP(6)" if kind in _TIME_TYPES else "(CURRENT_TIMESTAMP)"
        sql = self._translate(tree, schema).sql(dialect=self.sqlglot_name)
        if is_literal(tree) and kind not in _LOB_TYPES:
            return sql
        if self.older_mysql((8, 0, 13)):
            what = f"a {kind} column" if kind in _LOB_TYPES else "an expression"
            raise DialectError(
                f"MySQL before 8.0.13 cannot give {what} a default ({column.name})",
                "set the value in a backfill instead, or upgrade to MySQL 8.0.13+",
            )
        return f"({sql})"

    def column_definition(self, column: Column, table: Table, schema: Schema) -> str:
        parts = [self.quote(column.name), self.column_type(column, schema)]
        if not column.nullable:
            parts.append("NOT NULL")
        default = self.default_sql(column, schema)
        if default is not None:
            parts.append(f"DEFAULT {default}")
        if identity_of(column):
            parts.append("AUTO_INCREMENT")
        if column.comment:
            parts.append(f"COMMENT {self.literal(column.comment)}")
        return " ".join(parts)

    def table_options(self, table: Table) -> str:
        return f" COMMENT={self.literal(table.comment)}" if table.comment else ""

    def foreign_key_clause(self, fk: ForeignKey, schema: Schema) -> str:
        if "SET DEFAULT" in (fk.on_delete, fk.on_update):
            raise DialectError(
                f"InnoDB rejects ON DELETE/UPDATE SET DEFAULT (foreign key {fk.name or ''})",
                "use SET NULL, CASCADE or RESTRICT",
            )
        return super().foreign_key_clause(fk, schema)

    def table_elements(self, table: Table, schema: Schema) -> list[str]:
        check_actions(table)
        check_shared_index(table)
        return super().table_elements(table, schema)

    # -- indexes ------------------------------------------------------------------------------
    def check_indexable(
        self, table: Table, columns: Iterable[str], schema: Schema, what: str
    ) -> None:
        for name in columns:
            if not table.has_column(name):
                continue
            kind = canonical_type(table.column(name).type)
            if kind in _LOB_TYPES:
                raise DialectError(
                    f"{self.label} cannot index {table.name}.{name} ({kind}) for {what.strip()}: "
                    "TEXT, BLOB and JSON need a prefix length",
                    "make the column varchar(n), or index a prefix with --sql",
                )

    def create_index_sql(
        self, table: str, index: Index, schema: Schema, concurrently: bool = False
    ) -> str:
        if index.where:
            raise DialectError(
                f"{self.label} has no partial indexes ({index.name} WHERE {index.where})",
                "drop the WHERE clause, or index a generated column",
            )
        if index.using and index.using.lower() != "btree":
            raise DialectError(f"InnoDB has no {index.using} indexes ({index.name})", "drop USING")
        if index.is_expression and self.mariadb:
            raise DialectError(
                f"MariaDB cannot index an expression ({index.name})",
                "add a generated column for the expression and index that",
            )
        sql = super().create_index_sql(table, replace(index, where=None), schema)
        return sql + (" LOCK=NONE" if concurrently else "")

    def comparable(self, schema: Schema) -> Schema:
        """Types as MySQL stores them, enum types inlined, uniques as unique indexes,
        RESTRICT as NO ACTION (InnoDB checks both at once), no index methods, and without the
        `json_valid` check MariaDB adds to JSON columns by itself."""
        folded = super().comparable(schema)
        return Schema(tuple(comparable_keys(t) for t in folded.tables), ())


# ---------------------------------------------------------------------------------------------
# Render functions
# ---------------------------------------------------------------------------------------------


def _rename_table(
    d: MySQLDialect, op: o.RenameTable, before: Schema, after: Schema
) -> list[Statement]:
    return [stmt(f"RENAME TABLE {d.quote(op.old)} TO {d.quote(op.new)}")]


def _alter_column(
    d: MySQLDialect, op: o.AlterColumn, before: Schema, after: Schema
) -> list[Statement]:
    table = after.table(op.table)
    new = table.column(op.column)
    old = before.table(op.table).column(op.column)
    if op.type is not None and d.column_type(old, before) != d.column_type(new, after):
        partners = foreign_key_partners(after, op.table, op.column)
        if partners:
            fk, other = partners[0]
            raise DialectError(
                f"{d.label} cannot change the type of {op.table}.{op.column}: foreign key "
                f"{fk.name or ''} ties it to {other} (errors 1832/1833)",
                "drop the foreign key, change the types on both sides, then add it again",
            )
    if op.type is not None and canonical_type(new.type) in _LOB_TYPES:
        old_table = before.table(op.table)
        keyed = any(op.column in k for k in keys(old_table)) or any(
            op.column in fk.columns for fk in old_table.foreign_keys
        )
        if keyed:
            d.check_indexable(table, (op.column,), after, f"the keys on {op.column}")
    note = "MySQL converts the values itself; USING is not used" if op.using else None
    definition = d.column_definition(new, table, after)
    return [stmt(f"ALTER TABLE {d.quote(op.table)} MODIFY COLUMN {definition}", note=note)]


def _rename_column(
    d: MySQLDialect, op: o.RenameColumn, before: Schema, after: Schema
) -> list[Statement]:
    if d.older_mysql((8, 0)):
        table = after.table(op.table)
        definition = d.column_definition(table.column(op.new), table, after)
        return [
            stmt(f"ALTER TABLE {d.quote(op.table)} CHANGE COLUMN {d.quote(op.old)} {definition}")
        ]
    return [
        stmt(
            f"ALTER TABLE {d.quote(op.table)} RENAME COLUMN {d.quote(op.old)} TO {d.quote(op.new)}"
        )
    ]


def _drop_index(d: MySQLDialect, op: o.DropIndex, before: Schema, after: Schema) -> list[Statement]:
    lock = " LOCK=NONE" if op.concurrently else ""
    return drop_key(d, before.table(op.table), op.name, after, lock)


def _drop_constraint(
    d: MySQLDialect, op: o.DropConstraint, before: Schema, after: Schema
) -> list[Statement]:
    table = before.table(op.table)
    item = op.find(table)
    alter = f"ALTER TABLE {d.quote(op.table)}"
    if isinstance(item, ForeignKey):
        return drop_foreign_key(d, table, item)
    if isinstance(item, CheckConstraint):
        keyword = "CHECK" if d.older_mysql((8, 0, 19)) else "CONSTRAINT"
        return [stmt(f"{alter} DROP {keyword} {d.quote(op.name)}")]
    return drop_key(d, table, op.name, after)


def _add_check(d: MySQLDialect, op: o.AddCheck, before: Schema, after: Schema) -> list[Statement]:
    check_actions(after.table(op.table))
    return render_add_check(d, op, before, after)


def _add_foreign_key(
    d: MySQLDialect, op: o.AddForeignKey, before: Schema, after: Schema
) -> list[Statement]:
    table = after.table(op.table)
    check_actions(table)
    check_shared_index(table)
    d.check_indexable(table, op.foreign_key.columns, after, f"foreign key {op.foreign_key.name}")
    return render_add_foreign_key(d, op, before, after)


def _nothing(d: MySQLDialect, op: o.Operation, before: Schema, after: Schema) -> list[Statement]:
    """Enum types live inside the columns that use them: nothing to create or drop."""
    return []


def _add_enum_value(
    d: MySQLDialect, op: o.AddEnumValue, before: Schema, after: Schema
) -> list[Statement]:
    out = []
    for table in after.tables:
        for column in table.columns:
            if canonical_type(column.type) == op.name.lower():
                definition = d.column_definition(column, table, after)
                out.append(
                    stmt(
                        f"ALTER TABLE {d.quote(table.name)} MODIFY COLUMN {definition}",
                        note=f"{d.server} has no enum types: the column's ENUM list gets the value",
                    )
                )
    return out


RENDERERS: dict[type[o.Operation], Renderer] = {
    **COMMON,
    o.RenameTable: _rename_table,
    o.AddCheck: _add_check,
    o.AddForeignKey: _add_foreign_key,
    o.AlterColumn: _alter_column,
    o.RenameColumn: _rename_column,
    o.DropIndex: _drop_index,
    o.DropConstraint: _drop_constraint,
    o.CreateEnum: _nothing,
    o.DropEnum: _nothing,
    o.AddEnumValue: _add_enum_value,
}

DIALECT = MySQLDialect(renderers=RENDERERS)
MARIADB = MySQLDialect(renderers=RENDERERS, mariadb=True)
