"""migwright's own safe rendering passes its own lint, and `--unsafe` gives the plain DDL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from safe_support import BASE, REQUESTS

from migwright.tools.lint.base import LintContext
from migwright.tools.lint.engine import DESIGN_RULES, lint_plan, lint_sql
from migwright.tools.sql import render_script
from migwright.tools.zero_downtime import safe_operations

PG = "postgresql"


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_the_safe_sql_has_no_error_findings_where_the_naive_sql_has_some(name: str) -> None:
    naive = REQUESTS[name]
    safe = safe_operations(naive, BASE, PG)
    ctx = LintContext(dialect=PG)
    naive_findings = lint_sql(render_script(naive, BASE, PG), ctx).findings
    assert any(f.severity in ("error", "warning") for f in naive_findings)
    for result in (lint_sql(render_script(safe, BASE, PG), ctx), lint_plan(safe, BASE, ctx)):
        # what the change means (a dropped column's data, a rename) is still an error: the
        # guard answers the locks, not that (lint_plan sees it through the guard)
        errors = [
            f"{f.rule}: {f.message}"
            for f in result.findings
            if f.severity == "error" and f.rule not in DESIGN_RULES
        ]
        assert errors == []
    lock_rules = {f.rule for f in naive_findings} - DESIGN_RULES
    assert lock_rules.isdisjoint(
        f.rule for f in lint_plan(safe, BASE, ctx).findings if f.severity == "error"
    )


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migwright", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_sql_is_safe_by_default_and_lint_agrees(tmp_path: Path) -> None:
    request = [
        "--add-index",
        "orders (status)",
        "--add-check",
        "orders total > 0 name ck_orders_total",
    ]
    safe = _cli("sql", "-d", PG, *request, cwd=tmp_path)
    assert safe.returncode == 0, safe.stderr
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_orders_status" in safe.stdout
    assert "NOT VALID" in safe.stdout and "VALIDATE CONSTRAINT ck_orders_total" in safe.stdout
    (tmp_path / "safe.sql").write_text(safe.stdout, encoding="utf-8")
    linted = _cli("lint", "safe.sql", "-d", PG, cwd=tmp_path)
    assert linted.returncode == 0, linted.stdout + linted.stderr

    naive = _cli("sql", "-d", PG, "--unsafe", *request, cwd=tmp_path)
    assert naive.returncode == 0, naive.stderr
    assert "CREATE INDEX ix_orders_status ON orders (status);" in naive.stdout
    assert "DO $migwright$" not in naive.stdout
    (tmp_path / "naive.sql").write_text(naive.stdout, encoding="utf-8")
    linted = _cli("lint", "naive.sql", "-d", PG, cwd=tmp_path)
    assert linted.returncode == 1
    assert "require-concurrent-index-creation" in linted.stdout


def test_mysql_sql_states_the_algorithm(tmp_path: Path) -> None:
    done = _cli("sql", "-d", "mariadb", "--add-column", "orders.note text", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ALGORITHM=INSTANT" in done.stdout
    plain = _cli(
        "sql", "-d", "mariadb", "--unsafe", "--add-column", "orders.note text", cwd=tmp_path
    )
    assert "ALGORITHM" not in plain.stdout
