"""Python source for the batched backfill loops of Alembic and Django migrations.

The SQL of a batch (tools/backfill.py) is long; each statement is assigned to a name on its
own line, laid out the way `ruff format` leaves it, so a generated migration passes the
repo's formatter check unchanged.
"""

from __future__ import annotations

from .pycode import py


def assignment(name: str, text: str, indent: int, width: int) -> list[str]:
    """`name = "text"` at column `indent`, as ruff formats it: on one line when it fits, else
    the string alone in parentheses when that fits, else on one over-long line (ruff does not
    split strings). Lines are relative to `indent` (no leading padding)."""
    literal = py(text)
    assert isinstance(literal, str)
    one = f"{name} = {literal}"
    if indent + len(one) <= width or indent + 4 + len(literal) > width:
        return [one]
    return [f"{name} = (", f"    {literal}", ")"]
