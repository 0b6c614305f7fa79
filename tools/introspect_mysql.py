"""MySQL and MariaDB introspection: what SQLAlchemy's inspector leaves out or adds.

- Columns come from `information_schema.COLUMNS`: `COLUMN_TYPE` is exact (`tinyint(1)` is a
  boolean, `enum('a','b')` keeps its values), `EXTRA` says AUTO_INCREMENT, and defaults are read
  as stored. MariaDB quotes string defaults and writes `NULL` for "no default"; MySQL 8 stores
  string defaults bare and marks expression defaults `DEFAULT_GENERATED`. Both become SQL text.
- CHECK constraints come from `information_schema.CHECK_CONSTRAINTS` (the inspector misses
  MariaDB's column-level checks). The `json_valid(col)` check MariaDB adds by itself to a JSON
  column is dropped, and the column's type (stored as longtext) is reported as json.
- The index MySQL creates by itself for a foreign key (named like the key, or like its first
  column when the key is unnamed; same columns) is not reported: the foreign key implies it.
  Indexes that are a unique constraint's own index are reported once, as the constraint.
- A temporal literal default loses the zero fraction `datetime(6)` pads it with.
- Charset introducers MySQL 8 writes into stored expressions (`_utf8mb4'x'`) are removed.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sqlalchemy import text

from .introspect import Reader
from .schema import CheckConstraint, Column, Index, canonical_type, normalize_expression

_COLUMNS = text(
    """
    SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLUMN_DEFAULT, IS_NULLABLE, EXTRA,
           COLUMN_COMMENT
    FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = :schema
    ORDER BY TABLE_NAME, ORDINAL_POSITION
    """
)

#: MariaDB keeps the table of a check in CHECK_CONSTRAINTS (names are unique per table only).
_CHECKS_MARIADB = text(
    """
    SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
    FROM information_schema.CHECK_CONSTRAINTS
    WHERE CONSTRAINT_SCHEMA = :schema
    ORDER BY TABLE_NAME, CONSTRAINT_NAME
    """
)

#: MySQL 8 names checks uniquely per schema; the table is in TABLE_CONSTRAINTS.
_CHECKS_MYSQL = text(
    """
    SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
    FROM information_schema.CHECK_CONSTRAINTS cc
    JOIN information_schema.TABLE_CONSTRAINTS tc
      ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA
     AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME
     AND tc.CONSTRAINT_TYPE = 'CHECK'
    WHERE cc.CONSTRAINT_SCHEMA = :schema
    ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME
    """
)

_INTRODUCER = re.compile(r"_(?:utf8mb4|utf8mb3|utf8|latin1|binary|ascii)'", re.IGNORECASE)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_ZERO_FRACTION = re.compile(r"\.0+'$")
_NUMERIC_KINDS = ("integer", "bigint", "smallint", "boolean", "double", "real", "numeric")


class MySQLReader(Reader):
    dialect: ClassVar[str] = "mysql"

    @property
    def mariadb(self) -> bool:
        return bool(getattr(self.conn.dialect, "is_mariadb", False))

    def prepare(self, names: list[str]) -> None:
        wanted = set(names)
        self._rows: dict[str, list[tuple[Any, ...]]] = {}
        for row in self.conn.execute(_COLUMNS, {"schema": self.schema}):
            if row[0] in wanted:
                self._rows.setdefault(row[0], []).append(tuple(row))
        query = _CHECKS_MARIADB if self.mariadb else _CHECKS_MYSQL
        self._checks: dict[str, list[CheckConstraint]] = {}
        for table, name, clause in self.conn.execute(query, {"schema": self.schema}):
            if table in wanted:
                self._checks.setdefault(table, []).append(
                    CheckConstraint(name, _strip_introducers(clause))
                )

    def columns(
        self, table: str, reflected: list[Any], primary_key: tuple[str, ...]
    ) -> list[Column]:
        json_columns = {
            c.name for c in self._checks.get(table, []) if _json_valid_column(c) is not None
        }
        result = []
        for _table, name, column_type, default, is_nullable, extra, comment in self._rows.get(
            table, []
        ):
            kind = canonical_type(column_type)
            if name in json_columns and kind == "text":
                kind = "json"  # MariaDB's JSON is longtext plus an implicit json_valid check
            identity = "auto_increment" in (extra or "").lower()
            result.append(
                Column(
                    name=name,
                    type=kind,
                    nullable=is_nullable == "YES",
                    default=None if identity else self._default(default, extra or "", kind),
                    identity=identity,
                    comment=comment or None,
                )
            )
        return result

    def _default(self, stored: str | None, extra: str, kind: str) -> str | None:
        """The default as SQL expression text, whichever way the server stored it."""
        text_ = self._stored_default(stored, extra, kind)
        if text_ is not None and kind in ("timestamp", "timestamptz", "time"):
            # datetime(6) pads a literal to its precision: '2024-01-01 00:00:00.000000'.
            text_ = _ZERO_FRACTION.sub("'", text_)
        return text_

    def _stored_default(self, stored: str | None, extra: str, kind: str) -> str | None:
        if stored is None:
            return None
        if self.mariadb:
            # MariaDB >= 10.2.7: literals are quoted, expressions bare, NULL is the word NULL.
            return None if stored == "NULL" else _strip_introducers(stored)
        if "default_generated" in extra.lower():
            return _strip_introducers(stored)  # an expression: CURRENT_TIMESTAMP, (uuid())
        if kind.startswith(_NUMERIC_KINDS) and _NUMBER.fullmatch(stored):
            return stored
        return "'" + stored.replace("'", "''") + "'"

    def indexes(self, table: str, uniques: list[Any], fks: list[Any]) -> list[Index]:
        own = {u.get("duplicates_index") or u.get("name") for u in uniques}
        implicit = {
            (name, tuple(fk["constrained_columns"]))
            for fk in fks
            for name in (fk.get("name"), fk["constrained_columns"][0])
        }
        result = []
        for i in self.insp.get_indexes(table, schema=self.schema_name):
            columns = tuple(str(c) for c in i.get("expressions") or i["column_names"])
            if i["name"] in own and i["unique"]:
                continue
            if not i["unique"] and (i["name"], columns) in implicit:
                continue
            prefix = (i.get("dialect_options") or {}).get("mysql_prefix")
            result.append(
                Index(
                    name=str(i["name"]),
                    columns=columns,
                    unique=bool(i["unique"]),
                    using=prefix.lower() if prefix else None,
                )
            )
        return result

    def multi_checks(self, names: list[str]) -> dict[str, list[CheckConstraint]]:
        return self._checks

    def checks(
        self, table: str, columns: list[Column], found: list[CheckConstraint]
    ) -> list[CheckConstraint]:
        json_columns = {c.name for c in columns if c.type == "json"}
        return [c for c in found if _json_valid_column(c) not in json_columns]


def _json_valid_column(check: CheckConstraint) -> str | None:
    """The column of a check MariaDB adds to JSON columns (`json_valid(col)`, named after it)."""
    if normalize_expression(check.expression) == f"json_valid({check.name})".lower():
        return check.name
    return None


def _strip_introducers(text_: str) -> str:
    return _INTRODUCER.sub("'", text_)
