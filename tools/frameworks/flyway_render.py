"""Flyway: `V<next>__<desc>.sql` with its undo `U<next>__<desc>.sql`.

Flyway runs each migration in a transaction of its own and opens it itself, so the files hold
bare statements (no BEGIN/COMMIT). A migration with a statement that refuses a transaction
(CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE, SQLite's PRAGMA foreign_keys around a
table rebuild) beside others that can run in one gets Flyway's script configuration file,
`V<next>__<desc>.sql.conf` with `executeInTransaction=false`: Flyway refuses such a mix
otherwise (a migration of only such statements it runs outside a transaction by itself).
The undo file follows Flyway Teams' convention (same version, `U` prefix, or the configured
`undoSqlMigrationPrefix`); when the plan cannot be undone there is no undo file and the
versioned file says why in a comment.
"""

from __future__ import annotations

import posixpath
import textwrap

from .. import sql
from ..repo import RepoFacts
from .base import FrameworkConfig, History
from .render import File, MigrationPlan
from .sqlfiles_render import (
    comment,
    data_loss_comment,
    irreversible_reason,
    needs_own_transaction,
    sql_text,
)

#: The script configuration that lets Flyway run statements that refuse a transaction.
NO_TRANSACTION = "executeInTransaction=false\n"


def render(
    repo: RepoFacts, config: FrameworkConfig, history: History, plan: MigrationPlan
) -> list[File]:
    up = sql.render(plan.operations, plan.before, plan.dialect)
    undo_path = undo_name(plan.name, config)
    header: list[str] = []
    if plan.reverse.irreversible:
        header += comment(
            f"No undo migration ({posixpath.basename(undo_path)}): "
            f"{irreversible_reason(plan.reverse)}."
        )
    files = [File(plan.name, _join(header, sql_text(up, plan.dialect)))]
    if _mixed(up):
        files.append(File(plan.name + ".conf", _conf(up), kind="migration"))
    if plan.reverse.irreversible:
        return files
    down = sql.render(plan.reverse.operations, plan.after, plan.dialect)
    text = _join(data_loss_comment(plan.reverse), sql_text(down, plan.dialect))
    files.append(File(undo_path, text, kind="down"))
    if _mixed(down):
        files.append(File(undo_path + ".conf", _conf(down), kind="down"))
    return files


def undo_name(versioned: str, config: FrameworkConfig) -> str:
    """`sql/V1.12__Add_x.sql` -> `sql/U1.12__Add_x.sql` (with the configured prefixes)."""
    folder, base = posixpath.split(versioned)
    prefix = config.settings.get("sqlMigrationPrefix", "V")
    undo = config.settings.get("undoSqlMigrationPrefix", "U")
    name = undo + base[len(prefix) :] if base.startswith(prefix) else undo + base
    return posixpath.join(folder, name) if folder else name


def _mixed(statements: list[sql.Statement]) -> bool:
    """Both kinds of statement: Flyway runs a migration of only non-transactional ones
    outside a transaction by itself, but refuses a mix unless the script says so. Flyway
    judges by the text, so migwright's own one-transaction-each steps (a lock-retry DO block,
    VALIDATE CONSTRAINT) count as transactional to it."""
    from .flyway_runner import _NON_TRANSACTIONAL

    return needs_own_transaction(statements) and any(
        s.transactional or not _NON_TRANSACTIONAL.match(s.sql) for s in statements
    )


def _conf(statements: list[sql.Statement]) -> str:
    kinds = " and ".join(dict.fromkeys(_kind(s.sql) for s in statements if not s.transactional))
    why = (
        f"{kinds} cannot run inside a transaction and the other statements can: Flyway refuses "
        "such a mix unless told to run the whole migration without one."
    )
    lines = [
        "# Flyway script configuration for the migration of the same name:",
        *("# " + line for line in textwrap.wrap(why, 94)),
        NO_TRANSACTION.rstrip("\n"),
    ]
    return "\n".join(lines) + "\n"


def _kind(statement: str) -> str:
    """What kind of statement refuses a transaction, in a few words."""
    words = statement.split()
    upper = [w.upper() for w in words]
    if "CONCURRENTLY" in upper:
        return " ".join(upper[: upper.index("CONCURRENTLY") + 1])
    if upper[:2] == ["ALTER", "TYPE"]:
        return "ALTER TYPE ... ADD VALUE"
    if upper[:1] == ["PRAGMA"]:
        return "PRAGMA " + words[1].split("=")[0]
    return " ".join(words[:3])


def _join(comment_lines: list[str], body: str) -> str:
    return "\n".join(comment_lines) + ("\n" if comment_lines else "") + body
