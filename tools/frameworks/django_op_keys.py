"""Indexes, constraints and data as Django operations: AddIndex, RemoveIndex, AddConstraint,
RemoveConstraint, RunPython, RunSQL, or SQL with the same state (django_ops.py)."""

from __future__ import annotations

import importlib.metadata
from typing import Any

from .. import ops as o
from ..schema import Index, Schema, is_identifier
from . import django_python  # noqa: F401  (registers the PythonTransform translator)
from .django_fields import field_for, field_name, q_for
from .django_ops import (
    MAX_INDEX_NAME,
    TRANSLATORS,
    DjOp,
    Translation,
    model_or_sql,
    native,
    remember,
    run_sql,
    translate_one,
)
from .django_project import RELATIONS, Model
from .pycode import Call, Code, call, exploded, py


def check_keyword() -> str:
    """`condition=` from Django 5.1 (where `check=` is deprecated), `check=` before."""
    try:
        version = tuple(int(p) for p in importlib.metadata.version("django").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return "condition"
    return "condition" if version >= (5, 1) else "check"


def index_code(index: Index, model: Model | None, tx: Translation) -> Call | None:
    """models.Index(...) that Django turns into exactly this index, or None."""
    if len(index.name) > MAX_INDEX_NAME or index.using or model is None:
        return None
    kwargs: dict[str, Code] = {}
    if all(is_identifier(c) for c in index.columns):
        names = [model.field_for(c) for c in index.columns]
        if any(n is None for n in names):
            return None
        kwargs["fields"] = py([n.attr for n in names if n is not None])
        args: tuple[Code, ...] = ()
    else:
        return None
    if index.where:
        q = q_for(index.where, model)
        if q is None:
            return None
        kwargs["condition"] = q
    kwargs["name"] = py(index.name)
    return Call("models.Index", args, tuple(kwargs.items()))


def unique_code(columns: tuple[str, ...], name: str, model: Model | None) -> Call:
    names = []
    for column in columns:
        found = model.field_for(column) if model is not None else None
        names.append(found.attr if found is not None else column)
    return call("models.UniqueConstraint", fields=py(names), name=py(name))


def _create_index(
    op: o.CreateIndex, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    spelled = None if op.index.unique else index_code(op.index, model, tx)
    if op.index.unique and op.index.where and len(op.index.name) <= MAX_INDEX_NAME:
        q = q_for(op.index.where, model)
        if q is not None and all(is_identifier(c) and model.field_for(c) for c in op.index.columns):
            constraint = unique_code(op.index.columns, op.index.name, model)
            constraint = call(
                constraint.func, *constraint.args, **dict(constraint.kwargs), condition=q
            )
            code = exploded(
                call(
                    "migrations.AddConstraint",
                    model_name=py(model.name.lower()),
                    constraint=constraint,
                )
            )
            remember(tx, op.table, constraint=op.index.name)
            return [DjOp(code, (code,), app=model.app)]
    if spelled is None:
        return run_sql(op, before, after, tx, why=f"Django's Index cannot express {op.index.name}")
    kind = "AddIndex"
    if op.concurrently and tx.dialect.name == "postgresql":
        kind = "AddIndexConcurrently"
        tx.atomic = False
        tx.imports.add(("django.contrib.postgres.operations", "AddIndexConcurrently"))
    func = kind if kind != "AddIndex" else "migrations.AddIndex"
    code = exploded(call(func, model_name=py(model.name.lower()), index=spelled))
    state = call("migrations.AddIndex", model_name=py(model.name.lower()), index=spelled)
    remember(tx, op.table, index=op.index.name)
    return [DjOp(code, (state,), app=model.app)]


def _drop_index(
    op: o.DropIndex, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    if op.name not in model.index_names:
        return run_sql(
            op, before, after, tx, why=f"{op.name} is not one of {model.name}'s Meta.indexes"
        )
    func = "migrations.RemoveIndex"
    if op.concurrently and tx.dialect.name == "postgresql":
        func = "RemoveIndexConcurrently"
        tx.atomic = False
        tx.imports.add(("django.contrib.postgres.operations", "RemoveIndexConcurrently"))
    code = exploded(call(func, model_name=py(model.name.lower()), name=py(op.name)))
    state = call("migrations.RemoveIndex", model_name=py(model.name.lower()), name=py(op.name))
    return [DjOp(code, (state,), app=model.app)]


def _add_foreign_key(
    op: o.AddForeignKey, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    fk = op.foreign_key
    found = model.field_for(fk.columns[0]) if len(fk.columns) == 1 else None
    table = after.table(op.table)
    spelled = (
        field_for(table.column(fk.columns[0]), table, after, tx.dialect, tx.project, fk)
        if found
        else None
    )
    why = "Django names foreign keys itself and writes no ON DELETE: the key is SQL"
    if found is None or spelled is None or found.call is None or found.kind in RELATIONS:
        return run_sql(op, before, after, tx, why=why)
    attr = field_name(fk.columns[0], fk)
    name = py(model.name.lower())
    state = (
        call("migrations.RemoveField", model_name=name, name=py(found.attr)),
        call("migrations.AddField", model_name=name, name=py(attr), field=tx.use(spelled)),
    )
    return run_sql(op, before, after, tx, state, why)


def _add_unique(
    op: o.AddUnique, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    if not op.unique.name or any(model.field_for(c) is None for c in op.unique.columns):
        return run_sql(op, before, after, tx, why="Django needs named constraints on fields")
    constraint = unique_code(op.unique.columns, op.unique.name, model)
    code = exploded(
        call("migrations.AddConstraint", model_name=py(model.name.lower()), constraint=constraint)
    )
    out = native(op, before, after, tx, code, model, remakes=True)
    remember(tx, op.table, constraint=op.unique.name or "")
    return out


def _add_check(
    op: o.AddCheck, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    q = q_for(op.check.expression, model)
    if q is None or not op.check.name:
        return run_sql(op, before, after, tx, why="Django's Q cannot express this check")
    constraint = call("models.CheckConstraint", **{check_keyword(): q, "name": py(op.check.name)})
    code = exploded(
        call("migrations.AddConstraint", model_name=py(model.name.lower()), constraint=constraint)
    )
    out = native(op, before, after, tx, code, model, remakes=True)
    remember(tx, op.table, constraint=op.check.name or "")
    return out


def _drop_constraint(
    op: o.DropConstraint, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    if op.name not in model.constraint_names:
        return run_sql(
            op, before, after, tx, why=f"{op.name} is not one of {model.name}'s Meta.constraints"
        )
    code = exploded(
        call("migrations.RemoveConstraint", model_name=py(model.name.lower()), name=py(op.name))
    )
    return native(op, before, after, tx, code, model, remakes=True)


def _backfill(
    op: o.Backfill, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    from .django_portable import backfill_function

    if op.batch_size:
        return _batched_backfill(op, before, after, tx)
    model = tx.model(op.table)
    forward = backfill_function(op, model, tx, op.expression, op.where)
    if forward is None or model is None:
        return run_sql(op, before, after, tx, why="the backfill expression is SQL, not a value")
    reverse = op.reverse(before)
    back: str = "migrations.RunPython.noop"
    if isinstance(reverse, o.Backfill):
        function = backfill_function(
            reverse, model, tx, reverse.expression, reverse.where, suffix="_reverse"
        )
        if function is None:
            return run_sql(op, before, after, tx, why="the reverse backfill is SQL, not a value")
        back = function
    code = exploded(call("migrations.RunPython", forward, back))
    comments = () if isinstance(reverse, o.Backfill) else (f"{getattr(reverse, 'reason', '')}.",)
    return [DjOp(code, comments=comments)]


def _batched_backfill(op: o.Backfill, before: Schema, after: Schema, tx: Translation) -> list[DjOp]:
    """RunPython with a loop of committed batches over raw SQL, so any expression works."""
    from .django_portable import batched_backfill_function

    forward = batched_backfill_function(op, after, tx)
    reverse = op.reverse(before)
    back = "migrations.RunPython.noop"
    if isinstance(reverse, o.Backfill):
        back = batched_backfill_function(reverse, after, tx, suffix="_reverse")
    notes = () if isinstance(reverse, o.Backfill) else (f"{getattr(reverse, 'reason', '')}.",)
    return [DjOp(exploded(call("migrations.RunPython", forward, back)), comments=notes)]


def _raw_sql(
    op: o.RawSQL, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    state: list[Call] = []
    current = before
    for effect in op.effects:
        nxt = effect.apply(current)
        for translated in translate_one(effect, current, nxt, tx, op.effects, 0):
            state += translated.state
        current = nxt
    if not op.sql.strip():
        return []
    return run_sql(op, before, after, tx, tuple(state))


def _sql_only(
    op: o.Operation, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    why = None if isinstance(op, o.AddEnumValue) else "Django has no enum types"
    return run_sql(op, before, after, tx, why=why)


def _noop(
    op: o.NoOp, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    return []


TRANSLATORS.update(
    {
        o.CreateIndex: _create_index,
        o.DropIndex: _drop_index,
        o.AddForeignKey: _add_foreign_key,
        o.AddUnique: _add_unique,
        o.AddCheck: _add_check,
        o.DropConstraint: _drop_constraint,
        o.Backfill: _backfill,
        o.RawSQL: _raw_sql,
        o.CreateEnum: _sql_only,
        o.DropEnum: _sql_only,
        o.AddEnumValue: _sql_only,
        o.NoOp: _noop,
    }
)
