"""`--app-tests` through the command line: `new` writes a one-step rename whose report names the
old code's broken tests, and `validate` checks that migration again (exit 1, JSON), or says in
one line that the test command does not exist."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_apptests_examples import DJANGO_RENAME, DJANGO_TESTS, committed_copy, rename_in_code

MIGWRIGHT = str(Path(sys.executable).parent / "migwright")


def _migwright(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIGWRIGHT, *args], capture_output=True, text=True, timeout=300)


def test_new_then_validate_name_the_broken_old_code(tmp_path: Path) -> None:
    repo = committed_copy(tmp_path, "django-shop")
    rename_in_code(repo / "orders" / "tests.py", "shipping_address", "delivery_address")
    written = _migwright(
        "new",
        "-C",
        str(repo),
        "-d",
        "sqlite",
        "--rows",
        "50",
        "--rename-column",
        DJANGO_RENAME,
        "--phase",
        "one-step",
        "--app-tests",
        DJANGO_TESTS,
        "--no-show",
    )
    assert written.returncode == 0, written.stderr + written.stdout
    assert "app tests: passed (5 tests); old code: 4 failed" in written.stdout
    assert "error breaks-running-code: the code committed at HEAD fails 4" in written.stdout
    document = next((repo / "orders" / "migrations").glob("0006_*.md")).read_text()
    assert "`breaks-running-code`" in document

    checked = _migwright(
        "validate", str(repo), "-m", "0006_rename", "--app-tests", DJANGO_TESTS, "--json"
    )
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    assert report["ok"] is True and report["breaks_running_code"] is True
    assert report["app_tests"]["status"] == "passed"
    old = report["old_code_tests"]
    assert old["status"] == "failed" and len(old["failed_tests"]) == 4
    assert "orders.tests.OrderTests.test_shipping_address_is_stored" in old["failed_tests"]


def test_validate_with_a_missing_command_says_so(tmp_path: Path) -> None:
    repo = committed_copy(tmp_path, "django-shop")
    done = _migwright("validate", str(repo), "--rows", "20", "--app-tests", "no-such-runner -q")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "app tests (new code): ERROR" in done.stdout
    assert any(line.strip().startswith("result: `no-such-runner` was not found") for line in lines)
    assert lines[0].startswith("validation FAILED on sqlite")
