"""PythonTransform: a data transform written as a Django RunPython function.

Most data changes are a `Backfill` (one SQL expression, portable to every framework). When the
new values need Python (parsing, mapping legacy codes), a Django project can run a function
instead: `RunPython(forward, reverse_or_noop)`. The function text comes from a model, so it
must pass `python_allowlist.check_function` whenever the operation is applied to a schema,
which is where `agent.structured.check_against` catches it and sends the error back.

The operation registers itself under `kind` like the operations of `ops.py`. It has no SQL:
each dialect renders it as no statement (Django runs it; lint has nothing to judge), and
`refuse_outside_django` stops every other framework with one line that says to use a SQL
expression instead. The Django translator lives in `frameworks/django_python.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from . import ops as o
from .dialects import Statement
from .errors import DetectionError
from .python_allowlist import CheckedFunction, check_function
from .schema import Schema


@dataclass(frozen=True)
class PythonTransform(o.Operation):
    """Rows of `table` rewritten by a Python function; `columns` are those it writes.

    `forward` and `reverse` are the source of `def NAME(apps, schema_editor)` functions;
    without `reverse` the down leaves the transformed values (RunPython.noop) and says so.
    """

    table: str
    columns: tuple[str, ...]
    forward: str
    reverse_code: str | None = None
    summary: str = ""
    kind: ClassVar[str] = "python_transform"
    symbol: ClassVar[str] = "~"

    @property
    def column(self) -> str:
        """The first column written: what `ops.reverse_all` looks at to tell values this plan
        made (a column added, then transformed) from values a down would lose."""
        return self.columns[0]

    def apply(self, schema: Schema) -> Schema:
        table = schema.table(self.table)
        for column in self.columns:
            table.column(column)
        self.checked()
        if self.reverse_code is not None:
            check_function(self.reverse_code)
        return schema

    def checked(self) -> CheckedFunction:
        """The forward function after the allowlist (ForbiddenPython names what is refused)."""
        return check_function(self.forward)

    def reverse(self, before: Schema) -> o.Operation:
        if self.reverse_code is not None:
            return PythonTransform(
                self.table, self.columns, self.reverse_code, self.forward, f"undo: {self.summary}"
            )
        return o.NoOp(f"the Python transform of {self.table} is not undone")

    def data_loss(self, before: Schema) -> str | None:
        if self.reverse_code is not None or not before.has_table(self.table):
            return None
        table = before.table(self.table)
        existing = [c for c in self.columns if table.has_column(c)]
        if not existing:
            return None  # only columns new in this migration: nothing existed to overwrite
        names = ", ".join(f"{self.table}.{c}" for c in existing)
        return f"the values of {names} before the Python transform"

    def describe(self) -> str:
        what = f": {self.summary}" if self.summary else ""
        return f"~ python transform of {self.table} ({', '.join(self.columns)}){what}"


def _no_sql(d: object, op: o.Operation, before: Schema, after: Schema) -> list[Statement]:
    """A Python transform has no SQL of its own: Django runs the function."""
    return []


def _register_dialects() -> None:
    """Every dialect renders the transform as no statement (see the module doc)."""
    from .dialects import mysql, postgres, sqlite

    for module in (mysql, postgres, sqlite):
        module.RENDERERS[PythonTransform] = _no_sql


_register_dialects()


def refuse_outside_django(framework: str, operations: Sequence[o.Operation]) -> None:
    """One line for a Python transform in a framework that cannot run Python functions."""
    found = next((op for op in operations if isinstance(op, PythonTransform)), None)
    if found is None or framework == "django":
        return
    raise DetectionError(
        f"{found.describe().strip()}: only Django migrations run Python transforms "
        f"(this repo uses {framework})",
        'use a SQL expression instead: --backfill "table.column = EXPRESSION"',
    )
