"""SQLite introspection: declared types, rowid aliases and the indexes the inspector skips.

- Column types are the declared ones (`PRAGMA table_info`), canonicalised; a column declared
  without a type has BLOB affinity and is reported as blob.
- A single-column primary key declared exactly `INTEGER` is an alias of the rowid in a rowid
  table: SQLite numbers it by itself, so it is `identity=True` (and never NULL).
- Indexes are read from `sqlite_master.sql`, cut up with sqlglot's tokenizer: SQLAlchemy skips
  expression indexes with a warning and hands partial predicates over as opaque text. Only
  indexes made by CREATE INDEX count (`PRAGMA index_list` origin `c`); the automatic ones
  behind UNIQUE and PRIMARY KEY belong to those constraints.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, ClassVar

import sqlglot
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token, TokenType

from .errors import IntrospectionError
from .introspect import Reader
from .schema import Column, ForeignKey, Index, canonical_type, normalize_action

_SQLITE = Dialect.get_or_raise("sqlite")
_OPEN, _CLOSE = TokenType.L_PAREN, TokenType.R_PAREN
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", re.IGNORECASE)


class SQLiteReader(Reader):
    dialect: ClassVar[str] = "sqlite"

    def prepare(self, names: list[str]) -> None:
        prefix = f'"{self.schema_name}".' if self.schema_name else ""
        master = f"{prefix}sqlite_master"
        self._sql: dict[tuple[str, str], str | None] = {
            (kind, name): sql
            for kind, name, sql in self.conn.exec_driver_sql(
                f"SELECT type, name, sql FROM {master} WHERE type IN ('table', 'index')"
            )
        }
        self._declared: dict[str, dict[str, str]] = {}
        self._index_names: dict[str, list[tuple[str, bool]]] = {}
        #: table -> (key id, referenced table) -> (columns, (on delete, on update))
        self._actions: dict[
            str, dict[tuple[int, str], tuple[tuple[str, ...], tuple[str, str]]]
        ] = {}
        for table in names:
            quoted = _quote(table)
            self._declared[table] = {
                row[1]: row[2] or ""
                for row in self.conn.exec_driver_sql(f"PRAGMA {prefix}table_info({quoted})")
            }
            # foreign_key_list rows: id, seq, table, from, to, on_update, on_delete, match
            self._actions[table] = {}
            for row in self.conn.exec_driver_sql(f"PRAGMA {prefix}foreign_key_list({quoted})"):
                key = (row[0], row[2].lower())
                cols, _old = self._actions[table].get(key, ((), ("", "")))
                self._actions[table][key] = ((*cols, row[3]), (row[6], row[5]))
            # index_list rows: seq, name, unique, origin, partial
            self._index_names[table] = [
                (row[1], bool(row[2]))
                for row in self.conn.exec_driver_sql(f"PRAGMA {prefix}index_list({quoted})")
                if row[3] == "c"
            ]

    def columns(
        self, table: str, reflected: list[Any], primary_key: tuple[str, ...]
    ) -> list[Column]:
        declared = self._declared.get(table, {})
        create_sql = self._sql.get(("table", table)) or ""
        rowid = len(primary_key) == 1 and not _WITHOUT_ROWID.search(create_sql)
        result = []
        for c in reflected:
            type_text = declared.get(c["name"], "")
            identity = rowid and c["name"] == primary_key[0] and type_text.upper() == "INTEGER"
            result.append(
                Column(
                    name=c["name"],
                    type=canonical_type(type_text) if type_text.strip() else "blob",
                    nullable=bool(c["nullable"]) and not identity,
                    default=None if identity else c.get("default"),
                    identity=identity,
                )
            )
        return result

    def indexes(self, table: str, uniques: list[Any], fks: list[Any]) -> list[Index]:
        result = []
        for name, unique in self._index_names.get(table, []):
            sql = self._sql.get(("index", name))
            if sql is None:
                continue
            result.append(_parse_index(name, sql, unique))
        return sorted(result, key=lambda i: i.name)

    def foreign_keys(self, table: str, reflected: list[Any]) -> list[ForeignKey]:
        """The inspector's keys with their actions from PRAGMA foreign_key_list: the inspector
        drops ON DELETE / ON UPDATE of a column's inline REFERENCES clause."""
        actions = {
            (cols, ref): pair for (_id, ref), (cols, pair) in self._actions.get(table, {}).items()
        }
        result = []
        for fk in super().foreign_keys(table, reflected):
            pair = actions.get((fk.columns, fk.ref_table.lower()))
            if pair is not None:
                fk = replace(
                    fk, on_delete=normalize_action(pair[0]), on_update=normalize_action(pair[1])
                )
            result.append(fk)
        return result

    def multi_comments(self, names: list[str]) -> dict[str, str | None]:
        return {}  # SQLite has no comments


def _parse_index(name: str, sql: str, unique: bool) -> Index:
    """An Index from its CREATE INDEX statement: plain columns, expressions and WHERE.

    Elements and predicate are cut out of the statement as written (sqlglot's tokenizer finds
    the boundaries), not regenerated, so `id IS NOT NULL` stays that and is not reprinted as
    `NOT id IS NULL`. A sort direction is dropped: the model has none.
    """
    try:
        tokens = _SQLITE.tokenize(sql)
    except sqlglot.errors.TokenError as exc:
        raise IntrospectionError(
            f"cannot read index {name}: {exc}",
            "report this CREATE INDEX statement as a migwright bug",
        ) from exc
    on = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.ON), None)
    opening = next(
        (i for i, t in enumerate(tokens) if on is not None and i > on and t.token_type == _OPEN),
        None,
    )
    if opening is None:
        raise IntrospectionError(
            f"cannot read index {name} from: {sql}",
            "report this CREATE INDEX statement as a migwright bug",
        )
    elements: list[list[Token]] = [[]]
    depth, position = 0, opening + 1
    for position in range(opening + 1, len(tokens)):
        token = tokens[position]
        if token.token_type == _OPEN:
            depth += 1
        elif token.token_type == _CLOSE:
            if depth == 0:
                break
            depth -= 1
        elif token.token_type == TokenType.COMMA and depth == 0:
            elements.append([])
            continue
        elements[-1].append(token)
    columns = tuple(_element(sql, e) for e in elements if e)
    rest = tokens[position + 1 :]
    where = None
    if rest and rest[0].token_type == TokenType.WHERE and len(rest) > 1:
        where = sql[rest[1].start :].strip().rstrip(";").strip()
    return Index(name=name, columns=columns, unique=unique, where=where)


def _element(sql: str, tokens: list[Token]) -> str:
    while len(tokens) > 1 and tokens[-1].token_type in (TokenType.ASC, TokenType.DESC):
        tokens = tokens[:-1]
    if len(tokens) == 1 and tokens[0].token_type in (TokenType.VAR, TokenType.IDENTIFIER):
        return tokens[0].text  # a column name, unquoted
    return sql[tokens[0].start : tokens[-1].end + 1]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
