"""`inspect --db`: a database you name is read (read-only) and compared with the history."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from migwright.tools.scratch import ScratchDatabase

REPO = Path(__file__).resolve().parent.parent / "evals" / "repos" / "dbmate-library"


def inspect(*args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "migwright", "inspect", str(REPO), "--json", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_drift_lists_what_the_database_has_that_the_history_does_not(
    sqlite_scratch: ScratchDatabase,
) -> None:
    from migwright.tools.analysis import analyse
    from migwright.tools.runners import replay

    replay(analyse(REPO), sqlite_scratch)
    with sqlite_scratch.engine().begin() as conn:
        conn.execute(text("ALTER TABLE members ADD COLUMN nickname TEXT"))
        conn.execute(text("DROP INDEX books_author_id_idx"))
    db_file = Path(sqlite_scratch.url.split("///", 1)[1])
    before = db_file.read_bytes()
    schema = inspect("--db", sqlite_scratch.url)["schema"]
    assert isinstance(schema, dict)
    drift = schema["drift"]
    assert "+ add column members.nickname text" in drift
    assert "- drop index books_author_id_idx on books" in drift
    assert len(drift) == 2
    assert db_file.read_bytes() == before, "inspect --db must only read"


def test_no_drift_when_the_database_matches(sqlite_scratch: ScratchDatabase) -> None:
    from migwright.tools.analysis import analyse
    from migwright.tools.runners import replay

    replay(analyse(REPO), sqlite_scratch)
    schema = inspect("--db", sqlite_scratch.url)["schema"]
    assert isinstance(schema, dict)
    assert schema["drift"] == []
    assert schema["database"] is not None
