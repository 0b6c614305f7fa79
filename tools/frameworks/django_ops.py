"""Operations as Django migration operations: the shared parts of the translators.

One small function per operation class (django_op_tables.py for tables and columns,
django_op_keys.py for indexes, constraints and data) returns `DjOp`s: the `migrations.*` call
for the file, the state it implies (what `makemigrations` will believe afterwards) and, where
they differ, the same state as the models file spells it. Native operations (AddField,
AlterField, RenameField, AddIndex, AddConstraint, CreateModel ...) are used when Django's DDL
is exactly the plan's on the target database;
otherwise the dialect's own SQL runs in `migrations.RunSQL(sql, reverse_sql,
state_operations=[...])`, with a comment saying why, so the database gets what migwright
validated and Django's state still follows the models.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .. import ops as o
from ..dialects import Dialect
from ..schema import Schema, Table, is_generated_name
from ..sql import Statement
from ..sql import render as render_sql
from .django_fields import Spelled
from .django_project import Model, Project
from .pycode import Call, Code, Seq, call, exploded, py

#: Django limits index names to 30 characters (system check models.E034).
MAX_INDEX_NAME = 30


@dataclass(frozen=True)
class DjOp:
    """One entry of `operations`, its state operations, and its models-file spelling."""

    code: Call | None
    state: tuple[Call, ...] = ()
    models: tuple[Call, ...] | None = None  #: None: the same as `state`
    comments: tuple[str, ...] = ()
    app: str = ""
    helpers: tuple[str, ...] = ()  #: module-level functions it calls (RunPython)
    atomic: bool = True

    @property
    def model_edits(self) -> tuple[Call, ...]:
        return self.state if self.models is None else self.models


@dataclass
class Translation:
    """Everything the file needs besides the operations themselves."""

    app: str
    project: Project
    dialect: Dialect
    imports: set[tuple[str, str]] = field(default_factory=set)
    helpers: list[str] = field(default_factory=list)
    settings: bool = False
    other_apps: set[str] = field(default_factory=set)
    atomic: bool = True
    consumed: set[int] = field(default_factory=set)  #: plan indexes merged into another
    #: Tables this plan changed behind Django's back (raw SQL, a rename): see `native`.
    tainted: set[str] = field(default_factory=set)

    def model(self, table: str) -> Model | None:
        return self.project.by_table(table)

    def use(self, spelled: Spelled) -> Call:
        self.imports |= spelled.imports
        self.settings |= spelled.settings
        target = dict(spelled.code.kwargs).get("to")
        if isinstance(target, str) and target.startswith('"'):
            app = target.strip('"').split(".")[0]
            if app != self.app:
                self.other_apps.add(app)
        return spelled.code


Translator = Callable[[Any, Schema, Schema, Translation, tuple[o.Operation, ...], int], list[DjOp]]


# ---------------------------------------------------------------------------------------------
# Raw SQL, the way out
# ---------------------------------------------------------------------------------------------


def run_sql(
    op: o.Operation,
    before: Schema,
    after: Schema,
    tx: Translation,
    state: tuple[Call, ...] = (),
    why: str | None = None,
    models: tuple[Call, ...] | None = None,
    extra: tuple[o.Operation, ...] = (),
) -> list[DjOp]:
    """migrations.RunSQL with the dialect's SQL for `op` (and `extra`), and the reverse."""
    ops = (op, *extra)
    tx.tainted.update(t for item in ops for t in item.tables)
    statements = _statements(render_sql(ops, before, tx.dialect), tx)
    if not statements:
        return [DjOp(None, state, models, (why,) if why else ())] if state else []
    if any(not s.transactional for s in statements):
        tx.atomic = False
    reverse = o.reverse_all(ops, before)
    kwargs: dict[str, Code] = {"sql": _sql_list([s.sql for s in statements])}
    comments = [why] if why else []
    if reverse.irreversible:
        comments += [f"No way back: {r.reason}." for _, r in reverse.irreversible]
    else:
        back = _statements(render_sql(reverse.operations, o.apply_all(ops, before), tx.dialect), tx)
        kwargs["reverse_sql"] = (
            _sql_list([s.sql for s in back]) if back else "migrations.RunSQL.noop"
        )
    if state:
        kwargs["state_operations"] = Seq(state)
    code = exploded(call("migrations.RunSQL", **kwargs))
    return [DjOp(code, state, models, tuple(comments))]


def native(
    op: o.Operation,
    before: Schema,
    after: Schema,
    tx: Translation,
    code: Call,
    model: Model,
    models: tuple[Call, ...] | None = None,
    remakes: bool = False,
) -> list[DjOp]:
    """The native operation, unless Django would rebuild a table that holds more than its
    model state says: on SQLite most changes rebuild the table from that state, which knows
    neither raw-SQL keys (named, with ON DELETE), raw-SQL indexes and types, nor that a renamed
    table's index names stay. Then the dialect's SQL runs, and the operation is kept as state."""
    table = op.tables[0] if op.tables else ""
    rebuilds = remakes and tx.dialect.name == "sqlite"
    if rebuilds and (table in tx.tainted or outside_state(before.table(table), model)):
        why = (
            f"on SQLite Django would rebuild {table} from its model state, which does not "
            "hold everything the table has (keys or indexes made in SQL)"
        )
        return run_sql(op, before, after, tx, (code,), why, models)
    return [DjOp(code, (code,), models, app=model.app)]


def outside_state(table: Table, model: Model) -> bool:
    """Whether `table` has something Django would not make again from its model state (when it
    rebuilds the table on SQLite, or recreates a deleted model on the way back): a foreign key
    with an action or a name Django does not give, an index or constraint that is neither in
    Meta nor named the way Django or the database names its own."""
    hashed = re.compile(r"_[0-9a-f]{8}(_like|_uniq|_fk_\w+)?$")

    def django_named(name: str | None) -> bool:
        return not name or bool(hashed.search(name)) or is_generated_name(name, table.name)

    if any(fk.on_delete or fk.on_update or not django_named(fk.name) for fk in table.foreign_keys):
        return True
    if any(i.name not in model.index_names and not django_named(i.name) for i in table.indexes):
        return True
    named = [c.name for c in table.checks if c.name] + [u.name for u in table.uniques if u.name]
    return any(n not in model.constraint_names and not django_named(n) for n in named)


def remember(tx: Translation, table: str, index: str = "", constraint: str = "") -> None:
    """Note a Meta index or constraint a native operation of this plan gave a model."""
    tx.project = replace(
        tx.project,
        models=tuple(
            replace(
                m,
                index_names=(*m.index_names, index) if index else m.index_names,
                constraint_names=(*m.constraint_names, constraint)
                if constraint
                else m.constraint_names,
            )
            if m.table == table
            else m
            for m in tx.project.models
        ),
    )


def _statements(statements: list[Statement], tx: Translation) -> list[Statement]:
    """Without SQLite's `PRAGMA foreign_keys` switches: Django's SQLite schema editor turns
    foreign keys off around every migration itself (and the pragma is a no-op inside the
    migration's transaction), so a table rebuild keeps the migration atomic."""
    if tx.dialect.name != "sqlite":
        return statements
    return [s for s in statements if not s.sql.upper().startswith("PRAGMA FOREIGN_KEYS")]


def _sql_list(statements: list[str]) -> Code:
    cleaned = [s.strip().rstrip(";") for s in statements]
    return py(cleaned[0]) if len(cleaned) == 1 else Seq(tuple(py(s) for s in cleaned))


def model_or_sql(
    table: str, op: o.Operation, before: Schema, after: Schema, tx: Translation
) -> Model | list[DjOp]:
    model = tx.model(table)
    if model is None:
        return run_sql(op, before, after, tx, why=f"{table} is not a model of this project")
    return model


#: Operation class -> translator; filled by django_op_tables and django_op_keys on import.
TRANSLATORS: dict[type[o.Operation], Translator] = {}


def translate_one(
    op: o.Operation,
    before: Schema,
    after: Schema,
    tx: Translation,
    plan: tuple[o.Operation, ...],
    i: int,
) -> list[DjOp]:
    """The Django operations for plan[i] (run_sql for a class nobody translates)."""
    from . import django_op_keys, django_op_tables  # noqa: F401  (they register themselves)

    translator = next((TRANSLATORS[c] for c in type(op).__mro__ if c in TRANSLATORS), None)
    if translator is None:
        return run_sql(op, before, after, tx)
    return translator(op, before, after, tx, plan, i)
