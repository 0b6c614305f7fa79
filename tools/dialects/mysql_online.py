"""MySQL/MariaDB: the ALTER algorithm each operation can use without blocking writes.

Without an ALGORITHM clause the server silently falls back to COPY (the table is copied row
by row and writes wait) whenever it cannot do better. Stating the algorithm turns that into a
refusal (errors 1845/1846), so a migration never blocks writes by surprise:
- INSTANT: metadata only (ADD COLUMN, defaults; DROP COLUMN on MariaDB 10.4+ / MySQL 8.0.29+);
- INPLACE, LOCK=NONE: built or rebuilt in place while reads and writes go on (indexes,
  unique keys, NOT NULL, RENAME COLUMN, dropping keys);
- COPY, LOCK=SHARED: what remains (a type change, a foreign key added while
  foreign_key_checks is on, a CHECK): reads go on, writes wait, and the clause says so.
`tools/validate_mysql.py` checks these on the scratch server: a statement that states its
algorithm is run as written and the server's acceptance is recorded.
"""

from __future__ import annotations

import re

from .. import ops as o
from ..schema import CheckConstraint, ForeignKey, Schema, canonical_type
from .base import Dialect

INSTANT = "ALGORITHM=INSTANT"
ONLINE = "ALGORITHM=INPLACE, LOCK=NONE"
COPY = "ALGORITHM=COPY, LOCK=SHARED"

#: What each clause means for the application while the statement runs (the SQL's comment).
MEANING = {
    INSTANT: "ALGORITHM=INSTANT: metadata only, nothing waits",
    ONLINE: "ALGORITHM=INPLACE, LOCK=NONE: reads and writes go on",
    COPY: "ALGORITHM=COPY, LOCK=SHARED: the table is copied; reads go on, writes wait",
}

_ALTER = re.compile(r"^\s*ALTER\s+TABLE\b", re.IGNORECASE)
_CREATE_INDEX = re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\b", re.IGNORECASE)
_DROP_INDEX = re.compile(r"^\s*DROP\s+INDEX\s+(\S+)\s+ON\s+(\S+?)(\s+LOCK\s*=\s*\w+)?\s*$", re.I)
_LOCK = re.compile(r"\s+LOCK\s*=\s*\w+\s*$", re.IGNORECASE)
_ADDS_FK_OR_CHECK = re.compile(r"\bADD\b.*\b(FOREIGN\s+KEY|CHECK)\b", re.IGNORECASE | re.DOTALL)


def algorithm_for(op: o.Operation, before: Schema, d: Dialect) -> str | None:
    """The ALGORITHM/LOCK clause for `op`'s statements, or None when it has no ALTER."""
    if isinstance(op, o.AddColumn):
        if op.column.identity or (op.column.default and _expression_default(op.column.default)):
            return COPY
        return INSTANT
    if isinstance(op, o.DropColumn):
        instant = getattr(d, "mariadb", False) or (d.version or (0,)) >= (8, 0, 29)
        return INSTANT if instant else ONLINE
    if isinstance(op, o.RenameColumn):
        return ONLINE
    if isinstance(op, o.AlterColumn):
        old = before.table(op.table).column(op.column)
        if op.type is not None and canonical_type(op.type) != canonical_type(old.type):
            return COPY
        if op.nullable is not None and op.nullable != old.nullable:
            return ONLINE
        return INSTANT
    if isinstance(op, o.CreateIndex | o.DropIndex | o.AddUnique):
        return ONLINE
    if isinstance(op, o.AddForeignKey | o.AddCheck):
        return COPY
    if isinstance(op, o.DropConstraint):
        item = op.find(before.table(op.table))
        return (
            INSTANT
            if isinstance(item, CheckConstraint) and not isinstance(item, ForeignKey)
            else ONLINE
        )
    return None


def _expression_default(default: str) -> bool:
    text = default.strip()
    return not re.fullmatch(r"-?\d+(\.\d+)?|'([^']|'')*'|true|false|null", text, re.IGNORECASE)


def with_clause(sql: str, clause: str) -> str:
    """`sql` with the ALGORITHM/LOCK clause; statements other than ALTER TABLE, CREATE INDEX
    and DROP INDEX are returned as they are. A statement adding a foreign key or a check
    gets COPY whatever the operation, since that is all the server can do for it."""
    body = sql.strip().rstrip(";").rstrip()
    if _ADDS_FK_OR_CHECK.search(body):
        clause = COPY
    drop = _DROP_INDEX.match(body)
    if drop:  # MariaDB's DROP INDEX takes no options: the ALTER TABLE it means does
        body = f"ALTER TABLE {drop.group(2)} DROP INDEX {drop.group(1)}"
    if _ALTER.match(body):
        return f"{body}, {clause}"
    if _CREATE_INDEX.match(body):
        return f"{_LOCK.sub('', body)} {clause.replace(', ', ' ')}"
    return body
