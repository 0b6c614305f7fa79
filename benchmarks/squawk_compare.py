"""Side by side: which rules migwright's lint and Squawk raise on migwright's rule corpus.

The corpus (`tests/lint/corpus/<rule-id>/{bad,good}.sql`) holds, per rule, SQL that triggers it
and the safe way that must not. Both linters read every file of a PostgreSQL pair in the same
context (server version, whether the runner wraps the file in a transaction); MySQL and SQLite
pairs are listed for migwright only, since Squawk reads PostgreSQL alone. The result is
`docs/lint-vs-squawk.md`: a summary (does each tool flag the bad file with the matching rule,
and stay quiet on the good one) and, per file, every rule each tool raised.

Run by hand (Squawk comes from PyPI as a binary wheel: `pip install squawk-cli`, pinned in the
dev extras so the table stays reproducible):

    .venv/bin/python benchmarks/squawk_compare.py            # rewrite docs/lint-vs-squawk.md
    .venv/bin/python benchmarks/squawk_compare.py --check    # exit 1 if the page is stale
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from migwright.tools.lint import RULES, lint_sql
from migwright.tools.lint.corpus import Example, read_example

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "lint" / "corpus"
PAGE = ROOT / "docs" / "lint-vs-squawk.md"
_RULE_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")


@dataclass(frozen=True)
class Case:
    """One corpus file and the rule ids each linter raised on it (None: not run)."""

    rule: str
    kind: str  # "bad" or "good"
    dialect: str
    migwright: tuple[str, ...]
    squawk: tuple[str, ...] | None


def squawk_binary() -> str:
    """The squawk executable: beside this interpreter first (the venv), then on PATH."""
    here = Path(sys.executable).parent / "squawk"
    found = str(here) if here.is_file() else shutil.which("squawk")
    if not found:
        raise SystemExit("squawk not found: pip install squawk-cli (see pyproject dev extras)")
    return found


def squawk_version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def run_squawk(binary: str, example: Example) -> tuple[str, ...]:
    """Squawk's rule ids for one file, in the same context migwright lints it in.

    Squawk exits 1 when it reports anything; only its JSON matters here.
    """
    cmd = [binary, "--reporter", "json"]
    if example.ctx.version:
        cmd.append("--pg-version=" + ".".join(str(p) for p in example.ctx.version))
    if example.ctx.in_transaction:
        cmd.append("--assume-in-transaction")
    out = subprocess.run(
        [*cmd, str(example.path)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if out.returncode not in (0, 1) or not out.stdout.strip():
        raise SystemExit(f"squawk failed on {example.path}: {out.stderr.strip()}")
    return tuple(sorted({v["rule_name"] for v in json.loads(out.stdout)}))


def run_migwright(example: Example, kind: str, rule_id: str) -> tuple[str, ...]:
    """Every rule migwright raises on the file: its default selection, plus the pair's own
    rule when that one is opt-in (as Squawk's opt-in rules would need `--include`)."""
    rules = None
    if not RULES[rule_id].enabled_by_default:
        rules = [r.id for r in RULES.values() if r.enabled_by_default] + [rule_id]
    result = lint_sql(example.sql, example.ctx, file=f"{kind}.sql", down=example.down, rules=rules)
    return tuple(sorted({f.rule for f in result.findings}))


def collect(binary: str) -> list[Case]:
    cases = []
    for rule_id in sorted(RULES):
        for kind in ("bad", "good"):
            example = read_example(CORPUS / rule_id / f"{kind}.sql")
            dialect = example.ctx.dialect
            squawk = run_squawk(binary, example) if dialect == "postgresql" else None
            cases.append(
                Case(rule_id, kind, dialect, run_migwright(example, kind, rule_id), squawk)
            )
    return cases


def _mark(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "**no**")


def _list(rules: tuple[str, ...] | None) -> str:
    if rules is None:
        return "(PostgreSQL only)"
    return ", ".join(f"`{r}`" for r in rules) or "-"


def squawk_equivalents(rule_id: str, seen: set[str]) -> set[str]:
    """The Squawk ids that check what `rule_id` checks.

    `Rule.anchors["squawk"]` is free text (an id, two ids, or an id with a remark); every id in
    it counts, and so does migwright's own id when Squawk raised it somewhere in the run
    (several rules share their name with Squawk's). Empty: Squawk has no such rule.
    """
    anchor = RULES[rule_id].anchors.get("squawk", "")
    ids = set(_RULE_ID.findall(anchor)) if anchor and not anchor.startswith("(") else set()
    return ids | ({rule_id} & seen)


def render_page(cases: list[Case], version: str) -> str:
    """The markdown page: totals, the per-rule summary, then every file's findings."""
    by_rule = {(c.rule, c.kind): c for c in cases}
    seen = {r for c in cases for r in (c.squawk or ())}
    mw_bad = sum(c.rule in c.migwright for c in cases if c.kind == "bad")
    mw_good = sum(c.rule not in c.migwright for c in cases if c.kind == "good")
    rows, totals = [], {"pg": 0, "anchored": 0, "sq_bad": 0, "sq_good": 0, "sq_any": 0}
    for rule_id in sorted(RULES):
        bad, good = by_rule[(rule_id, "bad")], by_rule[(rule_id, "good")]
        equivalents = squawk_equivalents(rule_id, seen)
        sq_bad = sq_good = sq_any = None
        if bad.squawk is not None and good.squawk is not None:
            totals["pg"] += 1
            sq_any = bool(set(bad.squawk) - set(good.squawk))
            totals["sq_any"] += sq_any
            if equivalents:
                totals["anchored"] += 1
                sq_bad = bool(equivalents & set(bad.squawk))
                sq_good = not equivalents & set(good.squawk)
                totals["sq_bad"] += sq_bad
                totals["sq_good"] += sq_good
        named = ", ".join(f"`{r}`" for r in sorted(equivalents)) or "-"
        rows.append(
            f"| `{rule_id}` | {bad.dialect} | {named} "
            f"| {_mark(rule_id in bad.migwright)} | {_mark(rule_id not in good.migwright)} "
            f"| {_mark(sq_bad)} | {_mark(sq_good)} | {_mark(sq_any)} |"
        )
    lines = [
        "# migwright lint vs Squawk",
        "",
        "Generated by `benchmarks/squawk_compare.py` from the rule corpus "
        "(`tests/lint/corpus/<rule>/{bad,good}.sql`); do not edit by hand. "
        f"Squawk version: `{version}`. Each PostgreSQL file goes to both linters in the same "
        "context (`--pg-version`, `--assume-in-transaction` where the corpus header sets "
        "them); MySQL and SQLite files go to migwright only.",
        "",
        f"- Rules: {len(RULES)}; PostgreSQL pairs: {totals['pg']}.",
        f"- PostgreSQL pairs whose rule has a Squawk equivalent: "
        f"{totals['anchored']}. Squawk flags the bad file with that rule in {totals['sq_bad']} "
        f"and stays quiet with it on the good file in {totals['sq_good']}.",
        f"- PostgreSQL pairs where Squawk raises on the bad file any rule it does not raise on "
        f"the good file: {totals['sq_any']} of {totals['pg']}.",
        f"- migwright flags the bad file with its rule in {mw_bad} of {len(RULES)} pairs and "
        f"stays quiet with it on the good file in {mw_good}.",
        "",
        "## Per rule",
        "",
        "`squawk rule`: Squawk's ids for the same check (from `Rule.anchors`, and the same id "
        "where Squawk has it). "
        "`squawk: differs` says whether Squawk raises anything on the bad file that it does "
        "not raise on the good one, whichever rule. `-`: not applicable (no such Squawk rule, "
        "or not PostgreSQL).",
        "",
        "| rule | dialect | squawk rule | migwright: bad flagged | migwright: good quiet "
        "| squawk: bad flagged | squawk: good quiet | squawk: differs |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "## Every file",
        "",
        "All rules each tool raised, with its default rule selection (plus the pair's own rule "
        "where it is opt-in).",
        "",
        "| file | migwright | squawk |",
        "|---|---|---|",
    ]
    for case in cases:
        lines.append(
            f"| `{case.rule}/{case.kind}.sql` | {_list(case.migwright)} | {_list(case.squawk)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    parser.add_argument("--out", type=Path, default=PAGE)
    args = parser.parse_args(argv)
    binary = squawk_binary()
    page = render_page(collect(binary), squawk_version(binary))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != page:
            print(f"{args.out} is stale: run .venv/bin/python benchmarks/squawk_compare.py")
            return 1
        return 0
    args.out.write_text(page, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
