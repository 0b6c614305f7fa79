"""A new Sequelize model file for a table a migration creates, shaped like the repo's models.

sequelize-cli's `model:generate` writes `class X extends Model` with a `static associate`
and `X.init({...}, { sequelize, modelName })`; teams add `tableName` and `underscored`. The
new file follows the repo's existing models where they agree (underscored, explicit
`tableName`), leaves out what Sequelize adds by itself (an `id` auto-numbered primary key,
`createdAt` / `updatedAt` when the table has those columns) and declares `belongsTo` for
each foreign key onto a table that has a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..dialects.base import identity_of
from ..schema import Schema
from .jsproject import pascal
from .jsrender import Obj, Printer, Raw, Str, key, quote

if TYPE_CHECKING:
    from .sequelize_models import Editor

_TIMESTAMPS = ("created_at", "updated_at")


def _singular(table: str) -> str:
    if table.endswith("ies"):
        return table[:-3] + "y"
    if table.endswith(("ses", "xes", "ches", "shes")):
        return table[:-2]
    return table[:-1] if table.endswith("s") and not table.endswith("ss") else table


def new_model(ed: Editor, table_name: str, schema: Schema, folder: str) -> tuple[str, str]:
    """(path, text) of the model file for `table_name`."""
    from .sequelize_models import Model, camel

    table = schema.table(table_name)
    existing = list(ed.by_table.values())
    underscored = bool(existing) and sum(m.underscored for m in existing) * 2 >= len(existing)
    types = existing[0].types if existing else "DataTypes"
    name = pascal(_singular(table_name))
    style = ed.style
    timestamps = all(table.has_column(c) for c in _TIMESTAMPS)
    probe = Model("", "", None, name, table_name, 0, underscored, timestamps, types)  # type: ignore[arg-type]
    printer = Printer(style)
    unit = style.indent
    associated = {
        fk.columns[0]
        for fk in table.foreign_keys
        if len(fk.columns) == 1 and fk.ref_table in ed.by_table
    }
    attrs = []
    for column in table.columns:
        implicit_id = column.name == "id" and table.primary_key == ("id",) and identity_of(column)
        if implicit_id or (timestamps and column.name in _TIMESTAMPS):
            continue
        if column.name in associated:
            continue  # belongsTo below declares it, as the repo's models leave it to do
        value = ed.value(probe, column, table, schema)
        attr = camel(column.name) if underscored else column.name
        head = f"{key(attr, style)}: "
        text = printer.expr(value, 3, len(unit.replace("\t", "  ")) * 3 + len(head), 1)
        attrs.append(f"{unit * 3}{head}{text},")
    options = [("sequelize", Raw("sequelize")), ("modelName", Str(name))]
    options.append(("tableName", Str(table_name)))
    if underscored:
        options.append(("underscored", Raw("true")))
    if not timestamps:
        options.append(("timestamps", Raw("false")))
    options_text = printer.expr(Obj(tuple(options)), 2, len(unit.replace("\t", "  ")) * 2, 1)
    associations = []
    for fk in table.foreign_keys:
        target = ed.by_table.get(fk.ref_table)
        if target is None or len(fk.columns) != 1:
            continue
        fk_opts = printer.flat(Obj((("foreignKey", Str(fk.columns[0])),)))
        associations.append(
            f"{unit * 3}{name}.belongsTo(models.{target.name}, {fk_opts}){style.end}"
        )
    end = style.end
    comma = "," if style.trailing_comma else ""
    q = lambda text: quote(text, style)  # noqa: E731
    lines = [
        f"{q('use strict')}{end}",
        "",
        f"const {{ Model }} = require({q('sequelize')}){end}",
        "",
        f"module.exports = (sequelize, {types}) => {{",
        f"{unit}class {name} extends Model {{",
        f"{unit * 2}static associate(models) {{",
        *associations,
        f"{unit * 2}}}",
        f"{unit}}}",
        f"{unit}{name}.init(",
        f"{unit * 2}{{",
        *attrs,
        f"{unit * 2}}},",
        f"{unit * 2}{options_text}{comma}",
        f"{unit}){end}",
        f"{unit}return {name}{end}",
        f"}}{end}",
    ]
    if not associations:
        lines[6] = f"{unit * 2}static associate() {{}}"
        del lines[7]
    return f"{folder}/{_singular(table_name)}.js", "\n".join(lines) + "\n"
