"""PostgreSQL introspection: what SQLAlchemy's inspector leaves out or spells loosely.

- Column types come from `format_type()`, the catalog's own spelling (`character varying(20)[]`,
  an enum's name, `timestamp(3) with time zone`), not from a SQLAlchemy type object.
- Identity columns (`attidentity`) and serial columns (a `nextval(...)` default) are both
  `identity=True` with no default: they mean the same to a migration.
- Indexes come from `pg_index` directly: elements through `pg_get_indexdef(oid, k, true)` (a
  column name or an expression), partial predicates through `pg_get_expr(indpred, indrelid)`,
  the access method from `pg_am`. Indexes that back a primary key, unique or exclusion
  constraint are the constraint's business and are left out.
- Enum types of the schema, values in `enumsortorder`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import text

from .introspect import Reader
from .schema import Column, EnumType, ForeignKey, Index, canonical_type

_COLUMNS = text(
    """
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attidentity,
           a.attgenerated
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND a.attnum > 0
      AND NOT a.attisdropped
    """
)

_INDEXES = text(
    """
    SELECT t.relname, i.relname, ix.indisunique, am.amname,
           pg_get_expr(ix.indpred, ix.indrelid),
           ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
                 FROM generate_series(1, ix.indnkeyatts) AS k ORDER BY k)
    FROM pg_index ix
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = i.relam
    WHERE n.nspname = :schema AND NOT ix.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                      WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x'))
    ORDER BY t.relname, i.relname
    """
)

#: Where each foreign key points, schema included: the inspector leaves out a schema that is on
#: the search path, so a key from `billing.invoices` to `public.users` would look local.
_FK_TARGETS = text(
    """
    SELECT c.relname, con.conname, rn.nspname, r.relname
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class r ON r.oid = con.confrelid
    JOIN pg_namespace rn ON rn.oid = r.relnamespace
    WHERE con.contype = 'f' AND n.nspname = :schema
    """
)

_ENUMS = text(
    """
    SELECT t.typname, e.enumlabel
    FROM pg_type t
    JOIN pg_enum e ON e.enumtypid = t.oid
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = :schema
    ORDER BY t.typname, e.enumsortorder
    """
)


class PostgresReader(Reader):
    dialect: ClassVar[str] = "postgresql"

    def prepare(self, names: list[str]) -> None:
        wanted = set(names)
        params = {"schema": self.schema}
        #: (table, column) -> (format_type text, identity?, generated?)
        self._types: dict[tuple[str, str], tuple[str, bool, bool]] = {
            (table, column): (type_text, identity in ("a", "d"), bool(generated))
            for table, column, type_text, identity, generated in self.conn.execute(_COLUMNS, params)
            if table in wanted
        }
        self._indexes: dict[str, list[Index]] = {}
        for table, name, unique, method, predicate, elements in self.conn.execute(_INDEXES, params):
            if table in wanted:
                self._indexes.setdefault(table, []).append(
                    Index(
                        name=name,
                        columns=tuple(_element(e) for e in elements),
                        unique=bool(unique),
                        where=predicate,
                        using=None if method == "btree" else method,
                    )
                )
        self._fk_targets: dict[tuple[str, str], tuple[str, str]] = {
            (table, name): (ref_schema, ref_table)
            for table, name, ref_schema, ref_table in self.conn.execute(_FK_TARGETS, params)
        }

    def columns(
        self, table: str, reflected: list[Any], primary_key: tuple[str, ...]
    ) -> list[Column]:
        result = []
        for c in reflected:
            type_text, identity, _generated = self._types.get(
                (table, c["name"]), (c["type"].compile(dialect=self.conn.dialect), False, False)
            )
            default = c.get("default")
            if default is not None and default.lower().startswith("nextval("):
                identity, default = True, None  # serial: a sequence default is auto-numbering
            if identity:
                default = None
            result.append(
                Column(
                    name=c["name"],
                    type=canonical_type(type_text),
                    nullable=bool(c["nullable"]),
                    default=default,
                    identity=identity,
                    comment=c.get("comment") or None,
                )
            )
        return result

    def indexes(self, table: str, uniques: list[Any], fks: list[Any]) -> list[Index]:
        return list(self._indexes.get(table, []))

    def foreign_keys(self, table: str, reflected: list[Any]) -> list[ForeignKey]:
        located = []
        for fk in reflected:
            target = self._fk_targets.get((table, fk.get("name") or ""))
            if target is not None:
                fk = {**fk, "referred_schema": target[0], "referred_table": target[1]}
            located.append(fk)
        return super().foreign_keys(table, located)

    def enums(self) -> list[EnumType]:
        values: dict[str, list[str]] = {}
        for name, label in self.conn.execute(_ENUMS, {"schema": self.schema}):
            values.setdefault(name, []).append(label)
        return [EnumType(name, tuple(labels)) for name, labels in values.items()]


def _element(text_: str) -> str:
    """An index element as `Index.columns` holds it: a bare column name, or the expression.

    `pg_get_indexdef` quotes column names that need it (`"Email"`); a quoted name with nothing
    else in it is still a plain column.
    """
    if len(text_) > 2 and text_[0] == '"' and text_[-1] == '"' and '"' not in text_[1:-1]:
        return text_[1:-1]
    return text_
