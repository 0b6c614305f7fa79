"""Restating a model's field inside a migration, and backfills as RunPython functions.

An AlterField carries the whole field, and `makemigrations --check` compares every keyword of
it with the model, so the migration must repeat the model's definition exactly, changed only
where the plan changes the column. A migration cannot refer to the models module, so names the
model uses are resolved the way Django's migration writer resolves them: `Status.choices` of a
TextChoices class becomes its list of pairs, `Status.PENDING` its value, a model class its
`"app.model"` label. A definition with anything else (a callable default, a translated
verbose_name) cannot be restated, and the caller falls back to SQL.
"""

from __future__ import annotations

import re
import textwrap
from typing import TYPE_CHECKING

import libcst as cst
import sqlglot

from .. import backfill
from .. import ops as o
from ..schema import Column, Schema, Table
from .django_fields import field_for, literal, q_for
from .django_project import RELATIONS, Field, Model, source
from .py_backfill import assignment
from .pycode import Call, Code, Seq, as_code, call, lines, py, string

if TYPE_CHECKING:
    from .django_ops import Translation

#: Keywords that spell the column type; replaced together when the type changes.
_TYPE_KWARGS = ("max_length", "max_digits", "decimal_places")
_LITERAL = re.compile(r"""^(?:-?\d[\d_.]*|True|False|None|[rbuRBU]?(['"]).*\1)$""")


def altered_field(
    found: Field | None,
    column: Column,
    table: Table,
    schema: Schema,
    tx: Translation,
    op: o.AlterColumn,
) -> tuple[Call, Call, bool] | None:
    """(field for the migration, field for models.py, exact) after `op`, or None."""
    if found is None or found.call is None:
        return None
    if found.kind in RELATIONS and op.type is not None:
        return None
    spelled = field_for(column, table, schema, tx.dialect, tx.project)
    if spelled is None:
        return None
    new = dict(spelled.code.kwargs)
    model_code = as_code(found.call)
    if not isinstance(model_code, Call):
        return None
    func, args, kwargs = model_code.func, list(model_code.args), dict(model_code.kwargs)
    if op.type is not None:
        func = spelled.code.func
        for key in _TYPE_KWARGS:
            _put(kwargs, key, new.get(key))
    if op.nullable is not None:
        _put(kwargs, "null", "True" if column.nullable else None)
    if op.default is not o.KEEP:
        _put(kwargs, "db_default", new.get("db_default"))
    tx.imports |= spelled.imports
    models_field = Call(func, tuple(args), tuple(kwargs.items()))
    migration_field = portable(models_field, found, tx)
    if migration_field is None:
        return None
    exact = spelled.exact or found.kind in RELATIONS
    return migration_field, models_field, exact


def _put(kwargs: dict[str, Code], key: str, value: Code | None) -> None:
    """Set a keyword where it stands (or at the end), or remove it with None."""
    if value is None:
        kwargs.pop(key, None)
    else:
        kwargs[key] = value


def portable(code: Call, found: Field, tx: Translation) -> Call | None:
    """The field as a migration can write it (see the module docstring), or None."""
    model = next((m for m in tx.project.models if found in m.fields), None)
    kwargs: dict[str, Code] = {}
    args = list(code.args)
    if found.kind in RELATIONS and args:
        target = _model_label(args.pop(0), model, tx)
        if target is None:
            return None
        kwargs["to"] = target
    if args:
        return None
    for key, value in code.kwargs:
        resolved = _value(value, model, tx)
        if resolved is None:
            return None
        kwargs[key] = resolved
    if found.kind in RELATIONS and isinstance(kwargs.get("to"), str):
        target = kwargs["to"]
        if target == "settings.AUTH_USER_MODEL":
            tx.settings = True
    return call(code.func, **dict(sorted(kwargs.items())))


def _model_label(value: Code, model: Model | None, tx: Translation) -> Code | None:
    if not isinstance(value, str):
        return None
    if value == "settings.AUTH_USER_MODEL":
        return value
    if value.startswith(("'", '"')):
        name = value.strip("'\"")
        if name == "self" and model is not None:
            return py(model.label)
        if "." in name:
            return py(name.lower())
        return py(f"{model.app}.{name.lower()}") if model is not None else None
    target = next((m for m in tx.project.models if m.name == value), None)
    return py(target.label) if target is not None else None


def _value(value: Code, model: Model | None, tx: Translation) -> Code | None:
    """A keyword value a migration can hold, resolving choices classes; None if it cannot."""
    if isinstance(value, Seq):
        items = [_value(i, model, tx) for i in value.items]
        return (
            None if any(i is None for i in items) else Seq(tuple(i for i in items if i), value.kind)
        )
    if isinstance(value, Call):
        if not value.func.startswith(("models.", "Now", "Lower", "Upper")):
            return None
        args = [_value(a, model, tx) for a in value.args]
        kwargs = {k: _value(v, model, tx) for k, v in value.kwargs}
        if any(a is None for a in args) or any(v is None for v in kwargs.values()):
            return None
        return Call(
            value.func, tuple(a for a in args if a), tuple((k, v) for k, v in kwargs.items() if v)
        )
    if not isinstance(value, str):
        return None
    if _LITERAL.match(value) or value.startswith("models.") or value == "settings.AUTH_USER_MODEL":
        return value
    head, _, attr = value.partition(".")
    choices = _choices(model, head)
    if choices is None:
        return None
    if attr == "choices":
        return Seq(tuple(Seq((v, label), "tuple") for _, v, label in choices))
    if attr == "values":
        return Seq(tuple(v for _, v, _ in choices))
    return next((v for name, v, _ in choices if name == attr), None)


def _choices(model: Model | None, name: str) -> list[tuple[str, str, str]] | None:
    """(member, value, label) of a `class <name>(models.TextChoices)` inside the model."""
    if model is None or model.node is None:
        return None
    body = model.node.body.body if isinstance(model.node.body, cst.IndentedBlock) else ()
    cls = next((n for n in body if isinstance(n, cst.ClassDef) and n.name.value == name), None)
    if cls is None or not any("Choices" in source(b.value) for b in cls.bases):
        return None
    out: list[tuple[str, str, str]] = []
    inner = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in inner:
        if not isinstance(stmt, cst.SimpleStatementLine) or not isinstance(
            stmt.body[0], cst.Assign
        ):
            continue
        assign = stmt.body[0]
        target = assign.targets[0].target
        if not isinstance(target, cst.Name):
            continue
        value = assign.value
        parts = list(value.elements) if isinstance(value, cst.Tuple) else []
        if parts:
            member_value, label = (
                source(parts[0].value),
                source(parts[1].value) if len(parts) > 1 else None,
            )
        else:
            member_value, label = source(value), None
        if not _LITERAL.match(member_value) or (label is not None and not _LITERAL.match(label)):
            return None
        if label is None:
            label = string(target.value.replace("_", " ").title())
        out.append((target.value, _requote(member_value), _requote(label)))
    return out


def _requote(text: str) -> str:
    if text[:1] in "'\"":
        node = cst.parse_expression(text)
        if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
            return string(node.evaluated_value)
    return text


# ---------------------------------------------------------------------------------------------
# Backfills
# ---------------------------------------------------------------------------------------------


def backfill_function(
    op: o.Backfill,
    model: Model | None,
    tx: Translation,
    expression: str,
    where: str | None,
    suffix: str = "",
    width: int = 88,
) -> str | None:
    """Write `def backfill_<table>_<column>(apps, schema_editor)` into tx.helpers; its name.

    Only values (literals, NULL) are set through the ORM, filtered by a predicate Q can say;
    batches go by primary key so every row is visited once whatever the update changes.
    """
    if model is None:
        return None
    found = model.field_for(op.column)
    if found is None:
        return None
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    value = "None" if isinstance(tree, sqlglot.exp.Null) else literal(tree)
    if value is None:
        return None
    q = q_for(where, model) if where else None
    if where and q is None:
        return None
    attr = op.column if found.kind in RELATIONS else found.attr
    table = re.sub(r"\W", "_", op.table)
    name = f"backfill_{table}_{attr}{suffix}"
    var = model.name
    if isinstance(q, Call) and q.func == "models.Q" and not q.args:
        rows: Code = Call(f"{var}.objects.filter", (), q.kwargs)
    elif q is not None:
        rows = Call(f"{var}.objects.filter", (q,))
    else:
        rows = f"{var}.objects.all()"
    body = [f"{var} = apps.get_model({py(model.app)}, {py(model.name)})"]
    body += [line[4:] for line in lines(rows, 4, width, "rows = ")]
    update = Call(
        "rows.update" if not op.batch_size else f"{var}.objects.filter(pk__in=batch).update",
        (),
        ((attr, value),),
    )
    if op.batch_size:
        body += [
            'pks = list(rows.order_by("pk").values_list("pk", flat=True))',
            f"for start in range(0, len(pks), {op.batch_size}):",
            f"    batch = pks[start : start + {op.batch_size}]",
            *(line[4:] for line in lines(update, 8, width)),
        ]
    else:
        body += [line[4:] for line in lines(update, 4, width)]
    summary = op.describe().strip()[2:]
    doc = f'    """{summary[:1].upper()}{summary[1:]}."""'
    text = "\n".join([f"def {name}(apps, schema_editor):", doc, *("    " + b for b in body)])
    tx.helpers.append(text)
    return name


def batched_backfill_function(
    op: o.Backfill, after: Schema, tx: Translation, suffix: str = "", width: int = 88
) -> str:
    """Write a RunPython function that runs `op` in batches (tools/backfill.py); its name.

    It runs the SQL through `schema_editor.connection`, so any expression works, not only the
    values the ORM can set. The migration is `atomic = False`, so Django runs it in autocommit
    and every UPDATE commits its own batch: a crash loses one batch, and `migrate` run again
    carries on from the rows still pending.
    """
    size = op.batch_size or backfill.DEFAULT_BATCH_SIZE
    b = backfill.batch_sql(
        tx.dialect,
        op,
        after,
        size,
        "format",
        lambda text: text.replace("%", "%%"),
        op.throttle_ms or 0,
    )
    tx.atomic = False
    table = re.sub(r"\W", "_", op.table)
    column = re.sub(r"\W", "_", op.column)
    name = f"backfill_{table}_{column}{suffix}"
    summary = op.describe().strip()[2:]
    label = f"{op.table}.{op.column}"
    body = [
        f'"""{summary[:1].upper()}{summary[1:]}."""',
        *(f"# {line}" for line in textwrap.wrap(b.describe() + ".", 76, break_on_hyphens=False)),
        f"label = {py(f'backfill {label}')}",
        *(
            line
            for name, sql in (
                ("first_sql", b.first),
                ("bound_sql", b.bound),
                ("update_sql", b.update),
                ("tail_sql", b.tail),
            )
            for line in assignment(name, sql, 4, width)
        ),
        "with schema_editor.connection.cursor() as cursor:",
        "    cursor.execute(first_sql, [])",
        "    lo = cursor.fetchone()",
        "    batches = 0",
        "    while lo is not None:",
        "        cursor.execute(bound_sql, [*lo])",
        "        nx = cursor.fetchone()",
        "        if nx is None:",
        "            cursor.execute(tail_sql, [*lo])",
        "        else:",
        "            cursor.execute(update_sql, [*lo, *nx])",
        "        batches += 1",
        f"        if batches % {b.every} == 0:",
        f'            print(f"{{label}}: {{batches}} batches of {size}")',
    ]
    if b.throttle_ms:
        tx.imports.add(("time", "sleep"))
        body.append(f"        sleep({b.throttle_ms / 1000})")
    body.append("        lo = nx")
    text = "\n".join([f"def {name}(apps, schema_editor):", *("    " + line for line in body)])
    tx.helpers.append(text)
    return name
