"""docs/lint-vs-squawk.md is what `benchmarks/squawk_compare.py` prints today.

The script runs the real Squawk (squawk-cli, pinned in the dev extras) and migwright's lint over
every corpus file; a new rule, a changed rule or another Squawk version makes the page stale.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_squawk_comparison_page_is_current() -> None:
    if not (Path(sys.executable).parent / "squawk").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("squawk-cli missing in CI: pip install -e '.[dev]'", pytrace=False)
        pytest.skip("squawk-cli not installed")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "squawk_compare.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = (ROOT / "docs" / "lint-vs-squawk.md").read_text(encoding="utf-8")
    assert "| `require-concurrent-index-creation` | postgresql |" in page
