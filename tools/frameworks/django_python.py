"""PythonTransform as Django's `migrations.RunPython(forward, reverse_or_noop)`.

The drafted function passed the allowlist when the plan was checked; here it is checked again
(the file must never hold code that did not), renamed after the table and its columns so two
transforms in one file cannot collide, and placed above the Migration class like the backfill
helpers. The Django expressions it uses (F, Q, ...) are imported from django.db.models.
Registered into django_ops.TRANSLATORS when django_op_keys is imported.
"""

from __future__ import annotations

import re
from typing import Any

from ..python_allowlist import DJANGO_EXPRESSIONS
from ..python_transform import PythonTransform
from ..schema import Schema
from .django_ops import TRANSLATORS, DjOp, Translation
from .pycode import call, exploded


def _helper(op: PythonTransform, source: str, tx: Translation, suffix: str = "") -> str:
    """Put the checked function into the file's helpers; the name it got."""
    checked = PythonTransform(op.table, op.columns, source).checked()
    base = re.sub(r"\W", "_", f"transform_{op.table}_{'_'.join(op.columns)}{suffix}")
    name, n = base, 1
    while any(h.startswith(f"def {name}(") for h in tx.helpers):
        n += 1
        name = f"{base}_{n}"
    tx.helpers.append(checked.source(name))
    tx.imports |= {("django.db.models", e) for e in checked.expressions & DJANGO_EXPRESSIONS}
    return name


def _python_transform(
    op: PythonTransform, before: Schema, after: Schema, tx: Translation, plan: Any, i: int
) -> list[DjOp]:
    forward = _helper(op, op.forward, tx)
    back = "migrations.RunPython.noop"
    comments: tuple[str, ...] = ()
    if op.reverse_code is not None:
        back = _helper(op, op.reverse_code, tx, "_reverse")
    else:
        comments = (f"The down does not undo the transform of {op.table}.",)
    code = exploded(call("migrations.RunPython", forward, back))
    return [DjOp(code, comments=comments)]


TRANSLATORS[PythonTransform] = _python_transform
