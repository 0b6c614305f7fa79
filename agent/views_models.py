"""The model diffs of `migwright new`, as a person reads them.

The generate step always computes the model change (models.py, schema.prisma, a TypeORM entity,
a Drizzle schema.ts) and keeps it as unified diffs in its outputs; whether the files are also
written depends on `--update-models`. This view prints those diffs after the run, coloured like
`git diff`, and says whether they were written, so a person who left the models alone still
sees what to change by hand.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

_STYLES = {"+": "green", "-": "red", "@": "cyan"}


def print_model_diffs(console: Console, run: Any) -> None:
    # the generate step of the attempt that counts (a repaired run supersedes earlier ones)
    steps = [r for r in run.results if r.key == "generate" and not getattr(r, "superseded", 0)]
    if not steps:
        return
    generate = steps[-1]
    diffs = generate.outputs.get("model_diffs") or []
    written = bool(generate.outputs.get("update_models"))
    for item in diffs:
        state = "written" if written and run.context.written else "not written"
        console.rule(f"{item['path']} (model diff, {state})")
        for row in item["diff"].splitlines():
            style = "bold" if row.startswith(("+++", "---")) else _STYLES.get(row[:1], "")
            console.print(Text(row, style=style))
    if diffs and not written:
        console.print(
            "models not written: pass --update-models to write them with the migration",
            highlight=False,
        )
