"""Tables and columns as Django operations: CreateModel, DeleteModel, AlterModelTable,
AddField, RemoveField, RenameField and AlterField, or SQL with the same state (django_ops.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .. import ops as o
from ..schema import ForeignKey, Schema, Table
from .django_fields import field_for, field_name, q_for
from .django_op_keys import check_keyword, index_code, unique_code
from .django_ops import (
    TRANSLATORS,
    DjOp,
    Translation,
    model_or_sql,
    native,
    outside_state,
    run_sql,
)
from .django_project import Field, Model, Project
from .pycode import Call, Code, Pair, Seq, call, exploded, py, string


def _create_table(
    op: o.CreateTable,
    before: Schema,
    after: Schema,
    tx: Translation,
    plan: tuple[o.Operation, ...],
    i: int,
) -> list[DjOp]:
    from .alembic_models import class_name

    t = op.table
    app = tx.project.app_of_table(t.name) or tx.app
    name = class_name(t.name.removeprefix(f"{app}_"), {m.name for m in tx.project.models})
    fields: list[Code] = []
    model_fields: list[Code] = []
    exact, whole = True, True
    fks = {fk.columns[0]: fk for fk in t.foreign_keys if len(fk.columns) == 1}
    for col in t.columns:
        spelled = field_for(col, t, after, tx.dialect, tx.project, fks.get(col.name))
        if spelled is None:
            whole = False
            break
        exact &= spelled.exact
        attr = field_name(col.name, fks.get(col.name))
        code = tx.use(spelled)
        if attr == "id" and code.func == f"models.{auto_field(tx, app)}" and col.identity:
            fields.append(Seq((py("id"), _implicit_id(code)), "tuple"))
            continue
        fields.append(Seq((py(attr), code), "tuple"))
        model_fields.append(Seq((py(attr), code), "tuple"))
    if len(t.primary_key) != 1 or len(fks) != len(t.foreign_keys):
        whole = False
    options, separate = _table_options(t, app, name, after, tx)
    exact &= not separate.get("checks")
    if not whole:
        return run_sql(op, before, after, tx, why="Django cannot describe this table")
    kwargs: dict[str, Code] = {"name": py(name), "fields": Seq(tuple(fields), explode=True)}
    if options:
        kwargs["options"] = _dict(options)
    create = exploded(call("migrations.CreateModel", **kwargs))
    model_kwargs = {**kwargs, "fields": Seq(tuple(model_fields))}
    models = (call("migrations.CreateModel", **model_kwargs),)
    tx.project = _with_model(tx.project, app, name, t, fks)
    if not exact:
        why = "Django names foreign keys itself and writes no ON DELETE: the table is SQL"
        return run_sql(op, before, after, tx, (create,), why, models)
    out = [DjOp(create, (create,), models)]
    state = after
    for index in separate.get("indexes", ()):
        index_op = o.CreateIndex(t.name, index)
        out += run_sql(index_op, state, state, tx, why=f"Django cannot express index {index.name}")
    return out


def auto_field(tx: Translation, app: str) -> str:
    return tx.project.auto_fields.get(app, "AutoField")


def _implicit_id(code: Call) -> Call:
    return call(
        code.func, auto_created="True", primary_key="True", serialize="False", verbose_name=py("ID")
    )


def _dict(items: dict[str, Code]) -> Seq:
    return Seq(tuple(Pair(string(k), v) for k, v in items.items()), "dict")


def _table_options(
    t: Table, app: str, name: str, schema: Schema, tx: Translation
) -> tuple[dict[str, Code], dict[str, list[Any]]]:
    options: dict[str, Code] = {}
    separate: dict[str, list[Any]] = {}
    if t.name != f"{app}_{name.lower()}":
        options["db_table"] = py(t.name)
    model = _synthetic(app, name, t, {fk.columns[0]: fk for fk in t.foreign_keys})
    indexes = []
    for index in t.indexes:
        spelled = index_code(index, model, tx)
        if spelled is None or index.unique:
            separate.setdefault("indexes", []).append(index)
        else:
            indexes.append(spelled)
    constraints: list[Code] = []
    for u in t.uniques:
        constraints.append(unique_code(u.columns, u.name or "", model))
    for ck in t.checks:
        q = q_for(ck.expression, model)
        if q is None or not ck.name:
            separate.setdefault("checks", []).append(ck)
        else:
            constraints.append(
                call("models.CheckConstraint", **{check_keyword(): q, "name": py(ck.name)})
            )
    if indexes:
        options["indexes"] = Seq(tuple(indexes))
    if constraints:
        options["constraints"] = Seq(tuple(constraints))
    return options, separate


def _synthetic(app: str, name: str, t: Table, fks: dict[str, ForeignKey]) -> Model:
    fields = tuple(
        Field(
            field_name(c.name, fks.get(c.name)),
            c.name,
            "ForeignKey" if c.name in fks else "Field",
            None,
            None,
        )
        for c in t.columns
    )
    return Model(app, name, t.name, "", fields, (), ())


def _with_model(
    project: Project, app: str, name: str, t: Table, fks: dict[str, ForeignKey]
) -> Project:
    model = replace(
        _synthetic(app, name, t, fks),
        index_names=tuple(i.name for i in t.indexes),
        constraint_names=tuple(
            [u.name for u in t.uniques if u.name] + [c.name for c in t.checks if c.name]
        ),
    )
    return replace(project, models=(*project.models, model))


def _drop_table(
    op: o.DropTable, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.name, op, before, after, tx)
    if isinstance(model, list):
        return model
    code = exploded(call("migrations.DeleteModel", name=py(model.name)))
    if outside_state(before.table(op.name), model):
        why = (
            f"unapplying DeleteModel would build {op.name} again from Django's model state, "
            "which does not hold everything the table has (keys or indexes made in SQL)"
        )
        return run_sql(op, before, after, tx, (code,), why)
    return [DjOp(code, (code,), app=model.app)]


def _rename_table(
    op: o.RenameTable, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.old, op, before, after, tx)
    if isinstance(model, list):
        return model
    code = exploded(
        call("migrations.AlterModelTable", name=py(model.name.lower()), table=py(op.new))
    )
    tx.project = replace(
        tx.project,
        models=tuple(replace(m, table=op.new) if m is model else m for m in tx.project.models),
    )
    tx.tainted.add(op.new)
    return [DjOp(code, (code,), app=model.app)]


def _add_column(
    op: o.AddColumn,
    before: Schema,
    after: Schema,
    tx: Translation,
    plan: tuple[o.Operation, ...],
    i: int,
) -> list[DjOp]:
    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    fk_index = next(
        (
            j
            for j, later in enumerate(plan)
            if j == i + 1
            and isinstance(later, o.AddForeignKey)
            and later.table == op.table
            and later.foreign_key.columns == (op.column.name,)
        ),
        None,
    )
    fk_op = plan[fk_index] if fk_index is not None else None
    fk = fk_op.foreign_key if isinstance(fk_op, o.AddForeignKey) else None
    table = after.table(op.table)
    spelled = field_for(op.column, table, after, tx.dialect, tx.project, fk)
    if spelled is None:
        return run_sql(
            op, before, after, tx, why=f"no Django field makes a {op.column.type} column"
        )
    attr = field_name(op.column.name, fk)
    code = exploded(
        call(
            "migrations.AddField",
            model_name=py(model.name.lower()),
            name=py(attr),
            field=tx.use(spelled),
        )
    )
    _add_field(tx, model, Field(attr, op.column.name, "ForeignKey" if fk else "Field", None, None))
    if spelled.exact:
        remakes = not op.column.nullable or op.column.default is not None
        return native(op, before, after, tx, code, model, remakes=remakes)
    extra: tuple[o.Operation, ...] = ()
    if fk_op is not None and fk_index is not None:
        tx.consumed.add(fk_index)
        extra = (fk_op,)
    why = (
        "Django names foreign keys itself and writes no ON DELETE: the column is SQL"
        if fk
        else f"Django's DDL for this field is not the planned {op.column.type} column"
    )
    return run_sql(op, before, after, tx, (code,), why, extra=extra)


def _add_field(tx: Translation, model: Model, new: Field) -> None:
    tx.project = replace(
        tx.project,
        models=tuple(
            replace(m, fields=(*m.fields, new)) if m.table == model.table else m
            for m in tx.project.models
        ),
    )


def _drop_column(
    op: o.DropColumn, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    found = model.field_for(op.column)
    if found is None or found.call is None:
        return run_sql(op, before, after, tx, why=f"no field of {model.name} holds {op.column}")
    code = exploded(
        call("migrations.RemoveField", model_name=py(model.name.lower()), name=py(found.attr))
    )
    return native(op, before, after, tx, code, model, remakes=True)


def _rename_column(
    op: o.RenameColumn, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    found = model.field_for(op.old)
    relation = found is not None and found.kind in ("ForeignKey", "OneToOneField")
    expected = (
        f"{found.attr}_id" if found is not None and relation else (found.attr if found else "")
    )
    new_attr = op.new[:-3] if relation and op.new.endswith("_id") else op.new
    if (
        found is None
        or found.call is None
        or expected != op.old
        or (relation and not op.new.endswith("_id"))
    ):
        return run_sql(
            op, before, after, tx, why=f"the field for {op.old} does not follow its column name"
        )
    code = exploded(
        call(
            "migrations.RenameField",
            model_name=py(model.name.lower()),
            old_name=py(found.attr),
            new_name=py(new_attr),
        )
    )
    tx.project = replace(
        tx.project,
        models=tuple(
            replace(
                m,
                fields=tuple(
                    replace(f, attr=new_attr, column=op.new) if f is found else f for f in m.fields
                ),
            )
            if m is model
            else m
            for m in tx.project.models
        ),
    )
    return [DjOp(code, (code,), app=model.app)]


def _alter_column(
    op: o.AlterColumn, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    from .django_portable import altered_field

    model = model_or_sql(op.table, op, before, after, tx)
    if isinstance(model, list):
        return model
    found = model.field_for(op.column)
    new_col = after.table(op.table).column(op.column)
    result = altered_field(found, new_col, after.table(op.table), after, tx, op)
    if result is None:
        return run_sql(op, before, after, tx, why="the field's definition cannot be restated here")
    migration_field, models_field, exact = result
    code = exploded(
        call(
            "migrations.AlterField",
            model_name=py(model.name.lower()),
            name=py(found.attr if found else op.column),
            field=migration_field,
        )
    )
    models_code = call(
        "migrations.AlterField",
        model_name=py(model.name.lower()),
        name=py(found.attr if found else op.column),
        field=models_field,
    )
    if exact:
        return native(op, before, after, tx, code, model, (models_code,), remakes=True)
    why = f"Django's DDL for this field is not the planned {new_col.type} column"
    return run_sql(op, before, after, tx, (code,), why, (models_code,))


TRANSLATORS.update(
    {
        o.CreateTable: _create_table,
        o.DropTable: _drop_table,
        o.RenameTable: _rename_table,
        o.AddColumn: _add_column,
        o.DropColumn: _drop_column,
        o.AlterColumn: _alter_column,
        o.RenameColumn: _rename_column,
    }
)
